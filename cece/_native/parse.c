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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "parse.h"
#include "pow5.h"

/* -- plain numeric text --------------------------------------------------------------------- */

/* Rows of numbers separated by `delim`, parsed straight into doubles: the common CSV of
 * model outputs, without importing pandas. Only the plain case is taken:
 * [spaces] [+-] digits [. digits] [e [+-] digits] [spaces]. Every value is correctly rounded
 * (round to nearest, ties to even), the same double as Python's float() gives:
 *
 * 1. at most 2^53 in the digits and a decimal exponent within +-22: Clinger's fast path (the
 *    integer and the power of ten are both exact doubles, so one IEEE multiplication or
 *    division rounds correctly);
 * 2. otherwise (np.savetxt's %.18e, 17-digit float64 dumps, repr): the Eisel-Lemire algorithm
 *    on the first 19 significant digits (eisel_lemire() below);
 * 3. where that cannot decide -- more than 19 significant digits whose truncation matters --
 *    glibc's strtod, also correctly rounded (under a locale whose decimal point is '.').
 *
 * Anything else -- a blank line, a quote, a bare CR, nan, a field count that differs, a value
 * beyond the float64 range -- returns -1 and the caller parses the block the careful way,
 * which also says exactly what is wrong and where. */
static const double POW10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                 1e22};
static const uint64_t POW10_INT[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                      100000000};

static int point_is_dot(void) {
    const struct lconv *lc = localeconv();
    return lc && lc->decimal_point && lc->decimal_point[0] == '.' && !lc->decimal_point[1];
}

/* -- Eisel-Lemire ----------------------------------------------------------------------------
 * w * 10^q as the nearest double, from one (rarely two) 64x128-bit products of w with a
 * 128-bit approximation of 5^q (pow5.h, written by gen_pow5.py). A plain-C transcription of
 * fast_float's compute_float/compute_product_approximation (github:fastfloat/fast_float,
 * include/fast_float/decimal_to_binary.h), the algorithm of D. Lemire, "Number Parsing at a
 * Gigabyte per Second", Software: Practice and Experience 51(8), 2021; the same as Go's
 * strconv (src/strconv/eisel_lemire.go, eiselLemire64) and Rust's core::num::dec2flt
 * (library/core/src/num/dec2flt/lemire.rs, compute_float). N. Mushtak and D. Lemire, "Fast
 * number parsing without fallback", SPE 53(7), 2023, prove that for w < 10^19 the product
 * (with its second word where the first leaves the 55 needed bits ambiguous) always decides;
 * we still keep Go's conservative "inexact" test after the second product (its 64 low bits all
 * ones: the approximation might carry into the kept bits), which returns 0 and sends the
 * number to strtod -- it costs one comparison on a path taken about once in 512 numbers.
 * Returns 1 with the IEEE bits (exponent 0x7FF for overflow) or 0 when undecided. */

#if defined(__SIZEOF_INT128__)
static inline uint64_t mul_hi_lo(uint64_t a, uint64_t b, uint64_t *lo) {
    unsigned __int128 r = (unsigned __int128)a * b;
    *lo = (uint64_t)r;
    return (uint64_t)(r >> 64);
}
#else
static inline uint64_t mul_hi_lo(uint64_t a, uint64_t b, uint64_t *lo) {
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}
#endif

static inline int leading_zeros64(uint64_t x) { /* x != 0 */
#if defined(__GNUC__) || defined(__clang__)
    return __builtin_clzll(x);
#else
    int n = 0;
    while (!(x & (1ULL << 63))) { x <<= 1; n++; }
    return n;
#endif
}

static int eisel_lemire(int64_t q, uint64_t w, uint64_t *bits) {
    if (w == 0 || q < CECE_POW5_SMALLEST) { /* w < 10^19 and q < -342: below 2^-1075 */
        *bits = 0;
        return 1;
    }
    if (q > CECE_POW5_LARGEST) { /* w >= 1 and q > 308: above DBL_MAX */
        *bits = 0x7FFULL << 52;
        return 1;
    }
    const uint64_t *pow5 = CECE_POW5[q - CECE_POW5_SMALLEST];
    int lz = leading_zeros64(w);
    w <<= lz;
    uint64_t lo, hi = mul_hi_lo(w, pow5[0], &lo);
    const uint64_t mask = 0x1FF; /* the bits below the 55 kept (52 + implicit + round + shift) */
    if ((hi & mask) == mask) {   /* ambiguous: add the product with the table's low word */
        uint64_t lo2, hi2 = mul_hi_lo(w, pow5[1], &lo2);
        (void)lo2;
        lo += hi2;
        if (hi2 > lo) hi++;
        if ((hi & mask) == mask && lo == UINT64_MAX) return 0; /* Go's inexact case */
    }
    int upperbit = (int)(hi >> 63);
    int shift = upperbit + 64 - 52 - 3;
    uint64_t mantissa = hi >> shift;
    /* floor(log2(10^q)) + 63 + ... : fast_float's detail::power(q), exact for |q| < 350 */
    int32_t power2 = (int32_t)((((152170 + 65536) * (int32_t)q) >> 16) + 63) + upperbit - lz + 1023;
    if (power2 <= 0) { /* subnormal (or zero) */
        if (-power2 + 1 >= 64) {
            *bits = 0;
            return 1;
        }
        mantissa >>= -power2 + 1;
        mantissa += mantissa & 1; /* no exact tie is possible here with w < 10^19 */
        mantissa >>= 1;
        /* rounding up may reach the smallest normal (2.2250738585072013e-308) */
        power2 = mantissa < (1ULL << 52) ? 0 : 1;
        *bits = ((uint64_t)power2 << 52) | (mantissa & ((1ULL << 52) - 1));
        return 1;
    }
    /* A tie (the dropped bits exactly one half) is possible only where 5^q fits in 64 bits,
     * -4 <= q <= 23: round to even there instead of up. */
    if (lo <= 1 && q >= -4 && q <= 23 && (mantissa & 3) == 1 && (mantissa << shift) == hi)
        mantissa &= ~1ULL;
    mantissa += mantissa & 1;
    mantissa >>= 1;
    if (mantissa >= (2ULL << 52)) {
        mantissa = 1ULL << 52;
        power2++;
    }
    mantissa &= ~(1ULL << 52);
    if (power2 >= 0x7FF) {
        *bits = 0x7FFULL << 52;
        return 1;
    }
    *bits = ((uint64_t)power2 << 52) | mantissa;
    return 1;
}

/* -- digits, eight at a time ----------------------------------------------------------------
 * SWAR ("SIMD within a register") digit runs, after fast_float's parse_eight_digits_unrolled
 * and is_made_of_eight_digits_fast (include/fast_float/ascii_number.h, credited there to
 * @aqrit): 8 bytes load into a uint64 (little-endian: the first character in the low byte);
 * the first non-digit is the lowest byte with its high bit set in
 * (v + 0x46..46) | (v - 0x30..30) (carries and borrows only move up, past that byte); a run of
 * n < 8 digits is shifted to the top and the bytes below filled with '0'. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    (defined(__GNUC__) || defined(__clang__))
#define CECE_SWAR 1
static inline uint64_t load8(const char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static inline int digit_run8(uint64_t v) {
    uint64_t m = ((v + 0x4646464646464646ULL) | (v - 0x3030303030303030ULL)) &
                 0x8080808080808080ULL;
    return m ? __builtin_ctzll(m) >> 3 : 8;
}
/* eight digit values (bytes 0-9, the first in the low byte) to their integer */
static inline uint64_t eight_values(uint64_t v) {
    const uint64_t mask = 0x000000FF000000FFULL;
    const uint64_t mul1 = 0x000F424000000064ULL; /* 100 + (1000000 << 32) */
    const uint64_t mul2 = 0x0000271000000001ULL; /* 1 + (10000 << 32) */
    v = (v * 10) + (v >> 8);
    v = (((v & mask) * mul1) + (((v >> 16) & mask) * mul2)) >> 32;
    return (uint32_t)v;
}
static inline uint64_t eight_digits(uint64_t v) {
    const uint64_t mask = 0x000000FF000000FFULL;
    const uint64_t mul1 = 0x000F424000000064ULL; /* 100 + (1000000 << 32) */
    const uint64_t mul2 = 0x0000271000000001ULL; /* 1 + (10000 << 32) */
    v -= 0x3030303030303030ULL;
    v = (v * 10) + (v >> 8);
    v = (((v & mask) * mul1) + (((v >> 16) & mask) * mul2)) >> 32;
    return (uint32_t)v;
}

#endif

/* -- the common field, off the critical path ---------------------------------------------------
 * Most fields are [+-], 1-7 integer digits, '.', 1-8 fraction digits (%.7g, %.6f, %g of logits
 * and probabilities). Parsing them one after the other, the start of each field waits for the
 * previous one's digits to be found, and that chain of loads and scans, not the arithmetic,
 * sets the pace. So the field ends come first, from a mask of the separators and line ends of
 * 64 bytes (SSE2 compares, every x86-64 CPU): the next field's start is one bit away, and the
 * parses of consecutive fields overlap in the out-of-order core.
 *
 * short_field(p, len) parses [p, p + len) when it is that shape: the digits of 16 bytes as a
 * mask, the only non-digit after the sign must be the '.', both digit runs to integers by
 * eight_digits, w = integer * 10^j + fraction (at most 15 digits: below 2^53, exact) and
 * Clinger's one division by the exact 10^j -- the operation, and so the double, number()'s
 * fast path takes on the same digits. Returns 0 for any other field (number() reads it). */
#if defined(CECE_SWAR) && defined(__SSE2__)
#define CECE_FIELDS 1

/* Bit k: p[k] is delim, '\n' or '\r' (k < 64). */
static inline uint64_t ends64(const char *p, __m128i d, __m128i nl, __m128i cr) {
    uint64_t m = 0;
    for (int k = 0; k < 4; k++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(p + 16 * k));
        __m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, nl)),
                                 _mm_cmpeq_epi8(v, cr));
        m |= (uint64_t)(unsigned)_mm_movemask_epi8(e) << (16 * k);
    }
    return m;
}

/* Reads 16 bytes from p and 8 from the '.' on: the caller leaves room. 1 <= len <= 16. */
static inline int short_field(const char *p, int len, double *out) {
    const __m128i v = _mm_sub_epi8(_mm_loadu_si128((const __m128i *)p), _mm_set1_epi8('0'));
    const unsigned digit =
        (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(9)), v));
    const char c = *p;
    const int neg = c == '-', s = neg | (c == '+');
    const unsigned other = ~digit & ((1u << len) - 1) & ~(unsigned)s; /* non-digits after sign */
    const int d = __builtin_ctz(other | 0x10000u);                     /* the '.', if any */
    const int i = d - s, j = len - d - 1;                              /* digits either side */
    if (other != (1u << d) || p[d] != '.' || i < 1 || i > 7 || j < 1 || j > 8) return 0;
    /* '0' taken from every byte first: the digits' bytes become their values and borrows of
     * the bytes after them only move up, out of the shift that keeps the digits (at the top,
     * zeros below: the leading zeros of eight_values' number) */
    const uint64_t zeros = 0x3030303030303030ULL;
    const uint64_t a = load8(p + s) - zeros, b = load8(p + d + 1) - zeros;
    const uint64_t units = i == 1 ? (a & 0xF) : eight_values(a << (8 * (8 - i))); /* logits */
    const uint64_t w = units * POW10_INT[j] + eight_values(b << (8 * (8 - j)));
    double x = (double)(int64_t)w / POW10[j];
    uint64_t bits; /* the sign without a branch: signs of logits are random */
    memcpy(&bits, &x, 8);
    bits |= (uint64_t)neg << 63;
    memcpy(out, &bits, 8);
    return 1;
}
#endif

/* Digits from p into *w (modulo 2^64: the caller re-reads runs of more than 19 digits). */
static inline const char *digits(const char *p, const char *end, uint64_t *w) {
    uint64_t x = *w;
#ifdef CECE_SWAR
    while (end - p >= 8) {
        uint64_t v = load8(p);
        int n = digit_run8(v);
        if (n == 0) {
            *w = x;
            return p;
        }
        if (n < 8) v = (v << (8 * (8 - n))) | (0x3030303030303030ULL >> (8 * n));
        x = x * POW10_INT[n] + eight_digits(v);
        p += n;
        if (n < 8) {
            *w = x;
            return p;
        }
    }
#endif
    while (p < end && (unsigned)(*p - '0') < 10) x = x * 10 + (uint64_t)(*p++ - '0');
    *w = x;
    return p;
}

/* The first 19 significant digits of [a, b) (digits and at most one '.') and the power of ten
 * that scales them: (w, dropped) with value = w * 10^dropped + (the rest). *rest_nonzero: a
 * digit after the 19th is not 0. */
static uint64_t first19(const char *a, const char *b, int64_t *dropped, int *rest_nonzero) {
    uint64_t w = 0;
    int taken = 0;
    int64_t left = 0;
    *rest_nonzero = 0;
    for (const char *p = a; p < b; p++) {
        if (*p == '.') continue;
        if (taken < 19) {
            if (w || *p != '0') {
                w = w * 10 + (uint64_t)(*p - '0');
                taken++;
            }
        } else {
            left++;
            if (*p != '0') *rest_nonzero = 1;
        }
    }
    *dropped = left;
    return w;
}

/* strtod on a copy of [a, b) (NUL-terminated), under a '.' locale; 0 where it cannot run. */
static int slow_strtod(const char *a, const char *b, double *out) {
    if (!point_is_dot()) return 0;
    size_t n = (size_t)(b - a);
    char small[128];
    char *buf = n < sizeof small ? small : malloc(n + 1);
    if (!buf) return 0;
    memcpy(buf, a, n);
    buf[n] = 0;
    *out = strtod(buf, NULL);
    if (buf != small) free(buf);
    return 1;
}

#if defined(__GNUC__) || defined(__clang__)
#define CECE_ALWAYS_INLINE __attribute__((always_inline))
#else
#define CECE_ALWAYS_INLINE
#endif

/* One number at p: its end, or NULL when [p, ...) is not a plain finite number. */
static inline CECE_ALWAYS_INLINE const char *number(const char *p, const char *end, double *out) {
    const char *field = p;
    int neg = 0;
    if (p < end && (*p == '-' || *p == '+')) neg = *p++ == '-';
    const char *first = p;
    uint64_t w = 0;
    /* integer parts are mostly short (one digit for logits): a byte at a time, then SWAR */
    while (p < end && (unsigned)(*p - '0') < 10 && p - first < 4) w = w * 10 + (uint64_t)(*p++ - '0');
    if (p - first == 4) p = digits(p, end, &w);
    int64_t ndigits = p - first, nfrac = 0;
    if (p < end && *p == '.') {
        const char *f = ++p;
        p = digits(p, end, &w);
        nfrac = p - f;
        ndigits += nfrac;
    }
    if (!ndigits) return NULL;
    const char *mant_end = p;
    int64_t e10 = -nfrac;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        int eneg = 0;
        int64_t ev = 0;
        if (p < end && (*p == '-' || *p == '+')) eneg = *p++ == '-';
        const char *e0 = p;
        while (p < end && (unsigned)(*p - '0') < 10) {
            if (ev < 100000000) ev = ev * 10 + (*p - '0');
            p++;
        }
        if (p == e0) return NULL;
        /* a saturated exponent (|e| >= 10^8) is exact enough while the digits cannot shift
         * the value back into range (fewer than 10^7 of them): 0 or inf either way */
        if (ev >= 100000000 && ndigits >= 10000000) return NULL;
        e10 += eneg ? -ev : ev;
    }
    int truncated = 0;
    if (ndigits > 19) { /* w wrapped, or leading zeros: re-read the significant digits */
        int64_t dropped;
        w = first19(first, mant_end, &dropped, &truncated);
        e10 += dropped;
    }
    double v;
    if (w == 0) {
        v = 0.0;
    } else if (!truncated && w <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
        v = e10 < 0 ? (double)w / POW10[-e10] : (double)w * POW10[e10];
    } else {
        uint64_t bits, bits_up;
        int ok = eisel_lemire(e10, w, &bits);
        /* truncated: the value lies in [w, w + 1) * 10^e10; both ends round alike, or ask */
        if (ok && truncated && !(eisel_lemire(e10, w + 1, &bits_up) && bits_up == bits)) ok = 0;
        if (ok) {
            if ((bits >> 52) == 0x7FF) return NULL; /* 1e400: the careful parser reports it */
            memcpy(&v, &bits, 8);
        } else {
            if (!slow_strtod(field, p, &v) || !isfinite(v)) return NULL;
            *out = v; /* strtod read the sign itself */
            return p;
        }
    }
    *out = neg ? -v : v;
    return p;
}

/* One field by number() and what follows it: blanks, then the delimiter, or for the last field
 * of a row the line end ('\n' or "\r\n"; none at the end of the text). NULL: not plain. */
static inline CECE_ALWAYS_INLINE const char *general_field(const char *p, const char *end,
                                                           char delim, char blank2, int last,
                                                           double *out) {
    while (p < end && (*p == ' ' || *p == blank2)) p++;
    p = number(p, end, out);
    if (!p) return NULL;
    while (p < end && (*p == ' ' || *p == blank2)) p++;
    if (!last) {
        if (p >= end || *p != delim) return NULL;
        p++;
    } else if (p < end) {
        if (*p == '\r') p++;
        if (p >= end || *p != '\n') return NULL;
        p++;
    }
    return p;
}

#ifdef CECE_FIELDS
/* general_field out of line, for the window's rare fallback: the windowed loop stays small */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static const char *general_field_call(const char *p, const char *end, char delim, char blank2,
                                      int last, double *out) {
    return general_field(p, end, delim, blank2, last, out);
}

typedef struct {
    const char *window; /* ends: the field ends in [window, window + 64) not yet passed */
    uint64_t ends;
    __m128i delim, nl, cr;
} Ends;

/* One field through the window of field ends: 1 read as a short field (its end is `want`), 0
 * read by general_field (the ends it went past dropped; the window stays), -1 not plain. */
static inline CECE_ALWAYS_INLINE int windowed_field(const char **pp, const char *end, Ends *e,
                                                     char want, int last, char delim,
                                                     char blank2, double *out) {
    const char *p = *pp;
    if (!e->ends && end - p >= 96) {
        e->window = p;
        e->ends = ends64(p, e->delim, e->nl, e->cr);
    }
    if (e->ends) { /* the field's end is known: [p, q), q > p unless the field is empty */
        const char *q = e->window + __builtin_ctzll(e->ends);
        const size_t n = (size_t)(q - p) - 1;
        if (n < 16 && (*q == want || (last && *q == '\r')) && short_field(p, (int)n + 1, out)) {
            e->ends &= e->ends - 1;
            if (*q == want) {
                *pp = q + 1;
                return 1;
            }
            if (q[1] == '\n') { /* CRLF: the '\n' is the next end, when in the window */
                const Py_ssize_t k = q - e->window;
                if (k < 63) e->ends &= ~(2ULL << k);
                *pp = q + 2;
                return 1;
            }
            e->ends = 0; /* a bare CR: the general path refuses it */
        }
    }
    p = general_field_call(p, end, delim, blank2, last, out);
    if (!p) return -1;
    e->ends = p - e->window < 64 ? e->ends & (~0ULL << (p - e->window)) : 0;
    *pp = p;
    return 0;
}
#endif

Py_ssize_t cece_parse_plain(const char *s, Py_ssize_t len, Py_ssize_t ncols, char delim,
                            double *out, Py_ssize_t cap) {
#if FLT_EVAL_METHOD != 0
    return -1; /* x87-style excess precision would double-round */
#endif
    const char *p = s, *end = s + len;
    Py_ssize_t rows = 0;
    const char blank2 = delim == '\t' ? ' ' : '\t';
#ifdef CECE_FIELDS
    Ends e = {p, 0, _mm_set1_epi8(delim), _mm_set1_epi8('\n'), _mm_set1_epi8('\r')};
    int rest = 0; /* rows to read without the window: its last try found no short field */
#endif
    while (p < end) {
        if (rows >= cap) return -1;
        double *row = out + rows * ncols;
#ifdef CECE_FIELDS
        if (!rest) {
            int short_fields = 0, r;
            for (Py_ssize_t col = 0; col + 1 < ncols; col++) {
                if ((r = windowed_field(&p, end, &e, delim, 0, delim, blank2, row + col)) < 0)
                    return -1;
                short_fields += r;
            }
            if ((r = windowed_field(&p, end, &e, '\n', 1, delim, blank2, row + ncols - 1)) < 0)
                return -1;
            rows++;
            /* a row of long numbers (%.18e): the next 64 rows skip the window, then try again */
            if (!(short_fields + r)) {
                rest = 64;
                e.ends = 0;
            }
            continue;
        }
        rest--;
#endif
        for (Py_ssize_t col = 0; col < ncols; col++) {
            p = general_field(p, end, delim, blank2, col + 1 == ncols, row + col);
            if (!p) return -1;
        }
        rows++;
    }
    return rows;
}

/* Newlines of a block (its rows), the main thread's pass over every block before the parse:
 * 16 bytes a compare (SSE2, every x86-64 CPU); the byte counts are summed by psadbw every 255
 * steps, before one could wrap. memchr per line costs a call per ~100 bytes instead. */
Py_ssize_t cece_count_byte(const char *s, Py_ssize_t len, char c) {
    Py_ssize_t n = 0;
    const char *p = s, *end = s + len;
#if defined(__SSE2__)
    const __m128i needle = _mm_set1_epi8(c), zero = _mm_setzero_si128();
    while (end - p >= 16) {
        __m128i counts = zero;
        for (int k = 0; k < 255 && end - p >= 16; k++, p += 16)
            counts = _mm_sub_epi8(counts,
                                  _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), needle));
        __m128i sums = _mm_sad_epu8(counts, zero);
        n += _mm_cvtsi128_si64(sums) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums));
    }
#endif
    for (; p < end; p++) n += *p == c;
    return n;
}
