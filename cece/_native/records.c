/*
 * Per-sample records as text (cece/report/records.py): a block of columns into one bytes
 * object of JSONL or CSV lines, the text Python's own path writes, byte for byte.
 *
 * format_records(prefixes, columns, kinds, suffix, csv) -> bytes or None
 *
 *   One record per row: prefixes[0], value of columns[0], prefixes[1], value of columns[1],
 *   ..., suffix. kinds has one letter a column:
 *     'f'  float64 array: repr(x + 0.0) (no "-0.0"); inf/nan as "inf"/"-inf"/"nan" — JSON
 *          strings in JSON, bare words in CSV (as json.dumps(plain(...)) and csv write them);
 *     'n'  the same, nan being "none": null in JSON, an empty CSV cell;
 *     'i'  int64 array; 'b' uint8 array (true/false);
 *     'o'  a list of str, None, True or False: JSON strings escaped as json.dumps does
 *          (ensure_ascii: \uXXXX, surrogate pairs past U+FFFF), null / true / false; in CSV
 *          the text itself, None an empty cell.
 *   None when the formatter declines the block (an object that is not one of those, or a CSV
 *   cell the csv module would quote): the caller then writes it with Python, which says the
 *   same thing slower. Numeric-only blocks are formatted with the GIL released.
 *
 * Floats: the shortest digits that round-trip (Ryu, vendored in ryu/, see ryu/NOTICE), laid
 * out as Python's repr lays them out (Python/pystrtod.c, format_float_short with mode 'r' and
 * Py_DTSF_ADD_DOT_0): positional when the decimal point falls within -4 < decpt <= 16
 * (1e-4 <= |x| < 1e16), with ".0" after an integer; otherwise d[.ddd]e±XX with at least two
 * exponent digits.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Ryu's public names are not part of this extension's interface. */
#define d2s_buffered_n cece_ryu_d2s_buffered_n
#define d2s_buffered cece_ryu_d2s_buffered
#define d2s cece_ryu_d2s
#include "ryu/d2s.c"

#include "records.h"

static const char PAIRS[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

/* The nd decimal digits of v (v < 10^nd), written backwards into p[0..nd). */
static inline void digits_at(char *p, uint64_t v, int nd) {
    while (v >> 32) { /* 64-bit quotients until the rest fits 32 bits */
        const uint64_t q = v / 100;
        memcpy(p + nd - 2, PAIRS + 2 * (v - 100 * q), 2);
        v = q;
        nd -= 2;
    }
    uint32_t w = (uint32_t)v;
    while (nd >= 2) {
        const uint32_t q = w / 100;
        memcpy(p + nd - 2, PAIRS + 2 * (w - 100 * q), 2);
        w = q;
        nd -= 2;
    }
    if (nd) p[0] = (char)('0' + w);
}

static inline int length20(uint64_t v) {
    int n = 1;
    while (v >= 10000) {
        v /= 10000;
        n += 4;
    }
    return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

static inline int itoa64(int64_t v, char *out) {
    int n = 0;
    uint64_t u = (uint64_t)v;
    if (v < 0) {
        out[n++] = '-';
        u = 0 - u;
    }
    const int nd = length20(u);
    digits_at(out + n, u, nd);
    return n + nd;
}

static const uint64_t POW10[18] = {1ull,
                                   10ull,
                                   100ull,
                                   1000ull,
                                   10000ull,
                                   100000ull,
                                   1000000ull,
                                   10000000ull,
                                   100000000ull,
                                   1000000000ull,
                                   10000000000ull,
                                   100000000000ull,
                                   1000000000000ull,
                                   10000000000000ull,
                                   100000000000000ull,
                                   1000000000000000ull,
                                   10000000000000000ull,
                                   100000000000000000ull};

/* repr(x) of a finite double, "-0.0" excluded (zero is written 0.0): at most 24 bytes.
 * out has room for 32 (the zero runs are written 16 at a time). */
static int cece_repr(double x, char *out) {
    const uint64_t bits = double_to_bits(x);
    const uint64_t mant = bits & ((1ull << DOUBLE_MANTISSA_BITS) - 1);
    const uint32_t expo = (uint32_t)((bits >> DOUBLE_MANTISSA_BITS) & 0x7ff);
    if (expo == 0 && mant == 0) {
        memcpy(out, "0.0", 3);
        return 3;
    }
    int n = 0;
    if (bits >> 63) out[n++] = '-';
    const floating_decimal_64 v = d2d(mant, expo);
    const int nd = (int)decimalLength17(v.mantissa);
    const int decpt = nd + v.exponent; /* x = 0.d1d2...dn * 10^decpt */
    if (decpt > -4 && decpt <= 16) {
        if (decpt <= 0) { /* 0.000ddd */
            memcpy(out + n, "0.000", 5);
            n += 2 - decpt;
            digits_at(out + n, v.mantissa, nd);
            return n + nd;
        }
        if (decpt < nd) { /* ddd.ddd */
            const uint64_t p = POW10[nd - decpt], hi = v.mantissa / p;
            digits_at(out + n, hi, decpt);
            n += decpt;
            out[n++] = '.';
            digits_at(out + n, v.mantissa - hi * p, nd - decpt);
            return n + nd - decpt;
        }
        digits_at(out + n, v.mantissa, nd); /* ddd000.0 */
        n += nd;
        memcpy(out + n, "0000000000000000", 16);
        n += decpt - nd;
        memcpy(out + n, ".0", 2);
        return n + 2;
    }
    const uint64_t p = POW10[nd - 1], first = v.mantissa / p; /* d.ddde+XX */
    out[n++] = (char)('0' + first);
    if (nd > 1) {
        out[n++] = '.';
        digits_at(out + n, v.mantissa - first * p, nd - 1);
        n += nd - 1;
    }
    int e = decpt - 1;
    out[n++] = 'e';
    out[n++] = e < 0 ? '-' : '+';
    if (e < 0) e = -e;
    if (e >= 100) {
        out[n++] = (char)('0' + e / 100);
        e %= 100;
    }
    memcpy(out + n, PAIRS + 2 * e, 2);
    return n + 2;
}

/* NUMBER_MAX: room for one number (cece_repr writes up to 34 bytes, 24 of them kept);
 * PAD: prefixes and suffixes up to PAD bytes are copied PAD bytes at a time. */
enum { COLS_MAX = 128, NUMBER_MAX = 40, PAD = 32 };

/* A growing output buffer. */
typedef struct {
    char *p;
    size_t len, cap;
} buf_t;

static int reserve(buf_t *b, size_t more) {
    if (b->len + more <= b->cap) return 0;
    size_t cap = b->cap ? b->cap : 1 << 16;
    while (cap < b->len + more) cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

static inline void put(buf_t *b, const char *s, size_t n) {
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* A short text of n bytes, padded to PAD in pad; b has room for PAD bytes (or n). */
static inline void put_padded(buf_t *b, const char *pad, const char *s, size_t n) {
    if (n <= PAD)
        memcpy(b->p + b->len, pad, PAD);
    else
        memcpy(b->p + b->len, s, n);
    b->len += n;
}

static inline size_t padded(Py_ssize_t n) { return n <= PAD ? PAD : (size_t)n; }

typedef struct {
    const char *prefix;
    Py_ssize_t prefix_len;
    char pad[PAD];      /* the prefix, zero-padded, where it fits */
    char kind;
    const void *data;   /* numeric columns */
    PyObject **items;   /* 'o' columns (a list's items) */
} column_t;

static const char HEX[] = "0123456789abcdef";

/* json.dumps(s) with ensure_ascii (Modules/_json.c, ascii_escape_unichar). */
static int json_string(buf_t *b, PyObject *s) {
    const Py_ssize_t len = PyUnicode_GET_LENGTH(s);
    const int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    if (reserve(b, (size_t)len * 12 + 2) < 0) return -1;
    char *o = b->p + b->len;
    *o++ = '"';
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (c >= ' ' && c <= '~' && c != '\\' && c != '"') {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        switch (c) {
        case '\\': *o++ = '\\'; continue;
        case '"': *o++ = '"'; continue;
        case '\b': *o++ = 'b'; continue;
        case '\f': *o++ = 'f'; continue;
        case '\n': *o++ = 'n'; continue;
        case '\r': *o++ = 'r'; continue;
        case '\t': *o++ = 't'; continue;
        default: break;
        }
        if (c >= 0x10000) {
            const Py_UCS4 v = c - 0x10000;
            const Py_UCS4 hi = 0xd800 | ((v >> 10) & 0x3ff);
            c = 0xdc00 | (v & 0x3ff);
            *o++ = 'u';
            *o++ = HEX[(hi >> 12) & 0xf];
            *o++ = HEX[(hi >> 8) & 0xf];
            *o++ = HEX[(hi >> 4) & 0xf];
            *o++ = HEX[hi & 0xf];
            *o++ = '\\';
        }
        *o++ = 'u';
        *o++ = HEX[(c >> 12) & 0xf];
        *o++ = HEX[(c >> 8) & 0xf];
        *o++ = HEX[(c >> 4) & 0xf];
        *o++ = HEX[c & 0xf];
    }
    *o++ = '"';
    b->len = (size_t)(o - b->p);
    return 0;
}

/* A CSV cell as text: 1 done, 0 declined (the csv module would quote it, or the text is not
 * UTF-8-encodable), -1 out of memory. */
static int csv_string(buf_t *b, PyObject *s) {
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);
    if (u == NULL) {
        PyErr_Clear();
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        const char c = u[i];
        if (c == ',' || c == '"' || c == '\n' || c == '\r') return 0;
    }
    if (reserve(b, (size_t)n) < 0) return -1;
    put(b, u, (size_t)n);
    return 1;
}

/* One float cell; b has room for NUMBER_MAX bytes. */
static inline void float_cell(buf_t *b, double x, int nullable, int csv) {
    if (isfinite(x)) {
        b->len += (size_t)cece_repr(x, b->p + b->len);
    } else if (isnan(x) && nullable) {
        if (!csv) put(b, "null", 4);
    } else {
        const char *t = isnan(x) ? "nan" : x > 0 ? "inf" : "-inf";
        const size_t tn = strlen(t);
        if (!csv) b->p[b->len++] = '"';
        put(b, t, tn);
        if (!csv) b->p[b->len++] = '"';
    }
}

/* A numeric cell; b has room for NUMBER_MAX bytes. */
static inline void numeric_cell(buf_t *b, const column_t *c, Py_ssize_t i, int csv) {
    switch (c->kind) {
    case 'f':
    case 'n':
        float_cell(b, ((const double *)c->data)[i], c->kind == 'n', csv);
        break;
    case 'i':
        b->len += (size_t)itoa64(((const int64_t *)c->data)[i], b->p + b->len);
        break;
    default: /* 'b' */
        if (((const uint8_t *)c->data)[i])
            put(b, "true", 4);
        else
            put(b, "false", 5);
    }
}

/* The widest text a row of numeric columns can take. */
static size_t row_width(const column_t *cols, int ncols, Py_ssize_t suffix_len) {
    size_t width = padded(suffix_len);
    for (int j = 0; j < ncols; j++) width += padded(cols[j].prefix_len) + NUMBER_MAX;
    return width;
}

/* Rows [0, n) of numeric columns into b, which has room for n rows of row_width. No Python
 * calls: run GIL-free. */
static void numeric_rows(buf_t *b, const column_t *cols, int ncols, Py_ssize_t n,
                         const column_t *end, int csv) {
    for (Py_ssize_t i = 0; i < n; i++) {
        for (int j = 0; j < ncols; j++) {
            put_padded(b, cols[j].pad, cols[j].prefix, (size_t)cols[j].prefix_len);
            numeric_cell(b, &cols[j], i, csv);
        }
        put_padded(b, end->pad, end->prefix, (size_t)end->prefix_len);
    }
}

/* Rows with object columns (GIL held): 1 done, 0 declined, -1 out of memory. */
static int object_rows(buf_t *b, const column_t *cols, int ncols, Py_ssize_t n,
                       const column_t *end, int csv) {
    const size_t width = row_width(cols, ncols, end->prefix_len);
    for (Py_ssize_t i = 0; i < n; i++) {
        for (int j = 0; j < ncols; j++) {
            const column_t *c = &cols[j];
            if (reserve(b, width) < 0) return -1;
            put_padded(b, c->pad, c->prefix, (size_t)c->prefix_len);
            if (c->kind != 'o') {
                numeric_cell(b, c, i, csv);
                continue;
            }
            PyObject *v = c->items[i];
            if (v == Py_None) {
                if (!csv) put(b, "null", 4);
            } else if (v == Py_True) {
                put(b, "true", 4);
            } else if (v == Py_False) {
                put(b, "false", 5);
            } else if (!PyUnicode_CheckExact(v)) {
                return 0;
            } else if (csv) {
                const int r = csv_string(b, v);
                if (r <= 0) return r;
            } else if (json_string(b, v) < 0) {
                return -1;
            }
        }
        if (reserve(b, width) < 0) return -1;
        put_padded(b, end->pad, end->prefix, (size_t)end->prefix_len);
    }
    return 1;
}

static void set_text(column_t *c, const char *s, Py_ssize_t n) {
    c->prefix = s;
    c->prefix_len = n;
    memset(c->pad, 0, PAD);
    if (n <= PAD) memcpy(c->pad, s, (size_t)n);
}

PyObject *py_format_records(PyObject *self, PyObject *args) {
    PyObject *prefixes, *columns;
    const char *kinds, *suffix;
    Py_ssize_t nkinds, suffix_len;
    int csv;
    (void)self;
    if (!PyArg_ParseTuple(args, "O!O!s#y#p", &PyList_Type, &prefixes, &PyList_Type, &columns,
                          &kinds, &nkinds, &suffix, &suffix_len, &csv))
        return NULL;
    const Py_ssize_t ncols = PyList_GET_SIZE(columns);
    if (ncols < 1 || ncols > COLS_MAX || PyList_GET_SIZE(prefixes) != ncols || nkinds != ncols) {
        PyErr_SetString(PyExc_ValueError, "format_records: columns, prefixes and kinds differ");
        return NULL;
    }
    column_t cols[COLS_MAX], end;
    Py_buffer views[COLS_MAX];
    int nviews = 0, objects = 0;
    Py_ssize_t n = -1;
    PyObject *result = NULL;
    buf_t b = {NULL, 0, 0};
    set_text(&end, suffix, suffix_len);
    for (Py_ssize_t j = 0; j < ncols; j++) {
        PyObject *p = PyList_GET_ITEM(prefixes, j), *col = PyList_GET_ITEM(columns, j);
        column_t *c = &cols[j];
        Py_ssize_t len;
        if (!PyBytes_Check(p)) {
            PyErr_SetString(PyExc_TypeError, "format_records: prefixes are bytes");
            goto done;
        }
        set_text(c, PyBytes_AS_STRING(p), PyBytes_GET_SIZE(p));
        c->kind = kinds[j];
        c->data = NULL;
        c->items = NULL;
        if (c->kind == 'o') {
            if (!PyList_Check(col)) {
                PyErr_SetString(PyExc_TypeError, "format_records: an 'o' column is a list");
                goto done;
            }
            c->items = PySequence_Fast_ITEMS(col);
            len = PyList_GET_SIZE(col);
            objects = 1;
        } else {
            if (c->kind == 0 || strchr("fnib", c->kind) == NULL) {
                PyErr_Format(PyExc_ValueError, "format_records: unknown kind %c", c->kind);
                goto done;
            }
            if (PyObject_GetBuffer(col, &views[nviews], PyBUF_C_CONTIGUOUS) < 0) goto done;
            c->data = views[nviews].buf;
            len = views[nviews].len / (c->kind == 'b' ? 1 : 8);
            nviews++;
        }
        if (n >= 0 && len != n) {
            PyErr_SetString(PyExc_ValueError, "format_records: columns of different lengths");
            goto done;
        }
        n = len;
    }
    if (!objects) { /* the text's bound is known: into the bytes object itself */
        const size_t width = row_width(cols, (int)ncols, suffix_len);
        if ((size_t)n > (size_t)PY_SSIZE_T_MAX / width) {
            PyErr_NoMemory();
            goto done;
        }
        result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)(width * (size_t)n));
        if (result == NULL) goto done;
        buf_t out = {PyBytes_AS_STRING(result), 0, width * (size_t)n};
        Py_BEGIN_ALLOW_THREADS
        numeric_rows(&out, cols, (int)ncols, n, &end, csv);
        Py_END_ALLOW_THREADS
        _PyBytes_Resize(&result, (Py_ssize_t)out.len); /* NULL, MemoryError set, on failure */
        goto done;
    }
    const int r = object_rows(&b, cols, (int)ncols, n, &end, csv);
    if (r < 0)
        PyErr_NoMemory();
    else if (r == 0)
        result = Py_NewRef(Py_None);
    else
        result = PyBytes_FromStringAndSize(b.p ? b.p : "", (Py_ssize_t)b.len);
done:
    for (int k = 0; k < nviews; k++) PyBuffer_Release(&views[k]);
    free(b.p);
    return result;
}

PyObject *py_float_repr(PyObject *self, PyObject *arg) {
    /* repr() of one finite float through the formatter (tests hold it to Python's repr). */
    char out[NUMBER_MAX];
    (void)self;
    const double x = PyFloat_AsDouble(arg);
    if (x == -1.0 && PyErr_Occurred()) return NULL;
    if (!isfinite(x)) {
        PyErr_SetString(PyExc_ValueError, "float_repr: a finite float");
        return NULL;
    }
    return PyUnicode_FromStringAndSize(out, cece_repr(x, out));
}
