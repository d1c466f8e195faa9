/*
 * cece's parser of plain numeric text (CSV/TSV of numbers), used by cece/io/text.py through
 * cece._native. Plain C: it needs no particular CPU. See parse.h for the contract.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

/* -- plain numeric text --------------------------------------------------------------------- */

/* Rows of numbers separated by `delim`, parsed straight into doubles: the common CSV of
 * model outputs, ~4x faster than pandas' C parser per core and without importing pandas.
 * Only the plain case is taken: [spaces] [+-] digits [. digits] [e [+-] digits] [spaces], at
 * most 2^53 in the digits and a decimal exponent within +-22 are Clinger's fast path (the
 * integer and the power of ten are both exact doubles, so one IEEE multiplication or division
 * gives the correctly rounded value); longer numbers (np.savetxt's %.18e) go to strtod, also
 * correctly rounded. Python's float() rounds correctly too, so both parsers agree to the bit.
 * Anything else -- a blank line, a quote, a bare CR, nan, a field count that differs, a value
 * beyond the float64 range -- returns -1 and the caller
 * parses the block the careful way, which also says exactly what is wrong and where. */
static const double POW10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                 1e22};

static int point_is_dot(void) {
    const struct lconv *lc = localeconv();
    return lc && lc->decimal_point && lc->decimal_point[0] == '.' && !lc->decimal_point[1];
}

Py_ssize_t cece_parse_plain(const char *s, Py_ssize_t len, Py_ssize_t ncols, char delim,
                              double *out, Py_ssize_t cap) {
#if FLT_EVAL_METHOD != 0
    return -1; /* x87-style excess precision would double-round */
#endif
    const char *p = s, *end = s + len;
    Py_ssize_t rows = 0;
    const char blank2 = delim == '\t' ? ' ' : '\t';
    while (p < end) {
        if (rows >= cap) return -1;
        double *row = out + rows * ncols;
        for (Py_ssize_t col = 0; col < ncols; col++) {
            while (p < end && (*p == ' ' || *p == blank2)) p++;
            const char *field = p;
            int neg = 0;
            if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
            uint64_t w = 0;
            int digits = 0, sig = 0, e10 = 0;
            while (p < end && (unsigned)(*p - '0') < 10) {
                if (w || *p != '0') { if (++sig <= 19) w = w * 10 + (uint64_t)(*p - '0'); }
                p++; digits++;
            }
            if (p < end && *p == '.') {
                p++;
                while (p < end && (unsigned)(*p - '0') < 10) {
                    if (w || *p != '0') { if (++sig <= 19) { w = w * 10 + (uint64_t)(*p - '0'); e10--; } }
                    else e10--;
                    p++; digits++;
                }
            }
            if (!digits) return -1;
            if (p < end && (*p == 'e' || *p == 'E')) {
                p++;
                int eneg = 0, ed = 0, ev = 0;
                if (p < end && (*p == '-' || *p == '+')) eneg = *p++ == '-';
                while (p < end && (unsigned)(*p - '0') < 10) {
                    if (ev < 100000) ev = ev * 10 + (*p - '0');
                    p++; ed++;
                }
                if (!ed) return -1;
                e10 += eneg ? -ev : ev;
            }
            if (w == 0) {
                row[col] = neg ? -0.0 : 0.0;
            } else if (sig <= 19 && w <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
                double v = e10 < 0 ? (double)w / POW10[-e10] : (double)w * POW10[e10];
                row[col] = neg ? -v : v;
            } else {  /* long mantissa or large exponent: glibc's strtod, correctly rounded */
                char buf[80];
                size_t n = (size_t)(p - field);
                if (n >= sizeof buf || !point_is_dot()) return -1;
                memcpy(buf, field, n);
                buf[n] = 0;
                double v = strtod(buf, NULL);
                if (!isfinite(v)) return -1;  /* 1e400: the careful parser reports it */
                row[col] = v;
            }
            while (p < end && (*p == ' ' || *p == blank2)) p++;
            if (col + 1 < ncols) {
                if (p >= end || *p != delim) return -1;
                p++;
            } else if (p < end) {
                if (*p == '\r') p++;
                if (p >= end || *p != '\n') return -1;
                p++;
            }
        }
        rows++;
    }
    return rows;
}

Py_ssize_t cece_count_byte(const char *s, Py_ssize_t len, char c) {
    Py_ssize_t n = 0;
    const char *p = s, *end = s + len;
    while ((p = memchr(p, c, (size_t)(end - p))) != NULL) { n++; p++; }
    return n;
}
