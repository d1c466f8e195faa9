/*
 * cece._native._fast: the hot loops of cece, fused, in double precision, for AVX2 CPUs; and
 * the Python glue of the whole extension (the plain-text parser is in parse.c, the SIMD
 * building blocks in simd.h).
 *
 *   softmax_index(x, c, y, nll, correct, predicted[, temperature]) -> non-finite rows seen
 *       x: (n, c) float16/bfloat16/float32/float64 logits, C order (bfloat16: an unstructured
 *       2-byte array, numpy's |V2, as cece holds bfloat16 bits); y: (n,) int64 class indices
 *       nll[i] = log1p(sum_{j != argmax} exp(x_ij - m_i)) + (m_i - x_{i,y_i}), in float64
 *       temperature T (default 1): the logits are x / T, as F.cross_entropy(x / T, y), divided
 *       inside the pass (no copy): float16/bfloat16/float32 rows compute (x - m) / T to ~48
 *       bits (T within [1e-30, 1e30]; cece divides outside the kernel beyond), float64 rows
 *       divide each logit by T as numpy does (x / T must not overflow: T >= 1 in cece)
 *       predicted[i] = argmax_j x_ij (first index of the maximum, as numpy/PyTorch); None:
 *       not stored (each row's outputs depend on that row alone: a later call on some rows
 *       gives theirs, to the bit); the 8 bytes a row of writes cost ~7% of a 10-class pass
 *       correct[i] = argmax_j x_ij == y_i
 *     -inf logits are classes of probability 0; rows holding NaN or +inf, or only -inf, are
 *     counted (and their outputs NaN, 0, 0): the caller reports where.
 *     The labels are checked before their rows are read, 4096 rows at a time: if some y[i]
 *     is outside 0..c-1, the result is -2 - i for the first such row i, and no row from i's
 *     4096 on is read (those before may have been computed; -1: out of memory).
 *   bce_logits(x, k, y, pos_weight, threshold_logit, loss, correct[, stats])
 *                                             -> (rows with NaN/+inf, any soft target)
 *       x, y: (n, k) float16/bfloat16/32/64 logits and float32/64 targets in [0, 1]
 *       loss[i] = sum_j w_j y_ij softplus(-x_ij) + (1 - y_ij) softplus(x_ij), 0 * inf = 0
 *       (a -inf logit: 0 on target 0, inf on a target above 0); float32 logits by a
 *       division-free log1p(e^-|x|) in double lanes (~5e-9 relative), the others by exp4 and
 *       log1p_unit4 (within ~2 ulp; float64 logits in one column 8 lanes a vector with AVX-512)
 *       correct[i] = #{j : (x_ij > threshold_logit) == (y_ij >= 0.5)}
 *       stats (4 float64, optional): the first row whose target is outside [0, 1] or NaN (-1:
 *       none; every target is checked in the pass), and for k = 1 the sum of correct and the
 *       minimum and maximum of loss (exact in any order)
 *   bce_probs(p, k, y, pos_weight, threshold, eps, loss, correct, stats) -> (clipped, soft)
 *       the same sums from probabilities clipped to [eps, 1 - eps], one float64 logarithm
 *       (log_d4, within 2.4e-16) per hard target; the probabilities are not checked here
 *   neg_log_clip(v, out, eps, ext): -log clip(v, eps, 1 - eps) of float64 values, by log_d4
 *   exp_log(x, e, lg): exp and log of float64 values (the tests hold them to libm)
 *   parse_plain(text, ncols, delimiter, out), count_byte(text, byte): parse.c
 *   available() -> whether this CPU runs the kernels (x86-64 with AVX2, FMA and F16C)
 *   simd([name]) -> "avx512" | "avx2" | "none": the softmax kernels' instruction set; a name
 *       switches to it (ValueError where this CPU does not run it)
 *
 * Why: every numpy pass is a trip through memory; this file makes one pass per row (two reads
 * of a long row, the second from cache), converts float16 (F16C) and bfloat16 (a 16-bit shift,
 * exact) on the fly, and releases the GIL so blocks run on all cores: a bfloat16 dump costs
 * what its float16 twin does, with no float32 copy. float64 logits are computed in double
 * (exp4; few classes log1p_d4, many libm's log1p); 16/32-bit logits in float32 lanes, x - m split exactly (exp_sub8:
 * vexp.h), the terms summed and the log taken in double: within ~1e-7 of the
 * float64 result for every row, tested on rows built to break it
 * (tests/test_kernel_accuracy.py). Few classes (< 64): tiles of 128 rows transposed so that a
 * vector lane is a row; many: a row at a time, a vector of classes a step. The 16/32-bit
 * kernels are written once (softmax_f.h, isa.h) and built twice: 8 floats a vector (AVX2) and
 * 16 (AVX-512 F/BW/VL/DQ), the wider chosen when the module loads where the CPU has it
 * (CECE_SIMD=avx2 keeps AVX2; simd() says which runs, tests/test_kernel_isa.py checks both).
 * float64 logits with few classes run 4 or 8 lanes likewise (the same bits); with many classes
 * or a temperature, AVX2 on either. BCE of float32 logits in one column follows
 * the same switch (8 double lanes, the AVX2 loop's operations: the same bits,
 * tests/test_bce_isa.py); other BCE inputs run AVX2.
 *
 * softmax_index, bce_logits and exp_log raise RuntimeError where available() is false; the
 * parser runs anywhere. cece/_native/__init__.py is the one place that chooses between these
 * and the numpy versions (cece/_native/_numpy.py, the same signatures).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "records.h"
#include "simd.h"

/* What bce_rows reports beside its outputs: the first row holding a target outside [0, 1] (or
   -1), and for one column the sum of `correct` and the extrema of `loss` (exact whatever the
   order, so the caller's sums of them are the same to the bit); bce_probs_rows also the extrema
   of the probabilities it read, for one column (NaN both where one is NaN): the check of their
   range, without a pass of its own. Outside the x86 part: the Python glue fills it on any CPU. */
typedef struct {
    Py_ssize_t bad_target_row;
    double correct_sum, loss_min, loss_max, x_min, x_max;
} BceStats;

static int CPU_OK;  /* cpu_ok(), once, when the module loads */

static int cpu_ready(void) {
    if (!CPU_OK)
        PyErr_SetString(PyExc_RuntimeError,
                        "cece's compiled kernels are not available on this CPU");
    return CPU_OK;
}

/* The first row whose label is outside 0..c-1, or -1: checked before their rows are read. 256
   labels at a time without a branch (the compiler's vector compares), then the first bad one
   found one at a time: an early exit in every step would keep the loop scalar (it was ~3 % of
   a 10-class pass in cache, by perf; ~1 % now). On x86 it is called after cpu_ok(). */
#if CECE_X86
TARGET
#endif
static Py_ssize_t first_bad_label(const int64_t *y, Py_ssize_t n, Py_ssize_t c) {
    Py_ssize_t i = 0;
    for (; i + 256 <= n; i += 256) {
        uint64_t any = 0;
        for (int k = 0; k < 256; k++) any |= (uint64_t)y[i + k] >= (uint64_t)c;
        if (any) break;
    }
    for (; i < n; i++)
        if ((uint64_t)y[i] >= (uint64_t)c) return i;
    return -1;
}

/* The vector width of the float softmax kernels (softmax_f.h): 16 floats (AVX-512) where the
   CPU runs them (cpu_avx512()), else 8 (AVX2). Set when the module loads; CECE_SIMD=avx2 in the
   environment keeps 8 on any CPU (any other value: the widest this CPU runs). simd() says
   which runs, simd("avx2" | "avx512") switches (the tests check both paths in one process). */
static int SIMD_WIDTH = 8;

static void simd_init(void) {
    const char *e = getenv("CECE_SIMD");
    SIMD_WIDTH = cpu_avx512() && !(e && strcmp(e, "avx2") == 0) ? 16 : 8;
}

static PyObject *py_simd(PyObject *self, PyObject *args) {
    const char *name = NULL;
    if (!PyArg_ParseTuple(args, "|s", &name)) return NULL;
    if (name && strcmp(name, "avx2") == 0 && CPU_OK) {
        SIMD_WIDTH = 8;
    } else if (name && strcmp(name, "avx512") == 0 && cpu_avx512()) {
        SIMD_WIDTH = 16;
    } else if (name) {
        PyErr_Format(PyExc_ValueError, "simd: this CPU does not run the %s kernels", name);
        return NULL;
    }
    return PyUnicode_FromString(!CPU_OK ? "none" : SIMD_WIDTH == 16 ? "avx512" : "avx2");
}

#if CECE_X86

/* -- softmax cross-entropy, index targets ---------------------------------------------------- */

/* A vector of 4 that is set where a value is NaN or +inf (not < +inf), OR-ed into `flag`.
   -inf is a logit like any other: a class of probability 0 (e^(-inf - m) = 0 exactly). */
#define FLAG_NONFINITE(flag, v) \
    (flag) = _mm256_or_pd((flag), _mm256_cmp_pd((v), _mm256_set1_pd(INFINITY), _CMP_NLT_UQ))
#define FLAG_NONFINITE_PS(v) _mm256_cmp_ps((v), _mm256_set1_ps(INFINITY), _CMP_NLT_UQ)

#define SCALE4(v) (scaled ? _mm256_div_pd((v), tv) : (v))

/* s + e into s, the rounding error added into comp (Neumaier's TwoSum, lane by lane): a row's
   terms summed with an error that does not grow with its length. Plain sums in 4 lanes were
   up to 1813 ulp off at 50257 classes (26 at 4096); the numpy path's pairwise sums are within
   1. */
#define ADD_COMPENSATED(s, comp, e)                                                      \
    do {                                                                                 \
        const __m256d t_ = _mm256_add_pd((s), (e));                                      \
        const __m256d big_ = _mm256_cmp_pd(_mm256_andnot_pd(_mm256_set1_pd(-0.0), (s)),  \
                                           _mm256_andnot_pd(_mm256_set1_pd(-0.0), (e)),  \
                                           _CMP_GE_OQ);                                  \
        const __m256d hi_ = _mm256_blendv_pd((e), (s), big_);                            \
        const __m256d lo_ = _mm256_blendv_pd((s), (e), big_);                            \
        (comp) = _mm256_add_pd((comp), _mm256_add_pd(_mm256_sub_pd(hi_, t_), lo_));      \
        (s) = t_;                                                                        \
    } while (0)

#define SOFTMAX_ROWS(NAME, T, KIND)                                                              \
TARGET static Py_ssize_t NAME(const T *x, Py_ssize_t n, Py_ssize_t c, const int64_t *y,         \
                              double *nll, uint8_t *correct, int64_t *pred, double temp) {      \
    Py_ssize_t bad = 0;                                                                          \
    double rest[4], base[4];                                                                     \
    const __m256d lane = _mm256_set_pd(3.0, 2.0, 1.0, 0.0);                                      \
    const int scaled = temp != 1.0;  /* x / T, each logit, as numpy divides them */              \
    const __m256d tv = _mm256_set1_pd(temp);                                                     \
    for (Py_ssize_t i0 = 0; i0 < n; i0 += 4) {                                                   \
        Py_ssize_t rows = n - i0 < 4 ? n - i0 : 4;                                               \
        for (Py_ssize_t r = 0; r < rows; r++) {                                                  \
            Py_ssize_t i = i0 + r;                                                               \
            const T *row = x + (size_t)i * c;                                                    \
            Py_ssize_t top = scaled ? row_argmax_scaled(row, c, temp) : row_argmax_##T(row, c);  \
            double m = elem(row, top, KIND) / temp;                                              \
            const __m256d mm = _mm256_set1_pd(m), tt = _mm256_set1_pd((double)top);             \
            __m256d s = _mm256_setzero_pd(), comp = s, flag = _mm256_setzero_pd();              \
            Py_ssize_t j = 0;                                                                    \
            for (; j + 4 <= c; j += 4) {                                                         \
                __m256d v = SCALE4(load4(row, j, KIND));                                         \
                FLAG_NONFINITE(flag, v);                                                         \
                __m256d e = exp4(_mm256_sub_pd(v, mm));                                          \
                __m256d at_top = _mm256_cmp_pd(_mm256_add_pd(lane, _mm256_set1_pd((double)j)),   \
                                               tt, _CMP_EQ_OQ);                                  \
                ADD_COMPENSATED(s, comp, _mm256_andnot_pd(at_top, e));                           \
            }                                                                                    \
            if (j < c) {                                                                         \
                __m256d v = SCALE4(load_tail(row, j, c - j, KIND, -INFINITY));                   \
                __m256d live = _mm256_cmp_pd(_mm256_add_pd(lane, _mm256_set1_pd((double)j)),     \
                                             _mm256_set1_pd((double)c), _CMP_LT_OQ);             \
                FLAG_NONFINITE(flag, _mm256_and_pd(v, live));                                    \
                __m256d e = exp4(_mm256_sub_pd(v, mm));                                          \
                __m256d at_top = _mm256_cmp_pd(_mm256_add_pd(lane, _mm256_set1_pd((double)j)),   \
                                               tt, _CMP_EQ_OQ);                                  \
                ADD_COMPENSATED(s, comp, _mm256_andnot_pd(at_top, e));                           \
            }                                                                                    \
            if (_mm256_movemask_pd(flag) || m == -INFINITY) { /* NaN, +inf, all -inf: */      \
                bad++;                                                                           \
                rest[r] = 0.0;                                                                   \
                base[r] = NAN;                                                                   \
                correct[i] = 0;                                                                  \
                if (pred) pred[i] = 0;                                                           \
                continue;                                                                        \
            }                                                                                    \
            rest[r] = hsum4(_mm256_add_pd(s, comp));                                             \
            base[r] = m - elem(row, y[i], KIND) / temp;                                          \
            if (pred) pred[i] = top;                                                             \
            correct[i] = top == y[i];                                                            \
        }                                                                                        \
        /* float64 logits: libm's log1p (correctly rounded in practice), so results match the \
           numpy path and PyTorch to the last bit more often than the vector log would */      \
        for (Py_ssize_t r = 0; r < rows; r++) nll[i0 + r] = log1p(rest[r]) + base[r];          \
    }                                                                                            \
    return bad;                                                                                  \
}

/* First index of the row maximum (NaN is never the maximum; NaN rows are flagged anyway). */
TARGET __attribute__((unused)) static Py_ssize_t row_argmax_float(const float *row, Py_ssize_t c) {
    Py_ssize_t j = 0;
    float m = row[0];
    if (c >= 32) {  /* vector maximum, then the first index that attains it */
        __m256 v = _mm256_loadu_ps(row);
        for (j = 8; j + 8 <= c; j += 8) v = _mm256_max_ps(v, _mm256_loadu_ps(row + j));
        float t[8];
        _mm256_storeu_ps(t, v);
        for (int q = 0; q < 8; q++) if (t[q] > m) m = t[q];
        for (; j < c; j++) if (row[j] > m) m = row[j];
        for (j = 0; j < c; j++) if (row[j] == m) return j;
        return 0;
    }
    Py_ssize_t top = 0;
    for (j = 1; j < c; j++) if (row[j] > m) { m = row[j]; top = j; }
    return top;
}

TARGET static Py_ssize_t row_argmax_double(const double *row, Py_ssize_t c) {
    double m = row[0];
    Py_ssize_t top = 0;
    for (Py_ssize_t j = 1; j < c; j++) if (row[j] > m) { m = row[j]; top = j; }
    return top;
}

/* The first index of the maximum of row / t (two logits may round to one value / t). */
TARGET static Py_ssize_t row_argmax_scaled(const double *row, Py_ssize_t c, double t) {
    double m = row[0] / t;
    Py_ssize_t top = 0;
    for (Py_ssize_t j = 1; j < c; j++) if (row[j] / t > m) { m = row[j] / t; top = j; }
    return top;
}

TARGET __attribute__((unused)) static Py_ssize_t row_argmax_uint16_t(const uint16_t *row, Py_ssize_t c) {
    float m = _cvtsh_ss(row[0]);
    Py_ssize_t top = 0;
    for (Py_ssize_t j = 1; j < c; j++) {
        float v = _cvtsh_ss(row[j]);
        if (v > m) { m = v; top = j; }
    }
    return top;
}

SOFTMAX_ROWS(softmax_rows_f64, double, F64)

/* -- float16/float32 logits: float32 lanes, double sums --------------------------------------- */

#define TILE 128  /* rows transposed at a time (few classes) */

/* Software prefetch in the few-classes kernels: while a tile is computed, each of its steps
   asks for its share of the rows AHEAD rows further on (into L2), so the tile loader finds
   them there. The tile loader's reads alone (a tile's lines in a burst, then the tile's
   compute) leave the memory idle while the core computes and the core idle while it reads:
   on rows read from the page cache (10^7 x 10 float32 over a memory map, one core, the
   engine's blocks, bench/builds.py) the AVX-512 pass took 0.117 s without these prefetches
   and 0.062 s with them (the floor's float64 sum of the same map 0.062); AVX2 0.101 and
   0.096. A burst of the next tile's lines at the start of each tile (tried before) cost
   20 %: spread over the steps, they overlap the compute. Offsets in bytes from x; nothing
   at or past `limit` (the bytes the caller may read from x) is asked for. */
#define AHEAD (2 * TILE)
static inline void prefetch_span(const char *x, size_t from, size_t bytes, size_t limit) {
    size_t to = from + bytes < limit ? from + bytes : limit;
    uintptr_t base = (uintptr_t)x;
    for (uintptr_t a = (base + from) & ~(uintptr_t)63; a < base + to; a += 64)
        _mm_prefetch((const char *)a, _MM_HINT_T2);
}

/* A step's share: the `rows` rows (of c values of `size` bytes) AHEAD rows past row i */
static inline void prefetch_ahead(const void *x, Py_ssize_t i, Py_ssize_t rows, Py_ssize_t c,
                                  size_t size, size_t limit) {
    prefetch_span(x, (size_t)(i + AHEAD) * c * size, (size_t)rows * c * size, limit);
}

/* Finish 4 rows: nll = log1p(rest) + (m - x_y), all in double. */
TARGET static inline void finish4(const double *rest, const double *base, double *nll,
                                  Py_ssize_t rows) {
    double o[4];
    _mm256_storeu_pd(o, _mm256_add_pd(log1p_tab4(_mm256_loadu_pd(rest)), _mm256_loadu_pd(base)));
    for (Py_ssize_t r = 0; r < rows; r++) nll[r] = o[r];
}

/* Rows whose sum of the non-maximal terms is below this are summed again in double: exp_sub8
   gives 0 (or a subnormal) for terms below ~1.2e-38, so each class may be off by that much;
   above c * 2e-30 that is below 6e-9 of the sum. */
static inline double underflow_risk(Py_ssize_t c) { return 2e-30 * (double)c; }

static double rest_exact_row(const char *row, int kind, Py_ssize_t c, Py_ssize_t top,
                             double m, double temp) {
    double s = 0.0;
    for (Py_ssize_t j = 0; j < c; j++)
        if (j != top) s += exp((elem_plain(row, j, kind) - m) / temp);
    return s;
}

/* 1/T as two floats (s_hi + s_lo, ~48 bits), for exp_sub8 with a scale. */
static void split_scale(double temp, float *s_hi, float *s_lo) {
    double s = 1.0 / temp;
    *s_hi = (float)s;
    *s_lo = (float)(s - (double)*s_hi);
}

#define INLINE __attribute__((always_inline)) inline

/* 4 values at p (element i of a row of `kind`) as floats */
TARGET static inline __m128 load4_f(const char *p, Py_ssize_t i, int kind) {
    if (kind == F32) return _mm_loadu_ps((const float *)p + i);
    __m128i h = _mm_loadl_epi64((const __m128i *)((const uint16_t *)p + i));
    if (kind == BF16) return _mm_castsi128_ps(_mm_slli_epi32(_mm_cvtepu16_epi32(h), 16));
    return _mm_cvtph_ps(h);
}

/* The tile of rows i0.. (`rows` of them) as floats, transposed: t[j * TILE + r] = x[i0 + r][j]
   (t has room for the classes rounded up to 8); the rest of the tile (rows < TILE) zeros.
   8 rows x 8 classes at a time by an in-register transpose, where reading 8 classes from the
   last row's class j stays inside x; the rest one value at a time. */
TARGET static void load_tile_avx2(const char *x, int kind, Py_ssize_t n, Py_ssize_t i0,
                                  Py_ssize_t rows, Py_ssize_t c, float *t) {
    const size_t size = KSIZE(kind), stride = (size_t)c * size;
    /* No software prefetch of the next tile: the hardware's stream prefetch keeps up with these
       sequential reads, and prefetching each of the next tile's lines cost 20 % of the pass on
       rows read from the page cache (10⁷ x 10 float32 over a memory map: 96 -> 77 ms on one
       core, 51 -> 40 ms on two; in cache the same). */
    /* the last value an 8 x 8 step reads: row i0 + r0 + 7, class c8 - 1 (c8 = c rounded up
       to 8), so the step stays inside x while (i0 + r0 + 7) c + c8 <= n c */
    const Py_ssize_t c8 = (c + 7) & ~(Py_ssize_t)7;
    Py_ssize_t r0 = 0;
    for (; r0 + 8 <= rows && (i0 + r0 + 7) * c + c8 <= n * c; r0 += 8) {
        const char *p = x + (size_t)(i0 + r0) * stride;
        for (Py_ssize_t j = 0; j < c; j += 8) {
            __m256 a[4], b[4];
            for (int q = 0; q < 4; q++) {
                const char *lo = p + q * stride, *hi = p + (q + 4) * stride;
                a[q] = _mm256_insertf128_ps(_mm256_castps128_ps256(load4_f(lo, j, kind)),
                                            load4_f(hi, j, kind), 1);
            }
            float *d = t + j * TILE + r0;
            __m256 t0 = _mm256_unpacklo_ps(a[0], a[1]), t1 = _mm256_unpackhi_ps(a[0], a[1]);
            __m256 t2 = _mm256_unpacklo_ps(a[2], a[3]), t3 = _mm256_unpackhi_ps(a[2], a[3]);
            _mm256_storeu_ps(d, _mm256_shuffle_ps(t0, t2, 0x44));
            _mm256_storeu_ps(d + TILE, _mm256_shuffle_ps(t0, t2, 0xEE));
            _mm256_storeu_ps(d + 2 * TILE, _mm256_shuffle_ps(t1, t3, 0x44));
            _mm256_storeu_ps(d + 3 * TILE, _mm256_shuffle_ps(t1, t3, 0xEE));
            /* classes j + 4.. only where the row has some (c = 10: 12 classes moved, not 16) */
            if (c - j <= 4) break;
            for (int q = 0; q < 4; q++) {
                const char *lo = p + q * stride, *hi = p + (q + 4) * stride;
                b[q] = _mm256_insertf128_ps(_mm256_castps128_ps256(load4_f(lo, j + 4, kind)),
                                            load4_f(hi, j + 4, kind), 1);
            }
            t0 = _mm256_unpacklo_ps(b[0], b[1]), t1 = _mm256_unpackhi_ps(b[0], b[1]);
            t2 = _mm256_unpacklo_ps(b[2], b[3]), t3 = _mm256_unpackhi_ps(b[2], b[3]);
            _mm256_storeu_ps(d + 4 * TILE, _mm256_shuffle_ps(t0, t2, 0x44));
            _mm256_storeu_ps(d + 5 * TILE, _mm256_shuffle_ps(t0, t2, 0xEE));
            _mm256_storeu_ps(d + 6 * TILE, _mm256_shuffle_ps(t1, t3, 0x44));
            _mm256_storeu_ps(d + 7 * TILE, _mm256_shuffle_ps(t1, t3, 0xEE));
        }
    }
    for (Py_ssize_t r = r0; r < rows; r++) {
        const char *p = x + (size_t)(i0 + r) * stride;
        for (Py_ssize_t j = 0; j < c; j++) t[j * TILE + r] = (float)elem(p, j, kind);
    }
    if (rows < TILE)
        for (Py_ssize_t j = 0; j < c; j++)
            memset(t + j * TILE + rows, 0, sizeof(float) * (TILE - rows));
}


/* The same tile for the AVX-512 kernels. float32: 16 rows x 4 classes a step. Lane q (of 4,
   128 bits each) of vector v holds classes j..j+3 of row q * 4 + v: one broadcast load and
   three merged under masks (load-port work, no shuffles), then the 4 x 4 transposes inside
   the lanes (as in load_tile_avx2) leave rows 0..15 of one class in each vector. Half the
   shuffles of the AVX2 8 x 8 steps, and classes rounded up to 4, not 8. The rows where a step
   would read past x (the last 15 at most) go one value at a time; 16-bit logits go through
   load_tile_avx2. The same floats land in the same places either way. */
TARGET512 static void load_tile_avx512(const char *x, int kind, Py_ssize_t n, Py_ssize_t i0,
                                       Py_ssize_t rows, Py_ssize_t c, float *t) {
    if (kind != F32) {
        load_tile_avx2(x, kind, n, i0, rows, c, t);
        return;
    }
    const float *xf = (const float *)x;
    /* no software prefetch (load_tile_avx2) */
    /* a step reads up to row i0 + r0 + 15, class c4 - 1 (c4 = c rounded up to 4) */
    const Py_ssize_t c4 = (c + 3) & ~(Py_ssize_t)3;
    Py_ssize_t r0 = 0;
    for (; r0 + 16 <= rows && (i0 + r0 + 15) * c + c4 <= n * c; r0 += 16) {
        const float *p = xf + (size_t)(i0 + r0) * c;
        for (Py_ssize_t j = 0; j < c; j += 4) {
            __m512 v[4];
            for (int q = 0; q < 4; q++) {
                const float *row = p + (size_t)q * c + j;
                __m512 a = _mm512_broadcast_f32x4(_mm_loadu_ps(row));
                a = _mm512_mask_broadcast_f32x4(a, 0x00F0, _mm_loadu_ps(row + 4 * c));
                a = _mm512_mask_broadcast_f32x4(a, 0x0F00, _mm_loadu_ps(row + 8 * c));
                v[q] = _mm512_mask_broadcast_f32x4(a, 0xF000, _mm_loadu_ps(row + 12 * c));
            }
            float *d = t + j * TILE + r0;
            __m512 t0 = _mm512_unpacklo_ps(v[0], v[1]), t1 = _mm512_unpackhi_ps(v[0], v[1]);
            __m512 t2 = _mm512_unpacklo_ps(v[2], v[3]), t3 = _mm512_unpackhi_ps(v[2], v[3]);
            _mm512_storeu_ps(d, _mm512_shuffle_ps(t0, t2, 0x44));
            _mm512_storeu_ps(d + TILE, _mm512_shuffle_ps(t0, t2, 0xEE));
            _mm512_storeu_ps(d + 2 * TILE, _mm512_shuffle_ps(t1, t3, 0x44));
            _mm512_storeu_ps(d + 3 * TILE, _mm512_shuffle_ps(t1, t3, 0xEE));
        }
    }
    for (Py_ssize_t r = r0; r < rows; r++) {
        const float *p = xf + (size_t)(i0 + r) * c;
        for (Py_ssize_t j = 0; j < c; j++) t[j * TILE + r] = p[j];
    }
    if (rows < TILE)
        for (Py_ssize_t j = 0; j < c; j++)
            memset(t + j * TILE + rows, 0, sizeof(float) * (TILE - rows));
}

/* log1p_tab4 (simd.h) on 8 doubles: the exponent and mantissa by getexp and getmant, the
   16-entry lookups by two-register permutes (the index's bits above the low four are ignored),
   the rest the same operations in the same order: the same bits. */
TARGET512 static inline __m512d log1p_tab8(__m512d s) {
    const __m512d one = _mm512_set1_pd(1.0);
    __m512d u = _mm512_add_pd(s, one);
    __m512d c = _mm512_sub_pd(s, _mm512_sub_pd(u, one));
    __m512d fac = _mm512_max_pd(_mm512_sub_pd(_mm512_set1_pd(2.0), u), _mm512_setzero_pd());
    __m512d e = _mm512_getexp_pd(u);
    __m512d f = _mm512_getmant_pd(u, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);
    __m512i i = _mm512_srli_epi64(_mm512_castpd_si512(u), 48);
    __m512d inv = _mm512_permutex2var_pd(_mm512_load_pd(CECE_LOG_INV), i,
                                         _mm512_load_pd(CECE_LOG_INV + 8));
    __m512d r = _mm512_fmsub_pd(f, inv, one);
    LOG1P_TAB_SERIES(r, lp, __m512d, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_mul_pd);
    __m512d nl = _mm512_permutex2var_pd(_mm512_load_pd(CECE_NEG_LOG), i,
                                        _mm512_load_pd(CECE_NEG_LOG + 8));
    __m512d lg = _mm512_fmadd_pd(e, _mm512_set1_pd(0.693147180559945309417232121458),
                                 _mm512_add_pd(nl, lp));
    return _mm512_fmadd_pd(c, fac, lg);
}

/* The float16/bfloat16/float32 kernels, written once (softmax_f.h over isa.h's vector width):
   at 8 floats (AVX2, simd.h set the width), then at 16 (AVX-512). */
#include "softmax_f.h"
#undef CECE_VW
#define CECE_VW 16
#include "isa.h"
#include "vexp.h"
#include "softmax_f.h"

/* Few classes, float64, no temperature: the tile transposed into doubles (load_tile_f64), NF
   rows a step (one lane a row; 4 with AVX2, 8 with AVX-512): the maximum and its first index,
   then the sum of exp(x - m) over the other classes (exp4/exp_d8, within 0.55 ulp of e^x, as in
   the row-wise loop), then log1p_d4 four rows at a time (finish_f64). Until 2026-12-02 this
   was libm's log1p row by row (~45 % of the kernel's time on Zen 3): log1p4 (Cephes, 2 ulp)
   was tried and not kept, as it moved the golden values' last digit; log1p_d4 (<= 0.65 ulp)
   gives them, and ln(j + 1) for every whole sum j < 63, correctly rounded (libm's log1p: 60
   of 63). Both widths do the same operations on each row's lane: the same bits. */

/* The tile of rows i0.. as doubles, transposed: t[j * TILE + r] = x[i0 + r][j], the rest of
   the tile zeros. 4 rows x 4 classes at a time by an in-register transpose (each load stays
   inside its row); the classes past the last 4 and the rows past the last 4, one at a time. */
TARGET static void load_tile_f64(const double *x, Py_ssize_t i0, Py_ssize_t rows, Py_ssize_t c,
                                 double *t) {
    const double *src = x + (size_t)i0 * c;
    const Py_ssize_t c4 = c & ~(Py_ssize_t)3, r4 = rows & ~(Py_ssize_t)3;
    for (Py_ssize_t r = 0; r < r4; r += 4) {
        const double *p = src + (size_t)r * c;
        for (Py_ssize_t j = 0; j < c4; j += 4) {
            __m256d a = _mm256_loadu_pd(p + j), b = _mm256_loadu_pd(p + c + j);
            __m256d e = _mm256_loadu_pd(p + 2 * c + j), f = _mm256_loadu_pd(p + 3 * c + j);
            __m256d ab_lo = _mm256_unpacklo_pd(a, b), ab_hi = _mm256_unpackhi_pd(a, b);
            __m256d ef_lo = _mm256_unpacklo_pd(e, f), ef_hi = _mm256_unpackhi_pd(e, f);
            double *d = t + j * TILE + r;
            _mm256_storeu_pd(d, _mm256_permute2f128_pd(ab_lo, ef_lo, 0x20));
            _mm256_storeu_pd(d + TILE, _mm256_permute2f128_pd(ab_hi, ef_hi, 0x20));
            _mm256_storeu_pd(d + 2 * TILE, _mm256_permute2f128_pd(ab_lo, ef_lo, 0x31));
            _mm256_storeu_pd(d + 3 * TILE, _mm256_permute2f128_pd(ab_hi, ef_hi, 0x31));
        }
        for (Py_ssize_t j = c4; j < c; j++)
            for (Py_ssize_t q = 0; q < 4; q++) t[j * TILE + r + q] = p[(size_t)q * c + j];
    }
    for (Py_ssize_t r = r4; r < rows; r++)
        for (Py_ssize_t j = 0; j < c; j++) t[j * TILE + r] = src[(size_t)r * c + j];
    if (rows < TILE)
        for (Py_ssize_t j = 0; j < c; j++)
            memset(t + j * TILE + rows, 0, sizeof(double) * (TILE - rows));
}

TARGET static inline __m256d log1p_d4(__m256d s);

/* The k <= 8 rows of a step (rows i.., lanes 0..k-1 of the step at col): their maxima mf,
   arg-max tf, sums sf and non-finite flags; returns the rows flagged (NaN, +inf, all -inf).
   The sums' log1p four at a time (log1p_d4, <= 0.65 ulp): libm's log1p row by row, before
   2026-12-02, was ~45 % of the float64 kernel's time. */
TARGET static Py_ssize_t finish_f64(const double *col, Py_ssize_t i, Py_ssize_t k,
                                    const double *mf, const double *tf, const double *sf,
                                    int flagged, const int64_t *y, double *nll, uint8_t *correct,
                                    int64_t *pred) {
    Py_ssize_t bad = 0;
    double lp[8];
    for (Py_ssize_t r0 = 0; r0 < k; r0 += 4) {
        double sv[4] = {0.0, 0.0, 0.0, 0.0};
        for (Py_ssize_t r = r0; r < k && r < r0 + 4; r++) sv[r - r0] = sf[r];
        _mm256_storeu_pd(lp + r0, log1p_d4(_mm256_loadu_pd(sv)));
    }
    for (Py_ssize_t r = 0; r < k; r++, i++) {
        Py_ssize_t tp = (Py_ssize_t)tf[r];
        if ((flagged & (1 << r)) || mf[r] == -INFINITY) { /* NaN, +inf, all -inf */
            bad++;
            nll[i] = NAN;
            correct[i] = 0;
            if (pred) pred[i] = 0;
            continue;
        }
        if (pred) pred[i] = tp;
        correct[i] = tp == y[i];
        nll[i] = lp[r] + (mf[r] - col[y[i] * TILE + r]);
    }
    return bad;
}

TARGET static Py_ssize_t softmax_small_f64(const double *x, Py_ssize_t n, Py_ssize_t c,
                                           const int64_t *y, double *nll, uint8_t *correct,
                                           int64_t *pred, double *t, size_t limit) {
    Py_ssize_t bad = 0;
    const __m256d one = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
    for (Py_ssize_t i0 = 0; i0 < n; i0 += TILE) {
        Py_ssize_t rows = n - i0 < TILE ? n - i0 : TILE;
        load_tile_f64(x, i0, rows, c, t);
        for (Py_ssize_t g = 0; g < rows; g += 4) {
            prefetch_ahead(x, i0 + g, 4, c, sizeof(double), limit);
            const double *col = t + g;
            __m256d m = _mm256_loadu_pd(col), top = zero, jv = one, flag = zero, lo = m;
            FLAG_NONFINITE(flag, m);
            for (Py_ssize_t j = 1; j < c; j++, jv = _mm256_add_pd(jv, one)) {
                __m256d v = _mm256_loadu_pd(col + j * TILE);
                FLAG_NONFINITE(flag, v);
                top = _mm256_blendv_pd(top, jv, _mm256_cmp_pd(v, m, _CMP_GT_OQ));
                m = _mm256_max_pd(v, m);
                lo = _mm256_min_pd(v, lo);
            }
            /* as in softmax_small_f64_avx512: the range check once a step where it passes */
            const __m256d far = _mm256_or_pd(
                flag, _mm256_cmp_pd(_mm256_sub_pd(lo, m), _mm256_set1_pd(-708.0), _CMP_NGE_UQ));
            const int near = !_mm256_movemask_pd(far);
            __m256d sum = zero;
            jv = zero;
#define SUM_TERMS(EXP)                                                                     \
    for (Py_ssize_t j = 0; j < c; j++, jv = _mm256_add_pd(jv, one)) {                      \
        __m256d e = EXP(_mm256_sub_pd(_mm256_loadu_pd(col + j * TILE), m));               \
        sum = _mm256_add_pd(sum, _mm256_andnot_pd(_mm256_cmp_pd(top, jv, _CMP_EQ_OQ), e)); \
    }
            if (near) {
                SUM_TERMS(exp4_near)
            } else {
                SUM_TERMS(exp4)
            }
#undef SUM_TERMS
            double mf[4], tf[4], sf[4];
            _mm256_storeu_pd(mf, m);
            _mm256_storeu_pd(tf, top);
            _mm256_storeu_pd(sf, sum);
            bad += finish_f64(col, i0 + g, rows - g < 4 ? rows - g : 4, mf, tf, sf,
                              _mm256_movemask_pd(flag), y, nll, correct, pred);
        }
    }
    return bad;
}

/* exp_d8, pow2i_d8: exp4 and pow2i (simd.h) on 8 doubles, the same operations in the same
   order (roundscale for floor, a permute of the table's two halves for its gathers, masks for
   andnot): the same bits */
TARGET512 static inline __m512d pow2i_d8(__m512d n) {
    __m256i ni = _mm512_cvtpd_epi32(n);
    __m512i e = _mm512_add_epi64(_mm512_cvtepi32_epi64(ni), _mm512_set1_epi64(1023));
    return _mm512_castsi512_pd(_mm512_slli_epi64(e, 52));
}

TARGET512 static inline __m512d exp_d8_u(__m512d x, __m512i *ti, __m512i *tadj, __m512d *kd) {
    const __m512d magic = _mm512_set1_pd(EXPD_MAGIC);
    const __m512d t = _mm512_fmadd_pd(x, _mm512_set1_pd(CECE_EXPD_16_LN2), magic);
    *kd = _mm512_sub_pd(t, magic);
    __m512d r = _mm512_fnmadd_pd(*kd, _mm512_set1_pd(CECE_EXPD_LN2_16_HI), x);
    r = _mm512_fnmadd_pd(*kd, _mm512_set1_pd(CECE_EXPD_LN2_16_LO), r);
    *ti = _mm512_castpd_si512(t);
    *tadj = _mm512_permutex2var_epi64(_mm512_load_si512((const void *)CECE_EXPD_TADJ), *ti,
                                      _mm512_load_si512((const void *)(CECE_EXPD_TADJ + 8)));
    const __m512d tl = _mm512_permutex2var_pd(_mm512_load_pd(CECE_EXPD_TL), *ti,
                                              _mm512_load_pd(CECE_EXPD_TL + 8));
    EXPM1_TAYLOR7(r, em1, __m512d, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_mul_pd);
    return _mm512_add_pd(em1, _mm512_fmadd_pd(em1, tl, tl));
}

TARGET512 __attribute__((noinline)) static __m512d exp_d8_far(__m512d x) {
    const __m512d minlog = _mm512_set1_pd(EXPD_MINLOG);
    const __mmask8 under = _mm512_cmp_pd_mask(x, minlog, _CMP_LT_OQ);
    x = _mm512_min_pd(_mm512_set1_pd(EXPD_MAXLOG), _mm512_max_pd(minlog, x)); /* NaN stays */
    __m512i ti, tadj;
    __m512d kd;
    const __m512d u = exp_d8_u(x, &ti, &tadj, &kd);
    const __m512i j = _mm512_and_si512(ti, _mm512_set1_epi64(15));
    const __m512d th = _mm512_castsi512_pd(_mm512_add_epi64(tadj, _mm512_slli_epi64(j, 48)));
    __m512d p = _mm512_fmadd_pd(th, u, th);
    const __m512d n = _mm512_roundscale_pd(_mm512_mul_pd(kd, _mm512_set1_pd(1.0 / 16)),
                                           _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512d n1 = _mm512_roundscale_pd(_mm512_mul_pd(n, _mm512_set1_pd(0.5)),
                                            _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    p = _mm512_mul_pd(_mm512_mul_pd(p, pow2i_d8(n1)), pow2i_d8(_mm512_sub_pd(n, n1)));
    return _mm512_maskz_mov_pd((__mmask8)~under, p);
}

/* exp_d8 of lanes all in [-708, 709] */
TARGET512 static inline __m512d exp_d8_near(__m512d x) {
    __m512i ti, tadj;
    __m512d kd;
    const __m512d u = exp_d8_u(x, &ti, &tadj, &kd);
    const __m512d s = _mm512_castsi512_pd(_mm512_add_epi64(tadj, _mm512_slli_epi64(ti, 48)));
    return _mm512_fmadd_pd(s, u, s);
}

TARGET512 static inline __m512d exp_d8(__m512d x) {
    const __mmask8 far = _mm512_cmp_pd_mask(x, _mm512_set1_pd(-708.0), _CMP_NGE_UQ) |
                         _mm512_cmp_pd_mask(x, _mm512_set1_pd(709.0), _CMP_NLE_UQ);
    if (far) return exp_d8_far(x);
    return exp_d8_near(x);
}

/* log1p_unit4 (simd.h) on 8 doubles: the same operations, the tables by permutes */
TARGET512 static inline __m512d log1p_unit8(__m512d u) {
    const __m512d magic = _mm512_set1_pd(EXPD_MAGIC);
    const __m512d t = _mm512_fmadd_pd(_mm512_min_pd(u, _mm512_set1_pd(0.968)),
                                      _mm512_set1_pd(16.0), magic);
    const __m512i i = _mm512_castpd_si512(t);
#define TAB16_8(T) _mm512_permutex2var_pd(_mm512_load_pd(T), i, _mm512_load_pd((T) + 8))
    const __m512d inv = TAB16_8(CECE_L1PD_INV), hi = TAB16_8(CECE_L1PD_HI);
    const __m512d lo = TAB16_8(CECE_L1PD_LO);
#undef TAB16_8
    const __m512d g = _mm512_fmadd_pd(u, inv, _mm512_sub_pd(inv, _mm512_set1_pd(1.0)));
    LOG1P_SERIES12(g, s, __m512d, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_mul_pd);
    const __m512d r = _mm512_add_pd(hi, s);
    const __m512d e = _mm512_sub_pd(s, _mm512_sub_pd(r, hi));
    return _mm512_add_pd(r, _mm512_add_pd(e, lo));
}

TARGET512 static inline __m512d log1p_d8(__m512d s);

/* finish_f64 for a whole step of 8 rows (i..i+7; the step's lanes of col): the sums' log1p at
   once (log1p_d8), the label's logit by a gather, and the losses, right flags and arg-max
   stored by vector. Each row's operations are finish_f64's: the same bits. The labels are in
   0..c-1 (first_bad_label ran on the step). */
TARGET512 static Py_ssize_t finish_f64_8(const double *col, Py_ssize_t i, __m512d m, __m512d top,
                                        __m512d sum, __mmask8 flagged, const int64_t *y,
                                        double *nll, uint8_t *correct, int64_t *pred) {
    const __m512d lp = log1p_d8(sum);
    const __m512i yi = _mm512_loadu_si512((const void *)(y + i));
    const __m512i at = _mm512_add_epi64(_mm512_mullo_epi64(yi, _mm512_set1_epi64(TILE)),
                                        _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7));
    const __m512d xy = _mm512_i64gather_pd(at, col, 8);
    const __mmask8 bad = flagged | _mm512_cmp_pd_mask(m, _mm512_set1_pd(-INFINITY), _CMP_EQ_OQ);
    const __m512d l = _mm512_add_pd(lp, _mm512_sub_pd(m, xy));
    _mm512_storeu_pd(nll + i, _mm512_mask_mov_pd(l, bad, _mm512_set1_pd(NAN)));
    const __mmask8 right =
        _mm512_mask_cmp_pd_mask((__mmask8)~bad, top, _mm512_cvtepi64_pd(yi), _CMP_EQ_OQ);
    _mm_storel_epi64((__m128i *)(correct + i),
                     _mm512_cvtepi64_epi8(_mm512_maskz_mov_epi64(right, _mm512_set1_epi64(1))));
    if (pred) _mm512_storeu_si512((void *)(pred + i), _mm512_maskz_cvttpd_epi64((__mmask8)~bad, top));
    return __builtin_popcount(bad);
}

TARGET512 static Py_ssize_t softmax_small_f64_avx512(const double *x, Py_ssize_t n,
                                                    Py_ssize_t c, const int64_t *y, double *nll,
                                                    uint8_t *correct, int64_t *pred, double *t,
                                                    size_t limit) {
    Py_ssize_t bad = 0;
    const __m512d one = _mm512_set1_pd(1.0), zero = _mm512_setzero_pd();
    const __m512d inf = _mm512_set1_pd(INFINITY);
    for (Py_ssize_t i0 = 0; i0 < n; i0 += TILE) {
        Py_ssize_t rows = n - i0 < TILE ? n - i0 : TILE;
        load_tile_f64(x, i0, rows, c, t);
        for (Py_ssize_t g = 0; g < rows; g += 8) {
            prefetch_ahead(x, i0 + g, 8, c, sizeof(double), limit);
            const double *col = t + g;
            __m512d m = _mm512_loadu_pd(col), top = zero, jv = one, lo = m;
            __mmask8 flag = _mm512_cmp_pd_mask(m, inf, _CMP_NLT_UQ);
            for (Py_ssize_t j = 1; j < c; j++, jv = _mm512_add_pd(jv, one)) {
                __m512d v = _mm512_loadu_pd(col + j * TILE);
                flag |= _mm512_cmp_pd_mask(v, inf, _CMP_NLT_UQ);
                top = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(v, m, _CMP_GT_OQ), top, jv);
                m = _mm512_max_pd(v, m);
                lo = _mm512_min_pd(v, lo);
            }
            /* every x - m of the step in [-708, 0] (rounding is monotone: x - m >= lo - m; a
               -inf makes lo - m -inf or NaN) and no NaN or +inf (flag): exp_d8's range check
               per vector is left out (exp_d8_near), the same bits; 7 % of the kernel */
            const int near = !flag && !_mm512_cmp_pd_mask(_mm512_sub_pd(lo, m),
                                                          _mm512_set1_pd(-708.0), _CMP_NGE_UQ);
            __m512d sum = zero;
            jv = zero;
#define SUM_TERMS(EXP)                                                                     \
    for (Py_ssize_t j = 0; j < c; j++, jv = _mm512_add_pd(jv, one)) {                      \
        __m512d e = EXP(_mm512_sub_pd(_mm512_loadu_pd(col + j * TILE), m));               \
        __mmask8 at_top = _mm512_cmp_pd_mask(top, jv, _CMP_EQ_OQ);                        \
        sum = _mm512_add_pd(sum, _mm512_maskz_mov_pd((__mmask8)~at_top, e));               \
    }
            if (near) {
                SUM_TERMS(exp_d8_near)
            } else {
                SUM_TERMS(exp_d8)
            }
#undef SUM_TERMS
            if (rows - g >= 8) {
                bad += finish_f64_8(col, i0 + g, m, top, sum, flag, y, nll, correct, pred);
                continue;
            }
            double mf[8], tf[8], sf[8];
            _mm512_storeu_pd(mf, m);
            _mm512_storeu_pd(tf, top);
            _mm512_storeu_pd(sf, sum);
            bad += finish_f64(col, i0 + g, rows - g, mf, tf, sf, flag, y, nll, correct, pred);
        }
    }
    return bad;
}

/* `limit`: the bytes of logits readable from x (n rows and any after them: prefetch_span) */
static Py_ssize_t softmax_rows(const char *x, Py_ssize_t n, Py_ssize_t c, int kind,
                               const int64_t *y, double *nll, uint8_t *correct, int64_t *pred,
                               double temp, size_t limit) {
    if (kind == F64 && (c >= 64 || temp != 1.0))
        return softmax_rows_f64((const double *)x, n, c, y, nll, correct, pred, temp);
    if (kind == F64) {
        double *t = malloc(sizeof(double) * TILE * (size_t)c);
        if (!t) return -1;
        Py_ssize_t bad = (SIMD_WIDTH == 16 ? softmax_small_f64_avx512 : softmax_small_f64)(
            (const double *)x, n, c, y, nll, correct, pred, t, limit);
        free(t);
        return bad;
    }
    const int w = SIMD_WIDTH;
    if (c >= 64)
        return (w == 16 ? softmax_rows_f_avx512 : softmax_rows_f_avx2)(x, kind, n, c, y, nll,
                                                                       correct, pred, temp);
    float *t = malloc(sizeof(float) * TILE * (size_t)((c + 7) & ~7));
    if (!t) return -1;
    Py_ssize_t bad = (w == 16 ? softmax_cols_f_avx512 : softmax_cols_f_avx2)(
        x, kind, n, c, y, nll, correct, pred, t, temp, limit);
    free(t);
    return bad;
}

/* -- binary cross-entropy from logits -------------------------------------------------------- */

/* log1p(e^-|x|) for logits that came from float32 (so |x| < 3.5e38; 16-bit ones would do too), to
   ~5e-9 relative, in double lanes without a division: e^-a = 2^-n e^r by Cody-Waite reduction
   (two-part ln 2) and Cephes' expf polynomial e^r = 1 + r + r^2 P(r) (its error on
   |r| <= ln 2 / 2: 1.1e-9 relative), 2^-n applied to the exponent bits with a 2^64 margin so
   that e^-a reaches the subnormals as libm's does (a > 746: 0, as log1p(exp(-a)) is); then
   log1p(u) = log1p(g) (+ ln 2) with g = u below sqrt 2 - 1, else (u - 1) / 2 (exact in double),
   by Cephes' logf polynomial log1p(g) = g - g^2/2 + g^3 Q(g) (3.5e-9 relative on
   [-0.293, 0.415]). Evaluated in double, the polynomials' own errors are all that is left: well
   inside the 1.1e-7 float32 contract, where a float32 exp or log (~1 ulp, 1.2e-7) is not.
   A NaN x gives NaN. (Cephes: S. L. Moshier, expf.c and logf.c, whose coefficients these
   are.) */
/* n vectors at once (n a constant after inlining, 1 or 2), stage by stage, so that the two
   chains interleave (GCC keeps the source's order on x86; see vexp.h's exp_tab): each
   vector's operations are the same, in the same order, whatever n. */
TARGET static inline void log1p_exp_neg4_f32_n(const int n, const __m256d *x, __m256d *out) {
#define C(v) _mm256_set1_pd(v)
#define EACH for (int q = 0; q < n; q++)
    __m256d a[2], nb[2], r[2], p[2], u[2], g[2], g2[2], big[2];
    EACH a[q] = _mm256_min_pd(_mm256_andnot_pd(C(-0.0), x[q]), C(746.0)); /* NaN stays NaN */
    /* n = round(a / ln 2) by the 1.5 * 2^52 trick: the low mantissa bits of `nb` hold n */
    EACH nb[q] = _mm256_fmadd_pd(a[q], C(1.4426950408889634073599), C(6755399441055744.0));
    EACH {
        __m256d k = _mm256_sub_pd(nb[q], C(6755399441055744.0));
        r[q] = _mm256_fmadd_pd(k, C(6.93147180369123816490e-01), _mm256_sub_pd(C(0.0), a[q]));
        r[q] = _mm256_fmadd_pd(k, C(1.90821492927058770002e-10), r[q]); /* -a + n ln 2 */
    }
    EACH { /* |r| <= 0.35; Estrin: short chains */
        __m256d r2 = _mm256_mul_pd(r[q], r[q]), r4 = _mm256_mul_pd(r2, r2);
        p[q] = _mm256_fmadd_pd(
            r4, _mm256_fmadd_pd(r[q], C(1.9875691500E-4), C(1.3981999507E-3)),
            _mm256_fmadd_pd(r2, _mm256_fmadd_pd(r[q], C(8.3334519073E-3), C(4.1665795894E-2)),
                            _mm256_fmadd_pd(r[q], C(1.6666665459E-1), C(5.0000001201E-1))));
        p[q] = _mm256_add_pd(_mm256_fmadd_pd(p[q], r2, r[q]), C(1.0)); /* e^r, in [0.70, 1.42] */
    }
    /* u = p 2^-n: 64 - n taken off p's exponent field (n < 4096: nb's bits << 52 are n << 52;
       the field stays >= 9, a normal double), then one multiplication by 2^-64 rounds the
       results below 2^-1022 into the subnormals as libm's exp does */
    EACH {
        __m256i e = _mm256_sub_epi64(_mm256_set1_epi64x(64LL << 52),
                                     _mm256_slli_epi64(_mm256_castpd_si256(nb[q]), 52));
        u[q] = _mm256_mul_pd(
            _mm256_castsi256_pd(_mm256_add_epi64(_mm256_castpd_si256(p[q]), e)),
            C(5.42101086242752217004e-20));
    }
    EACH {
        big[q] = _mm256_cmp_pd(u[q], C(0.41421356237309504880), _CMP_GT_OQ);
        g[q] = _mm256_blendv_pd(u[q], _mm256_mul_pd(_mm256_sub_pd(u[q], C(1.0)), C(0.5)), big[q]);
        g2[q] = _mm256_mul_pd(g[q], g[q]);
    }
    EACH {
        __m256d g4 = _mm256_mul_pd(g2[q], g2[q]);
        __m256d q01 = _mm256_fmadd_pd(g[q], C(-1.1514610310E-1), C(1.1676998740E-1)); /* g^7, g^6 */
        __m256d q23 = _mm256_fmadd_pd(g[q], C(-1.2420140846E-1), C(1.4249322787E-1));
        __m256d q45 = _mm256_fmadd_pd(g[q], C(-1.6668057665E-1), C(2.0000714765E-1));
        __m256d q67 = _mm256_fmadd_pd(g[q], C(-2.4999993993E-1), C(3.3333331174E-1));
        __m256d qh = _mm256_fmadd_pd(g2[q], _mm256_fmadd_pd(g2[q], C(7.0376836292E-2), q01), q23);
        __m256d qq = _mm256_fmadd_pd(g4, qh, _mm256_fmadd_pd(g2[q], q45, q67));
        __m256d t = _mm256_fmadd_pd(_mm256_mul_pd(g2[q], g[q]), qq,
                                    _mm256_fnmadd_pd(g2[q], C(0.5), g[q]));
        out[q] = _mm256_add_pd(t, _mm256_and_pd(big[q], C(0.69314718055994530942)));
    }
#undef EACH
#undef C
}

/* The per-element BCE of 4 logits x against targets y: loss and right-count lanes added into
   *loss and *right; *soft gets lanes with a target strictly between 0 and 1, *bad_y lanes with
   a target outside [0, 1] or NaN. `low`: float32 logits (the division-free log1p(e^-|x|) above);
   else float64, float16 and bfloat16 (exp4 and log1p_unit4, within ~2 ulp of the exact value:
   tests/test_fast.py, tests/test_bce_isa.py; Cephes' log1p with two divisions until
   2026-12-03). */
TARGET static inline void bce4(__m256d x, __m256d y, __m256d w, __m256d thr, __m256d *loss,
                               __m256d *right, __m256d *soft, __m256d *bad_y, int low,
                               const __m256d *given) {
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    __m256d t; /* log1p(exp(-|x|)); `given` where the caller computed it (float32) */
    if (given)
        t = *given;
    else if (low)
        log1p_exp_neg4_f32_n(1, &x, &t);
    else
        t = log1p_unit4(exp4(_mm256_sub_pd(zero, _mm256_andnot_pd(_mm256_set1_pd(-0.0), x))));
    __m256d sp_neg = _mm256_add_pd(_mm256_max_pd(_mm256_sub_pd(zero, x), zero), t);
    __m256d sp_pos = _mm256_add_pd(_mm256_max_pd(x, zero), t);
    /* w y softplus(-x) with 0 * inf = 0: a -inf logit (probability 0) costs 0 on target 0 */
    __m256d wy = _mm256_mul_pd(w, y);
    __m256d l = _mm256_and_pd(_mm256_mul_pd(wy, sp_neg), _mm256_cmp_pd(wy, zero, _CMP_NEQ_UQ));
    l = _mm256_fmadd_pd(_mm256_sub_pd(one, y), sp_pos, l);
    *loss = _mm256_add_pd(*loss, l);
    __m256d pred = _mm256_cmp_pd(x, thr, _CMP_GT_OQ);
    __m256d pos = _mm256_cmp_pd(y, _mm256_set1_pd(0.5), _CMP_GE_OQ);
    *right = _mm256_add_pd(*right, _mm256_andnot_pd(_mm256_xor_pd(pred, pos), one));
    /* y - y^2 (one rounding, FMA): > 0 for a target strictly between 0 and 1 (even a
       subnormal one), 0 for 0 and 1, < 0 outside [0, 1], NaN for NaN and +-inf */
    __m256d v = _mm256_fnmadd_pd(y, y, y);
    *soft = _mm256_or_pd(*soft, _mm256_cmp_pd(v, zero, _CMP_GT_OQ));
    *bad_y = _mm256_or_pd(*bad_y, _mm256_cmp_pd(v, zero, _CMP_NGE_UQ));
}

/* NaN or +inf: not a logit (-inf is one: probability 0) */
static inline int bad_logit(double v) { return isnan(v) || v == INFINITY; }

/* Not a target: outside [0, 1], or NaN */
static inline int bad_target(double v) { return !(v >= 0.0 && v <= 1.0); }

/* One column (k = 1): rows are elements, 8 a step as two independent vectors of 4, inlined
   once per logit type so that the loads are specialised. float32's log1p(e^-|x|) of the two
   is computed at once (log1p_exp_neg4_f32_n): written as two calls one after the other, the
   second chain started only when the first was nearly done (AVX2 on Zen 3, in cache:
   0.77-0.82 of the time with the two interleaved, the same bits). */
#define BCE_INLINE TARGET static inline __attribute__((always_inline))
BCE_INLINE Py_ssize_t bce_column(const char *x, const int xkind, const char *y, int ykind,
                                 double pw, Py_ssize_t n, __m256d thr, double *loss,
                                 double *correct, __m256d *soft, __m256d *bad_y, BceStats *st) {
    const __m256d zero = _mm256_setzero_pd(), w = _mm256_set1_pd(pw);
    const __m256d inf = _mm256_set1_pd(INFINITY);
    const int low = xkind == F32;
    Py_ssize_t i = 0, bad = 0;
    __m256d rsum = zero, lmin = inf, lmax = _mm256_set1_pd(-INFINITY);
    for (; i + 8 <= n; i += 8) {
        __m256d xa = load4(x, i, xkind), ya = load4(y, i, ykind);
        __m256d xb = load4(x, i + 4, xkind), yb = load4(y, i + 4, ykind);
        __m256d la = zero, ra = zero, lb = zero, rb = zero;
        __m256d tt[2], xx[2] = {xa, xb}; /* float32: both vectors' log1p(e^-|x|) at once */
        if (low) log1p_exp_neg4_f32_n(2, xx, tt);
        bce4(xa, ya, w, thr, &la, &ra, soft, bad_y, low, low ? tt : NULL);
        bce4(xb, yb, w, thr, &lb, &rb, soft, bad_y, low, low ? tt + 1 : NULL);
        _mm256_storeu_pd(loss + i, la);
        _mm256_storeu_pd(loss + i + 4, lb);
        _mm256_storeu_pd(correct + i, ra);
        _mm256_storeu_pd(correct + i + 4, rb);
        rsum = _mm256_add_pd(rsum, _mm256_add_pd(ra, rb));
        lmin = _mm256_min_pd(lmin, _mm256_min_pd(la, lb));
        lmax = _mm256_max_pd(lmax, _mm256_max_pd(la, lb));
        /* NaN or +inf: not a logit (-inf is one) */
        int b = _mm256_movemask_pd(_mm256_or_pd(_mm256_cmp_pd(xa, inf, _CMP_NLT_UQ),
                                                _mm256_cmp_pd(xb, inf, _CMP_NLT_UQ)));
        if (b) {
            bad += __builtin_popcount(_mm256_movemask_pd(_mm256_cmp_pd(xa, inf, _CMP_NLT_UQ)));
            bad += __builtin_popcount(_mm256_movemask_pd(_mm256_cmp_pd(xb, inf, _CMP_NLT_UQ)));
        }
    }
    double rs[4], mn[4], mx[4];
    _mm256_storeu_pd(rs, rsum);
    _mm256_storeu_pd(mn, lmin);
    _mm256_storeu_pd(mx, lmax);
    for (int q = 0; q < 4; q++) {  /* integers: exact in any order */
        st->correct_sum += rs[q];
        st->loss_min = mn[q] < st->loss_min ? mn[q] : st->loss_min;
        st->loss_max = mx[q] > st->loss_max ? mx[q] : st->loss_max;
    }
    for (; i < n; i += 4) {  /* the last 0..7 rows */
        Py_ssize_t m = n - i < 4 ? n - i : 4;
        __m256d xv = load_tail(x, i, m, xkind, 0.0), yv = load_tail(y, i, m, ykind, 0.0);
        __m256d l = zero, r = zero;
        bce4(xv, yv, w, thr, &l, &r, soft, bad_y, low, NULL); /* padded lanes: y = 0 */
        double lo[4], ro[4];
        _mm256_storeu_pd(lo, l);
        _mm256_storeu_pd(ro, r);
        for (Py_ssize_t j = 0; j < m; j++) {
            if (bad_logit(elem(x, i + j, xkind))) bad++;
            loss[i + j] = lo[j];
            correct[i + j] = ro[j];
            st->correct_sum += ro[j];
            st->loss_min = lo[j] < st->loss_min ? lo[j] : st->loss_min;
            st->loss_max = lo[j] > st->loss_max ? lo[j] : st->loss_max;
        }
    }
    return bad;
}

/* -- the same, 8 lanes a vector (AVX-512), float32 logits in one column ----------------------

   log1p_exp_neg8_f32 and bce8 are log1p_exp_neg4_f32_n and bce4 over 8 double lanes: the same
   operations in the same order on each lane (the AVX2 compares and blends become mask
   registers), so each element's loss and right count are the same bits at either width. */
TARGET512 static inline __m512d log1p_exp_neg8_f32(__m512d x) {
#define C(v) _mm512_set1_pd(v)
    __m512d a = _mm512_min_pd(_mm512_andnot_pd(C(-0.0), x), C(746.0));
    __m512d nb = _mm512_fmadd_pd(a, C(1.4426950408889634073599), C(6755399441055744.0));
    __m512d n = _mm512_sub_pd(nb, C(6755399441055744.0));
    __m512d r = _mm512_fmadd_pd(n, C(6.93147180369123816490e-01), _mm512_sub_pd(C(0.0), a));
    r = _mm512_fmadd_pd(n, C(1.90821492927058770002e-10), r);
    __m512d r2 = _mm512_mul_pd(r, r), r4 = _mm512_mul_pd(r2, r2);
    __m512d p = _mm512_fmadd_pd(r4, _mm512_fmadd_pd(r, C(1.9875691500E-4), C(1.3981999507E-3)),
                                _mm512_fmadd_pd(r2, _mm512_fmadd_pd(r, C(8.3334519073E-3),
                                                                    C(4.1665795894E-2)),
                                                _mm512_fmadd_pd(r, C(1.6666665459E-1),
                                                                C(5.0000001201E-1))));
    p = _mm512_add_pd(_mm512_fmadd_pd(p, r2, r), C(1.0));
    __m512i e = _mm512_sub_epi64(_mm512_set1_epi64(64LL << 52),
                                 _mm512_slli_epi64(_mm512_castpd_si512(nb), 52));
    __m512d u = _mm512_mul_pd(_mm512_castsi512_pd(_mm512_add_epi64(_mm512_castpd_si512(p), e)),
                              C(5.42101086242752217004e-20));
    __mmask8 big = _mm512_cmp_pd_mask(u, C(0.41421356237309504880), _CMP_GT_OQ);
    __m512d g = _mm512_mask_blend_pd(big, u, _mm512_mul_pd(_mm512_sub_pd(u, C(1.0)), C(0.5)));
    __m512d g2 = _mm512_mul_pd(g, g), g4 = _mm512_mul_pd(g2, g2);
    __m512d q01 = _mm512_fmadd_pd(g, C(-1.1514610310E-1), C(1.1676998740E-1));
    __m512d q23 = _mm512_fmadd_pd(g, C(-1.2420140846E-1), C(1.4249322787E-1));
    __m512d q45 = _mm512_fmadd_pd(g, C(-1.6668057665E-1), C(2.0000714765E-1));
    __m512d q67 = _mm512_fmadd_pd(g, C(-2.4999993993E-1), C(3.3333331174E-1));
    __m512d qh = _mm512_fmadd_pd(g2, _mm512_fmadd_pd(g2, C(7.0376836292E-2), q01), q23);
    __m512d q = _mm512_fmadd_pd(g4, qh, _mm512_fmadd_pd(g2, q45, q67));
    __m512d t = _mm512_fmadd_pd(_mm512_mul_pd(g2, g), q, _mm512_fnmadd_pd(g2, C(0.5), g));
    return _mm512_add_pd(t, _mm512_maskz_mov_pd(big, C(0.69314718055994530942)));
#undef C
}

/* bce4 on 8 lanes (the same operations: the same bits); `dbl`: float64 logits (exp_d8 and
   log1p_unit8), else float32 ones (log1p_exp_neg8_f32) */
TARGET512 static inline __attribute__((always_inline)) void bce8(
    __m512d x, __m512d y, __m512d w, __m512d thr, __m512d *loss, __m512d *right,
    __mmask8 *soft, __mmask8 *bad_y, const int dbl) {
    const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);
    const __m512d neg_abs = _mm512_sub_pd(zero, _mm512_abs_pd(x));
    __m512d t = dbl ? log1p_unit8(exp_d8(neg_abs)) : log1p_exp_neg8_f32(x);
    __m512d sp_neg = _mm512_add_pd(_mm512_max_pd(_mm512_sub_pd(zero, x), zero), t);
    __m512d sp_pos = _mm512_add_pd(_mm512_max_pd(x, zero), t);
    __m512d wy = _mm512_mul_pd(w, y);
    __m512d l = _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(wy, zero, _CMP_NEQ_UQ),
                                    _mm512_mul_pd(wy, sp_neg));
    l = _mm512_fmadd_pd(_mm512_sub_pd(one, y), sp_pos, l);
    *loss = _mm512_add_pd(*loss, l);
    __mmask8 pred = _mm512_cmp_pd_mask(x, thr, _CMP_GT_OQ);
    __mmask8 pos = _mm512_cmp_pd_mask(y, _mm512_set1_pd(0.5), _CMP_GE_OQ);
    *right = _mm512_add_pd(*right, _mm512_maskz_mov_pd((__mmask8)~(pred ^ pos), one));
    __m512d v = _mm512_fnmadd_pd(y, y, y);
    *soft |= _mm512_cmp_pd_mask(v, zero, _CMP_GT_OQ);
    *bad_y |= _mm512_cmp_pd_mask(v, zero, _CMP_NGE_UQ);
}

/* 8 float32 or float64 targets (ykind 4 or 8) at element i, as doubles */
TARGET512 static inline __m512d load8_y(const char *y, Py_ssize_t i, int ykind) {
    if (ykind == F32) return _mm512_cvtps_pd(_mm256_loadu_ps((const float *)y + i));
    return _mm512_loadu_pd((const double *)y + i);
}

/* bce_column for float32 or float64 logits (xkind, a constant in each caller) at 16 rows a step
   (two vectors of 8); the last n % 16 rows go through the AVX2 bce_column, which adds its
   figures into *st, *soft and *bad_y. The block's Σ right and extrema are exact in any order,
   so they are the AVX2 kernel's too. */
TARGET512 static inline __attribute__((always_inline)) Py_ssize_t
bce_column_avx512(const char *x, const int xkind, const char *y, int ykind, double pw,
                  Py_ssize_t n, double thr_logit, double *loss, double *correct, __m256d *soft,
                  __m256d *bad_y, BceStats *st) {
    const __m512d zero = _mm512_setzero_pd(), w = _mm512_set1_pd(pw);
    const __m512d inf = _mm512_set1_pd(INFINITY), thr = _mm512_set1_pd(thr_logit);
    const int dbl = xkind == F64;
    Py_ssize_t i = 0, bad = 0;
    __mmask8 soft8 = 0, bad8 = 0;
    __m512d rsum = zero, lmin = inf, lmax = _mm512_set1_pd(-INFINITY);
    for (; i + 16 <= n; i += 16) {
        __m512d xa = load8_y(x, i, xkind), ya = load8_y(y, i, ykind);
        __m512d xb = load8_y(x, i + 8, xkind), yb = load8_y(y, i + 8, ykind);
        __m512d la = zero, ra = zero, lb = zero, rb = zero;
        bce8(xa, ya, w, thr, &la, &ra, &soft8, &bad8, dbl);
        bce8(xb, yb, w, thr, &lb, &rb, &soft8, &bad8, dbl);
        _mm512_storeu_pd(loss + i, la);
        _mm512_storeu_pd(loss + i + 8, lb);
        _mm512_storeu_pd(correct + i, ra);
        _mm512_storeu_pd(correct + i + 8, rb);
        rsum = _mm512_add_pd(rsum, _mm512_add_pd(ra, rb));
        lmin = _mm512_min_pd(lmin, _mm512_min_pd(la, lb));
        lmax = _mm512_max_pd(lmax, _mm512_max_pd(la, lb));
        /* NaN or +inf: not a logit (-inf is one) */
        __mmask8 ba = _mm512_cmp_pd_mask(xa, inf, _CMP_NLT_UQ);
        __mmask8 bb = _mm512_cmp_pd_mask(xb, inf, _CMP_NLT_UQ);
        if (ba | bb) bad += __builtin_popcount(ba) + __builtin_popcount(bb);
    }
    double rs[8], mn[8], mx[8];
    _mm512_storeu_pd(rs, rsum);
    _mm512_storeu_pd(mn, lmin);
    _mm512_storeu_pd(mx, lmax);
    for (int q = 0; q < 8; q++) {  /* integers: exact in any order */
        st->correct_sum += rs[q];
        st->loss_min = mn[q] < st->loss_min ? mn[q] : st->loss_min;
        st->loss_max = mx[q] > st->loss_max ? mx[q] : st->loss_max;
    }
    /* the lanes' flags as the AVX2 vectors the caller keeps (any set lane counts) */
    if (soft8) *soft = _mm256_or_pd(*soft, _mm256_castsi256_pd(_mm256_set1_epi64x(-1)));
    if (bad8) *bad_y = _mm256_or_pd(*bad_y, _mm256_castsi256_pd(_mm256_set1_epi64x(-1)));
    if (i < n)
        bad += bce_column(x + (size_t)i * xkind, xkind, y + (size_t)i * ykind, ykind, pw, n - i,
                          _mm256_set1_pd(thr_logit), loss + i, correct + i, soft, bad_y, st);
    return bad;
}

TARGET512 static Py_ssize_t bce_column_f32_avx512(const char *x, const char *y, int ykind,
                                                  double pw, Py_ssize_t n, double thr_logit,
                                                  double *loss, double *correct, __m256d *soft,
                                                  __m256d *bad_y, BceStats *st) {
    return bce_column_avx512(x, F32, y, ykind, pw, n, thr_logit, loss, correct, soft, bad_y, st);
}

TARGET512 static Py_ssize_t bce_column_f64_avx512(const char *x, const char *y, int ykind,
                                                  double pw, Py_ssize_t n, double thr_logit,
                                                  double *loss, double *correct, __m256d *soft,
                                                  __m256d *bad_y, BceStats *st) {
    return bce_column_avx512(x, F64, y, ykind, pw, n, thr_logit, loss, correct, soft, bad_y, st);
}

TARGET static Py_ssize_t bce_rows(const char *x, int xkind, const char *y, int ykind,
                                  const double *pw, Py_ssize_t n, Py_ssize_t k, double thr_logit,
                                  double *loss, double *correct, int *any_soft, BceStats *st) {
    Py_ssize_t bad = 0;
    const __m256d thr = _mm256_set1_pd(thr_logit), zero = _mm256_setzero_pd();
    const int low = xkind == F32;
    __m256d soft = zero, bad_y = zero;
    st->bad_target_row = -1;
    st->correct_sum = 0.0;
    st->loss_min = INFINITY;
    st->loss_max = -INFINITY;
    if (k == 1) {  /* one column: rows are elements; the loop specialised per logit type */
        const double w = pw ? pw[0] : 1.0;
        switch (xkind) {
        case F32:
            bad = SIMD_WIDTH == 16
                      ? bce_column_f32_avx512(x, y, ykind, w, n, thr_logit, loss, correct, &soft,
                                              &bad_y, st)
                      : bce_column(x, F32, y, ykind, w, n, thr, loss, correct, &soft, &bad_y, st);
            break;
        case F16: bad = bce_column(x, F16, y, ykind, w, n, thr, loss, correct, &soft, &bad_y, st); break;
        case BF16: bad = bce_column(x, BF16, y, ykind, w, n, thr, loss, correct, &soft, &bad_y, st); break;
        default:
            bad = SIMD_WIDTH == 16
                      ? bce_column_f64_avx512(x, y, ykind, w, n, thr_logit, loss, correct, &soft,
                                              &bad_y, st)
                      : bce_column(x, F64, y, ykind, w, n, thr, loss, correct, &soft, &bad_y, st);
        }
    } else {
        for (Py_ssize_t i = 0; i < n; i++) {
            const char *xr = x + (size_t)i * k * KSIZE(xkind), *yr = y + (size_t)i * k * ykind;
            __m256d l = zero, r = zero;
            Py_ssize_t j = 0;
            for (; j + 4 <= k; j += 4)
                bce4(load4(xr, j, xkind), load4(yr, j, ykind),
                     pw ? _mm256_loadu_pd(pw + j) : _mm256_set1_pd(1.0), thr, &l, &r, &soft,
                     &bad_y, low, NULL);
            if (j < k) {
                __m256d lt = zero, rt = zero, st4 = zero, by = zero;
                double wt[4] = {1.0, 1.0, 1.0, 1.0};
                if (pw) for (Py_ssize_t q = 0; q < k - j; q++) wt[q] = pw[j + q];
                bce4(load_tail(xr, j, k - j, xkind, 0.0), load_tail(yr, j, k - j, ykind, 0.0),
                     _mm256_loadu_pd(wt), thr, &lt, &rt, &st4, &by, low, NULL);
                soft = _mm256_or_pd(soft, st4);  /* padded lanes hold y = 0: never soft */
                bad_y = _mm256_or_pd(bad_y, by);
                double lo[4], ro[4];
                _mm256_storeu_pd(lo, lt);
                _mm256_storeu_pd(ro, rt);
                for (Py_ssize_t q = 0; q < k - j; q++) {
                    l = _mm256_add_pd(l, _mm256_set_pd(0, 0, 0, lo[q]));
                    r = _mm256_add_pd(r, _mm256_set_pd(0, 0, 0, ro[q]));
                }
            }
            loss[i] = hsum4(l);
            correct[i] = hsum4(r);
            for (j = 0; j < k; j++)
                if (bad_logit(elem(xr, j, xkind))) { bad++; break; }
        }
    }
    *any_soft = _mm256_movemask_pd(soft) != 0;
    if (_mm256_movemask_pd(bad_y)) {  /* rare: find the first row (an error follows) */
        for (Py_ssize_t e = 0; e < n * k; e++)
            if (bad_target(elem(y, e, ykind))) { st->bad_target_row = e / k; break; }
    }
    return bad;
}

static double pairwise_sum(const double *a, Py_ssize_t n, int sq, double mean);

/* -- binary cross-entropy of probabilities ---------------------------------------------------

   log_d4: ln z of 4 doubles, glibc's method (sysdeps/ieee754/dbl-64/e_log.c, from Arm's
   optimized-routines) with a table of its own (logdtab.h, gen_logdtab.py): z = 2^k z' with z'
   in [0.6875, 1.375) by subtracting 0.6875's bits from z's, the 7 bits below the difference's
   exponent field pick the entry, r = z' INVC - 1 (FMA: one rounding; exact in the two entries
   around 1, whose INVC is 1), |r| <= 2^-7, and ln z = (k ln2_hi + LOGC) + (r + (k ln2_lo +
   r^2 q(r))) with log1p(r) = r + r^2 q(r) by its series to r^8 (truncation below 2e-18
   relative). Within 1.5 ulp of the correctly rounded value (measured: tests/test_bce_probs.py
   holds it to 2.5e-16 relative on a grid over [1e-300, 1] and near 1). k ln2_hi is exact (42
   bits times k's 11). Lanes that are not positive normal numbers (0, subnormals, +inf, NaN)
   go to libm's log (logz4). */
#include "logdtab.h"

/* res, with libm's f(x) in the lanes where x is not in [lo, hi) (NaN among them) */
TARGET static inline __m256d libm_lanes(__m256d x, __m256d res, double lo, double hi,
                                        double (*f)(double)) {
    const __m256d ok = _mm256_and_pd(_mm256_cmp_pd(x, _mm256_set1_pd(lo), _CMP_GE_OQ),
                                     _mm256_cmp_pd(x, _mm256_set1_pd(hi), _CMP_LT_OQ));
    const int special = _mm256_movemask_pd(ok) ^ 15;
    if (special) {
        double xx[4], rr[4];
        _mm256_storeu_pd(xx, x);
        _mm256_storeu_pd(rr, res);
        for (int q = 0; q < 4; q++)
            if (special >> q & 1) rr[q] = f(xx[q]);
        res = _mm256_loadu_pd(rr);
    }
    return res;
}

/* z = 2^k z' (kd = k as a double), i the table entry of z', r = z' INVC[i] - 1 (one
   rounding), and r2 q = log1p(r) - r by its series to r^8: log_d4's and log1p_d4's common part */
TARGET static inline __m256d log_split4(__m256d z, __m256d *kd, __m256i *i, __m256d *r2q) {
    const __m256i ix = _mm256_castpd_si256(z);
    const __m256i tmp = _mm256_sub_epi64(ix, _mm256_set1_epi64x(0x3fe6000000000000LL));
    *i = _mm256_and_si256(_mm256_srli_epi64(tmp, 45), _mm256_set1_epi64x(127));
    /* k + 2048 as the low bits of 2^52 (the top 12 bits of tmp are k, two's complement) */
    const __m256i kb = _mm256_srli_epi64(
        _mm256_add_epi64(tmp, _mm256_set1_epi64x((long long)0x8000000000000000ULL)), 52);
    *kd = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(kb, _mm256_set1_epi64x(0x4330000000000000LL))),
        _mm256_set1_pd(4503599627370496.0 + 2048.0));
    const __m256d zp = _mm256_castsi256_pd(_mm256_sub_epi64(
        ix, _mm256_and_si256(tmp, _mm256_set1_epi64x((long long)0xfff0000000000000ULL))));
    const __m256d r = _mm256_fmsub_pd(zp, _mm256_i64gather_pd(CECE_LOGD_INVC, *i, 8),
                                      _mm256_set1_pd(1.0));
    const __m256d r2 = _mm256_mul_pd(r, r), r4 = _mm256_mul_pd(r2, r2);
    const __m256d p01 = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 3), r, _mm256_set1_pd(-0.5));
    const __m256d p23 = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 5), r, _mm256_set1_pd(-0.25));
    const __m256d p45 = _mm256_fmadd_pd(_mm256_set1_pd(1.0 / 7), r, _mm256_set1_pd(-1.0 / 6));
    const __m256d q = _mm256_fmadd_pd(
        _mm256_fmadd_pd(_mm256_set1_pd(-0.125), r2, p45), r4, _mm256_fmadd_pd(p23, r2, p01));
    *r2q = _mm256_mul_pd(r2, q);
    return r;
}

#define CECE_LN2_HI 0x1.62e42fefa3800p-1 /* 42 bits: k ln2_hi is exact */
#define CECE_LN2_LO 0x1.ef35793c76730p-45

TARGET static inline __m256d log_d4(__m256d z) {
    __m256d kd, r2q;
    __m256i i;
    const __m256d r = log_split4(z, &kd, &i, &r2q);
    const __m256d logc = _mm256_i64gather_pd(CECE_LOGD_LOGC, i, 8);
    const __m256d hi = _mm256_fmadd_pd(kd, _mm256_set1_pd(CECE_LN2_HI), logc);
    const __m256d lo = _mm256_fmadd_pd(kd, _mm256_set1_pd(CECE_LN2_LO), r2q);
    return _mm256_add_pd(hi, _mm256_add_pd(r, lo));
}

/* log1p(s) of 4 doubles s in [0, 2047) (other lanes, NaN among them, go to libm's log1p):
   u = 1 + s rounded, c = s - (u - 1) what that lost (exact), and ln u = k ln2 + ln(1/INVC) +
   log1p(r) summed as glibc's log sums it (sysdeps/ieee754/dbl-64/e_log.c): w = k ln2_hi +
   LOGC43_HI exact (both multiples of 2^-43, |w| < 8), hi + lo1 = w + r exactly (TwoSum), and
   everything small (lo1, k ln2_lo + LOGC43_LO, r^2 q, c / u) added in lo before the one
   rounding of hi + lo. Measured against 130-bit mpmath on 18 000 sums in [1e-20, 63]: at most
   0.65 ulp, 99.7 % correctly rounded (libm's log1p: 0.75 ulp, 96.0 %); r's own rounding (2^-61
   at most) is the largest error besides the last rounding. */
TARGET static inline __m256d log1p_d4(__m256d s) {
    const __m256d one = _mm256_set1_pd(1.0);
    const __m256d u = _mm256_add_pd(s, one);
    const __m256d c = _mm256_sub_pd(s, _mm256_sub_pd(u, one));
    __m256d kd, r2q;
    __m256i i;
    const __m256d r = log_split4(u, &kd, &i, &r2q);
    const __m256d w = _mm256_fmadd_pd(kd, _mm256_set1_pd(CECE_LN2_HI),
                                      _mm256_i64gather_pd(CECE_LOGD_LOGC43_HI, i, 8));
    const __m256d hi = _mm256_add_pd(w, r);
    const __m256d bb = _mm256_sub_pd(hi, w);
    const __m256d lo1 = _mm256_add_pd(_mm256_sub_pd(w, _mm256_sub_pd(hi, bb)), _mm256_sub_pd(r, bb));
    const __m256d tail = _mm256_fmadd_pd(kd, _mm256_set1_pd(CECE_LN2_LO),
                                         _mm256_i64gather_pd(CECE_LOGD_LOGC43_LO, i, 8));
    const __m256d lo = _mm256_add_pd(_mm256_add_pd(lo1, tail),
                                     _mm256_add_pd(r2q, _mm256_div_pd(c, u)));
    return libm_lanes(s, _mm256_add_pd(hi, lo), 0.0, 2047.0, log1p);
}

TARGET static inline __m256d logz4(__m256d z) {
    return libm_lanes(z, log_d4(z), 0x1p-1022, INFINITY, log);
}

/* The BCE of 4 probabilities v against targets t with weights w (the positive side's), the
   element losses returned; *right, *soft, *bad_y as bce4; *hits counts lanes the clip to
   [lo, hi] moved (clip: eps > 0). c = clip(v); ln(1 - c) = ln d + e/d with d = 1 - c rounded and
   e = (1 - d) - c its exact error (1/d taken as 2 - d: e/d matters only where d is near 1);
   a hard target takes one logarithm (of c on 1, of d on 0), a vector holding a soft target
   both, each side whose weight (w t, 1 - t) is 0 left out (0 * inf = 0); + 0 makes a -0 0. */
TARGET static inline __m256d bce_p4(__m256d v, __m256d t, __m256d w, __m256d thr, __m256d lo,
                                    __m256d hi, int clip, __m256d *right, __m256d *soft,
                                    __m256d *bad_y, Py_ssize_t *hits) {
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    __m256d c = v;
    if (clip) {
        int h = _mm256_movemask_pd(_mm256_or_pd(_mm256_cmp_pd(v, lo, _CMP_LT_OQ),
                                                _mm256_cmp_pd(v, hi, _CMP_GT_OQ)));
        if (h) *hits += __builtin_popcount(h);
        c = _mm256_min_pd(hi, _mm256_max_pd(lo, v)); /* a NaN v stays NaN */
    }
    const __m256d wy = _mm256_mul_pd(w, t), u = _mm256_sub_pd(one, t);
    const __m256d d = _mm256_sub_pd(one, c);
    const __m256d corr = _mm256_mul_pd(_mm256_sub_pd(_mm256_sub_pd(one, d), c),
                                       _mm256_sub_pd(_mm256_set1_pd(2.0), d));
    const __m256d sv = _mm256_fnmadd_pd(t, t, t); /* t - t^2, as in bce4 */
    const __m256d softm = _mm256_cmp_pd(sv, zero, _CMP_GT_OQ);
    *soft = _mm256_or_pd(*soft, softm);
    *bad_y = _mm256_or_pd(*bad_y, _mm256_cmp_pd(sv, zero, _CMP_NGE_UQ));
    __m256d l;
    if (!_mm256_movemask_pd(softm)) { /* 0 or 1 (or not a target: an error follows) */
        const __m256d pos = _mm256_cmp_pd(u, zero, _CMP_EQ_OQ);
        const __m256d lg = _mm256_add_pd(logz4(_mm256_blendv_pd(d, c, pos)),
                                         _mm256_andnot_pd(pos, corr));
        const __m256d wt = _mm256_blendv_pd(u, wy, pos);
        /* a weight of 0 (--pos-weight 0) times -log 0 = inf is 0, as on the soft path */
        l = _mm256_and_pd(_mm256_mul_pd(wt, _mm256_sub_pd(zero, lg)),
                          _mm256_cmp_pd(wt, zero, _CMP_NEQ_UQ));
    } else {
        __m256d la = _mm256_mul_pd(wy, _mm256_sub_pd(zero, logz4(c)));
        __m256d lb = _mm256_mul_pd(u, _mm256_sub_pd(zero, _mm256_add_pd(logz4(d), corr)));
        la = _mm256_and_pd(la, _mm256_cmp_pd(wy, zero, _CMP_NEQ_UQ));
        lb = _mm256_and_pd(lb, _mm256_cmp_pd(u, zero, _CMP_NEQ_UQ));
        l = _mm256_add_pd(la, lb);
    }
    const __m256d pred = _mm256_cmp_pd(v, thr, _CMP_GT_OQ);
    const __m256d pos = _mm256_cmp_pd(t, _mm256_set1_pd(0.5), _CMP_GE_OQ);
    *right = _mm256_andnot_pd(_mm256_xor_pd(pred, pos), one);
    return _mm256_add_pd(l, zero);
}

/* -- the same, 8 lanes a vector (AVX-512), probabilities in one column ------------------------

   log_split8, log_d8, logz8 and bce_p8 are log_split4, log_d4, logz4 and bce_p4 over 8 double
   lanes: the same operations in the same order on each lane (compares and blends become mask
   registers), so each element's loss and right count are the same bits at either width. A
   vector of 8 holding a soft target takes both logarithms on all 8 lanes where AVX2 may take
   one on 4 of them; a hard lane's loss is the same either way (the other side's term is
   masked to +0 and the sum is + 0 as bce_p4 ends). tests/test_bce_isa.py holds the widths to
   the same bits. */
TARGET512 static inline __m512d libm_lanes8(__m512d x, __m512d res, double lo, double hi,
                                           double (*f)(double)) {
    const __mmask8 ok = _mm512_cmp_pd_mask(x, _mm512_set1_pd(lo), _CMP_GE_OQ) &
                        _mm512_cmp_pd_mask(x, _mm512_set1_pd(hi), _CMP_LT_OQ);
    const unsigned special = (unsigned)(__mmask8)~ok;
    if (special) {
        double xx[8], rr[8];
        _mm512_storeu_pd(xx, x);
        _mm512_storeu_pd(rr, res);
        for (int q = 0; q < 8; q++)
            if (special >> q & 1) rr[q] = f(xx[q]);
        res = _mm512_loadu_pd(rr);
    }
    return res;
}

#define C8(v) _mm512_set1_pd(v)
#define CI8(v) _mm512_set1_epi64((long long)(v))
TARGET512 static inline __m512d log_split8(__m512d z, __m512d *kd, __m512i *i, __m512d *r2q) {
    const __m512i ix = _mm512_castpd_si512(z);
    const __m512i tmp = _mm512_sub_epi64(ix, CI8(0x3fe6000000000000LL));
    *i = _mm512_and_si512(_mm512_srli_epi64(tmp, 45), CI8(127));
    const __m512i kb = _mm512_srli_epi64(_mm512_add_epi64(tmp, CI8(0x8000000000000000ULL)), 52);
    *kd = _mm512_sub_pd(_mm512_castsi512_pd(_mm512_or_si512(kb, CI8(0x4330000000000000LL))),
                        C8(4503599627370496.0 + 2048.0));
    const __m512d zp = _mm512_castsi512_pd(
        _mm512_sub_epi64(ix, _mm512_and_si512(tmp, CI8(0xfff0000000000000ULL))));
    const __m512d r = _mm512_fmsub_pd(zp, _mm512_i64gather_pd(*i, CECE_LOGD_INVC, 8), C8(1.0));
    const __m512d r2 = _mm512_mul_pd(r, r), r4 = _mm512_mul_pd(r2, r2);
    const __m512d p01 = _mm512_fmadd_pd(C8(1.0 / 3), r, C8(-0.5));
    const __m512d p23 = _mm512_fmadd_pd(C8(1.0 / 5), r, C8(-0.25));
    const __m512d p45 = _mm512_fmadd_pd(C8(1.0 / 7), r, C8(-1.0 / 6));
    const __m512d q = _mm512_fmadd_pd(_mm512_fmadd_pd(C8(-0.125), r2, p45), r4,
                                      _mm512_fmadd_pd(p23, r2, p01));
    *r2q = _mm512_mul_pd(r2, q);
    return r;
}

TARGET512 static inline __m512d log_d8(__m512d z) {
    __m512d kd, r2q;
    __m512i i;
    const __m512d r = log_split8(z, &kd, &i, &r2q);
    const __m512d logc = _mm512_i64gather_pd(i, CECE_LOGD_LOGC, 8);
    const __m512d hi = _mm512_fmadd_pd(kd, C8(CECE_LN2_HI), logc);
    const __m512d lo = _mm512_fmadd_pd(kd, C8(CECE_LN2_LO), r2q);
    return _mm512_add_pd(hi, _mm512_add_pd(r, lo));
}

/* log1p_d4 on 8 lanes (the float64 few-classes kernel's epilogue at AVX-512: finish_f64_8) */
TARGET512 static inline __m512d log1p_d8(__m512d s) {
    const __m512d one = C8(1.0);
    const __m512d u = _mm512_add_pd(s, one);
    const __m512d c = _mm512_sub_pd(s, _mm512_sub_pd(u, one));
    __m512d kd, r2q;
    __m512i i;
    const __m512d r = log_split8(u, &kd, &i, &r2q);
    const __m512d w = _mm512_fmadd_pd(kd, C8(CECE_LN2_HI),
                                      _mm512_i64gather_pd(i, CECE_LOGD_LOGC43_HI, 8));
    const __m512d hi = _mm512_add_pd(w, r);
    const __m512d bb = _mm512_sub_pd(hi, w);
    const __m512d lo1 = _mm512_add_pd(_mm512_sub_pd(w, _mm512_sub_pd(hi, bb)), _mm512_sub_pd(r, bb));
    const __m512d tail = _mm512_fmadd_pd(kd, C8(CECE_LN2_LO),
                                         _mm512_i64gather_pd(i, CECE_LOGD_LOGC43_LO, 8));
    const __m512d lo = _mm512_add_pd(_mm512_add_pd(lo1, tail),
                                     _mm512_add_pd(r2q, _mm512_div_pd(c, u)));
    return libm_lanes8(s, _mm512_add_pd(hi, lo), 0.0, 2047.0, log1p);
}
#undef CI8
#undef C8

TARGET512 static inline __m512d logz8(__m512d z) {
    return libm_lanes8(z, log_d8(z), 0x1p-1022, INFINITY, log);
}

TARGET512 static inline __m512d bce_p8(__m512d v, __m512d t, __m512d w, __m512d thr, __m512d lo,
                                      __m512d hi, int clip, __m512d *right, __mmask8 *soft,
                                      __mmask8 *bad_y, Py_ssize_t *hits) {
    const __m512d zero = _mm512_setzero_pd(), one = _mm512_set1_pd(1.0);
    __m512d c = v;
    if (clip) {
        __mmask8 h = _mm512_cmp_pd_mask(v, lo, _CMP_LT_OQ) | _mm512_cmp_pd_mask(v, hi, _CMP_GT_OQ);
        if (h) *hits += __builtin_popcount(h);
        c = _mm512_min_pd(hi, _mm512_max_pd(lo, v)); /* a NaN v stays NaN */
    }
    const __m512d wy = _mm512_mul_pd(w, t), u = _mm512_sub_pd(one, t);
    const __m512d d = _mm512_sub_pd(one, c);
    const __m512d corr = _mm512_mul_pd(_mm512_sub_pd(_mm512_sub_pd(one, d), c),
                                       _mm512_sub_pd(_mm512_set1_pd(2.0), d));
    const __m512d sv = _mm512_fnmadd_pd(t, t, t);
    const __mmask8 softm = _mm512_cmp_pd_mask(sv, zero, _CMP_GT_OQ);
    *soft |= softm;
    *bad_y |= _mm512_cmp_pd_mask(sv, zero, _CMP_NGE_UQ);
    __m512d l;
    if (!softm) {
        const __mmask8 pos = _mm512_cmp_pd_mask(u, zero, _CMP_EQ_OQ);
        const __m512d lg = _mm512_add_pd(logz8(_mm512_mask_blend_pd(pos, d, c)),
                                         _mm512_maskz_mov_pd((__mmask8)~pos, corr));
        const __m512d wt = _mm512_mask_blend_pd(pos, u, wy);
        l = _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(wt, zero, _CMP_NEQ_UQ),
                                _mm512_mul_pd(wt, _mm512_sub_pd(zero, lg)));
    } else {
        __m512d la = _mm512_mul_pd(wy, _mm512_sub_pd(zero, logz8(c)));
        __m512d lb = _mm512_mul_pd(u, _mm512_sub_pd(zero, _mm512_add_pd(logz8(d), corr)));
        la = _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(wy, zero, _CMP_NEQ_UQ), la);
        lb = _mm512_maskz_mov_pd(_mm512_cmp_pd_mask(u, zero, _CMP_NEQ_UQ), lb);
        l = _mm512_add_pd(la, lb);
    }
    const __mmask8 pred = _mm512_cmp_pd_mask(v, thr, _CMP_GT_OQ);
    const __mmask8 pos = _mm512_cmp_pd_mask(t, _mm512_set1_pd(0.5), _CMP_GE_OQ);
    *right = _mm512_maskz_mov_pd((__mmask8)~(pred ^ pos), one);
    return _mm512_add_pd(l, zero);
}

/* 8 float32 or float64 values at element i, as doubles */
TARGET512 static inline __m512d load8_f(const char *p, Py_ssize_t i, int kind) {
    if (kind == F32) return _mm512_cvtps_pd(_mm256_loadu_ps((const float *)p + i));
    return _mm512_loadu_pd((const double *)p + i);
}

/* The k = 1 loop of bce_probs_rows over the first n - n % 8 elements of float32/float64
   probabilities p against float32/float64 targets y, 8 at a time: losses and right counts
   stored, Σ right and the loss and value extrema into *st, any soft target or bad one as an all-ones
   AVX2 flag, the clip's moves into *hits; returns the elements done (the caller's AVX2 loop
   takes the rest). Σ right and the extrema are exact in any order. */
TARGET512 static Py_ssize_t bce_probs_col8(const char *p, int pkind, const char *y, int ykind,
                                           double pw, Py_ssize_t n, double thr, double eps,
                                           double *loss, double *correct, __m256d *soft,
                                           __m256d *bad_y, Py_ssize_t *hits, BceStats *st) {
    const __m512d zero = _mm512_setzero_pd(), w = _mm512_set1_pd(pw), tv = _mm512_set1_pd(thr);
    const __m512d lo = _mm512_set1_pd(eps), hi = _mm512_set1_pd(1.0 - eps);
    const int clip = eps > 0;
    __mmask8 soft8 = 0, bad8 = 0, nan8 = 0;
    __m512d rsum = zero, lmin = _mm512_set1_pd(INFINITY), lmax = _mm512_set1_pd(-INFINITY);
    __m512d vmin = lmin, vmax = lmax;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512d v = load8_f(p, i, pkind);
        __m512d r, l = bce_p8(v, load8_y(y, i, ykind), w, tv, lo, hi, clip, &r, &soft8, &bad8,
                              hits);
        _mm512_storeu_pd(loss + i, l);
        _mm512_storeu_pd(correct + i, r);
        rsum = _mm512_add_pd(rsum, r);
        lmin = _mm512_min_pd(lmin, l);
        lmax = _mm512_max_pd(lmax, l);
        vmin = _mm512_min_pd(vmin, v);
        vmax = _mm512_max_pd(vmax, v);
        nan8 |= _mm512_cmp_pd_mask(v, v, _CMP_UNORD_Q);
    }
    double rs[8], mn[8], mx[8], vn[8], vx[8];
    _mm512_storeu_pd(rs, rsum);
    _mm512_storeu_pd(mn, lmin);
    _mm512_storeu_pd(mx, lmax);
    _mm512_storeu_pd(vn, vmin);
    _mm512_storeu_pd(vx, vmax);
    for (int q = 0; q < 8; q++) {
        st->correct_sum += rs[q];
        st->loss_min = mn[q] < st->loss_min ? mn[q] : st->loss_min;
        st->loss_max = mx[q] > st->loss_max ? mx[q] : st->loss_max;
        st->x_min = vn[q] < st->x_min ? vn[q] : st->x_min;
        st->x_max = vx[q] > st->x_max ? vx[q] : st->x_max;
    }
    if (nan8) st->x_min = st->x_max = NAN; /* kept: a comparison with NaN is false */
    if (soft8) *soft = _mm256_or_pd(*soft, _mm256_castsi256_pd(_mm256_set1_epi64x(-1)));
    if (bad8) *bad_y = _mm256_or_pd(*bad_y, _mm256_castsi256_pd(_mm256_set1_epi64x(-1)));
    return i;
}

/* bce_probs: (n, k) probabilities p against targets y (float32/64), each row's elements
   summed as numpy sums a row (0 + its pairwise sum; one column: the element), correct[i] its
   elements with (p > thr) == (y >= 0.5); returns the elements the clip to [eps, 1 - eps] moved
   (-1: out of memory); *any_soft, st as bce_rows. The probabilities are not checked here (the
   caller has: cece/losses/validate.py). */
TARGET static Py_ssize_t bce_probs_rows(const char *p, int pkind, const char *y, int ykind,
                                        const double *pw, Py_ssize_t n, Py_ssize_t k, double thr,
                                        double eps, double *loss, double *correct, int *any_soft,
                                        BceStats *st) {
    const __m256d zero = _mm256_setzero_pd(), tv = _mm256_set1_pd(thr);
    const __m256d lo = _mm256_set1_pd(eps), hi = _mm256_set1_pd(1.0 - eps);
    const int clip = eps > 0;
    Py_ssize_t hits = 0;
    __m256d soft = zero, bad_y = zero;
    st->bad_target_row = -1;
    st->correct_sum = 0.0;
    st->loss_min = INFINITY;
    st->loss_max = -INFINITY;
    if (k == 1) {
        const __m256d w = _mm256_set1_pd(pw ? pw[0] : 1.0);
        __m256d rsum = zero, lmin = _mm256_set1_pd(INFINITY), lmax = _mm256_set1_pd(-INFINITY);
        __m256d vmin = lmin, vmax = lmax, vnan = zero;
        Py_ssize_t i = 0;
        if (SIMD_WIDTH == 16 && (pkind == F32 || pkind == F64)) /* the rest: the loop below */
            i = bce_probs_col8(p, pkind, y, ykind, pw ? pw[0] : 1.0, n, thr, eps, loss, correct,
                               &soft, &bad_y, &hits, st);
        for (; i + 4 <= n; i += 4) {
            const __m256d v = load4(p, i, pkind);
            __m256d r, l = bce_p4(v, load4(y, i, ykind), w, tv, lo, hi, clip, &r, &soft, &bad_y,
                                  &hits);
            _mm256_storeu_pd(loss + i, l);
            _mm256_storeu_pd(correct + i, r);
            rsum = _mm256_add_pd(rsum, r);
            lmin = _mm256_min_pd(lmin, l);
            lmax = _mm256_max_pd(lmax, l);
            vmin = _mm256_min_pd(vmin, v);
            vmax = _mm256_max_pd(vmax, v);
            vnan = _mm256_or_pd(vnan, _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
        }
        double rs[4], mn[4], mx[4], vn[4], vx[4];
        _mm256_storeu_pd(rs, rsum);
        _mm256_storeu_pd(mn, lmin);
        _mm256_storeu_pd(mx, lmax);
        _mm256_storeu_pd(vn, vmin);
        _mm256_storeu_pd(vx, vmax);
        for (int q = 0; q < 4; q++) { /* integers: exact in any order */
            st->correct_sum += rs[q];
            st->loss_min = mn[q] < st->loss_min ? mn[q] : st->loss_min;
            st->loss_max = mx[q] > st->loss_max ? mx[q] : st->loss_max;
            st->x_min = vn[q] < st->x_min ? vn[q] : st->x_min;
            st->x_max = vx[q] > st->x_max ? vx[q] : st->x_max;
        }
        if (_mm256_movemask_pd(vnan)) st->x_min = st->x_max = NAN;
        if (i < n) { /* the last 1..3: padded with p = 1/2, y = 0 (never moved, soft or bad) */
            Py_ssize_t m = n - i;
            __m256d r, l = bce_p4(load_tail(p, i, m, pkind, 0.5), load_tail(y, i, m, ykind, 0.0),
                                  w, tv, lo, hi, clip, &r, &soft, &bad_y, &hits);
            double lv[4], rv[4];
            _mm256_storeu_pd(lv, l);
            _mm256_storeu_pd(rv, r);
            for (Py_ssize_t q = 0; q < m; q++) {
                const double v = elem(p, i + q, pkind);
                loss[i + q] = lv[q];
                correct[i + q] = rv[q];
                st->correct_sum += rv[q];
                st->loss_min = lv[q] < st->loss_min ? lv[q] : st->loss_min;
                st->loss_max = lv[q] > st->loss_max ? lv[q] : st->loss_max;
                if (v != v || st->x_min != st->x_min) { st->x_min = st->x_max = NAN; continue; }
                st->x_min = v < st->x_min ? v : st->x_min;
                st->x_max = v > st->x_max ? v : st->x_max;
            }
        }
        st->x_min += 0.0; /* -0.0 as +0.0, as the numpy twin gives it */
        st->x_max += 0.0;
    } else {
        double *terms = malloc(sizeof(double) * (size_t)(k + 4));
        if (!terms) return -1;
        for (Py_ssize_t i = 0; i < n; i++) {
            const char *pr = p + (size_t)i * k * KSIZE(pkind), *yr = y + (size_t)i * k * ykind;
            __m256d rsum = zero;
            for (Py_ssize_t j = 0; j < k; j += 4) {
                Py_ssize_t m = k - j < 4 ? k - j : 4;
                double wt[4] = {1.0, 1.0, 1.0, 1.0};
                if (pw) memcpy(wt, pw + j, sizeof(double) * (size_t)m);
                __m256d r, l = bce_p4(m == 4 ? load4(pr, j, pkind) : load_tail(pr, j, m, pkind, 0.5),
                                      m == 4 ? load4(yr, j, ykind) : load_tail(yr, j, m, ykind, 0.0),
                                      _mm256_loadu_pd(wt), tv, lo, hi, clip, &r, &soft, &bad_y,
                                      &hits);
                _mm256_storeu_pd(terms + j, l); /* the buffer holds k + 4: room for the pad */
                if (m < 4) /* the padded lanes' right-count left out */
                    r = _mm256_and_pd(r, _mm256_castsi256_pd(_mm256_setr_epi64x(
                                             -1, m > 1 ? -1 : 0, m > 2 ? -1 : 0, 0)));
                rsum = _mm256_add_pd(rsum, r);
            }
            loss[i] = 0.0 + pairwise_sum(terms, k, 0, 0.0);
            correct[i] = hsum4(rsum);
        }
        free(terms);
    }
    *any_soft = _mm256_movemask_pd(soft) != 0;
    if (_mm256_movemask_pd(bad_y)) { /* rare: the first row (an error follows) */
        for (Py_ssize_t e = 0; e < n * k; e++)
            if (bad_target(elem(y, e, ykind))) { st->bad_target_row = e / k; break; }
    }
    return hits;
}

/* -log clip(v, eps, 1 - eps) of n float64 values (no clip at eps = 0), by log_d4: the
   categorical loss of probabilities against class indices, each row's picked value
   (losses/softmax.py); numpy's log of them took ~8 ns a value, this ~1. */
/* neg_log_clip's loop at 8 lanes (AVX-512) over the first n - n % 8 values: logz8 is logz4's
   operations on each lane, the same bits; returns the values done */
/* The extrema neg_log_clip keeps in its pass: of v (ext[0], ext[1]) and of out (ext[2],
   ext[3]); a NaN among either makes both of its pair NaN (as numpy's min and max). */
static void ext_lane(double *ext, double vmin, double vmax, double omin, double omax) {
    ext[0] = vmin < ext[0] ? vmin : ext[0];
    ext[1] = vmax > ext[1] ? vmax : ext[1];
    ext[2] = omin < ext[2] ? omin : ext[2];
    ext[3] = omax > ext[3] ? omax : ext[3];
}

TARGET512 static Py_ssize_t neg_log_clip8(const double *v, double *out, Py_ssize_t n,
                                          double eps, double *ext, int *nan) {
    const __m512d lo = _mm512_set1_pd(eps), hi = _mm512_set1_pd(1.0 - eps);
    const __m512d zero = _mm512_setzero_pd();
    __m512d vmin = _mm512_set1_pd(INFINITY), vmax = _mm512_set1_pd(-INFINITY);
    __m512d omin = vmin, omax = vmax;
    __mmask8 vnan = 0, onan = 0;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m512d raw = _mm512_loadu_pd(v + i);
        __m512d x = raw;
        if (eps > 0) x = _mm512_min_pd(hi, _mm512_max_pd(lo, x)); /* a NaN stays NaN */
        const __m512d r = _mm512_add_pd(_mm512_sub_pd(zero, logz8(x)), zero);
        _mm512_storeu_pd(out + i, r);
        vmin = _mm512_min_pd(vmin, raw);
        vmax = _mm512_max_pd(vmax, raw);
        omin = _mm512_min_pd(omin, r);
        omax = _mm512_max_pd(omax, r);
        vnan |= _mm512_cmp_pd_mask(raw, raw, _CMP_UNORD_Q);
        onan |= _mm512_cmp_pd_mask(r, r, _CMP_UNORD_Q);
    }
    double a[8], b[8], c[8], d[8];
    _mm512_storeu_pd(a, vmin);
    _mm512_storeu_pd(b, vmax);
    _mm512_storeu_pd(c, omin);
    _mm512_storeu_pd(d, omax);
    for (int q = 0; q < 8; q++) ext_lane(ext, a[q], b[q], c[q], d[q]);
    nan[0] |= vnan != 0;
    nan[1] |= onan != 0;
    return i;
}

TARGET static void neg_log_clip(const double *v, double *out, Py_ssize_t n, double eps,
                                double *ext) {
    const __m256d lo = _mm256_set1_pd(eps), hi = _mm256_set1_pd(1.0 - eps);
    const __m256d zero = _mm256_setzero_pd();
    int nan[2] = {0, 0};
    ext[0] = ext[2] = INFINITY;
    ext[1] = ext[3] = -INFINITY;
    Py_ssize_t i = SIMD_WIDTH == 16 ? neg_log_clip8(v, out, n, eps, ext, nan) : 0;
    __m256d vmin = _mm256_set1_pd(INFINITY), vmax = _mm256_set1_pd(-INFINITY);
    __m256d omin = vmin, omax = vmax, vbad = zero, obad = zero;
    for (; i + 4 <= n; i += 4) {
        const __m256d raw = _mm256_loadu_pd(v + i);
        __m256d x = raw;
        if (eps > 0) x = _mm256_min_pd(hi, _mm256_max_pd(lo, x)); /* a NaN stays NaN */
        const __m256d r = _mm256_add_pd(_mm256_sub_pd(zero, logz4(x)), zero); /* -log 1: 0 */
        _mm256_storeu_pd(out + i, r);
        vmin = _mm256_min_pd(vmin, raw);
        vmax = _mm256_max_pd(vmax, raw);
        omin = _mm256_min_pd(omin, r);
        omax = _mm256_max_pd(omax, r);
        vbad = _mm256_or_pd(vbad, _mm256_cmp_pd(raw, raw, _CMP_UNORD_Q));
        obad = _mm256_or_pd(obad, _mm256_cmp_pd(r, r, _CMP_UNORD_Q));
    }
    double a[4], b[4], c[4], d[4];
    _mm256_storeu_pd(a, vmin);
    _mm256_storeu_pd(b, vmax);
    _mm256_storeu_pd(c, omin);
    _mm256_storeu_pd(d, omax);
    for (int q = 0; q < 4; q++) ext_lane(ext, a[q], b[q], c[q], d[q]);
    nan[0] |= _mm256_movemask_pd(vbad) != 0;
    nan[1] |= _mm256_movemask_pd(obad) != 0;
    if (i < n) { /* the last 1..3, padded with 1 */
        const Py_ssize_t m = n - i;
        __m256d x = load_tail(v, i, m, F64, 1.0);
        if (eps > 0) x = _mm256_min_pd(hi, _mm256_max_pd(lo, x));
        double t[4];
        _mm256_storeu_pd(t, _mm256_add_pd(_mm256_sub_pd(zero, logz4(x)), zero));
        memcpy(out + i, t, sizeof(double) * (size_t)m);
        for (Py_ssize_t q = 0; q < m; q++) {
            nan[0] |= v[i + q] != v[i + q];
            nan[1] |= t[q] != t[q];
            ext_lane(ext, v[i + q], v[i + q], t[q], t[q]);
        }
    }
    if (nan[0]) ext[0] = ext[1] = NAN;
    if (nan[1]) ext[2] = ext[3] = NAN;
    ext[0] += 0.0; /* a zero as +0.0, as the numpy twin gives it */
    ext[1] += 0.0;
}

/* off_one's loop, 4 sums a step: max_pd keeps its second operand where the first is NaN (the
   NaN left out, as the scalar loop's compare); the first index past tol found in the step
   that has one. Returns the elements done; *most, *first, *count as py_off_one's. */
TARGET static Py_ssize_t off_one4(const double *s, Py_ssize_t n, double tol, double *most,
                                  Py_ssize_t *first, Py_ssize_t *count) {
    const __m256d one = _mm256_set1_pd(1.0), t = _mm256_set1_pd(tol);
    const __m256d abs_mask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    __m256d m = _mm256_setzero_pd();
    Py_ssize_t i = 0, past = 0;
    for (; i + 4 <= n; i += 4) {
        const __m256d d = _mm256_and_pd(_mm256_sub_pd(_mm256_loadu_pd(s + i), one), abs_mask);
        m = _mm256_max_pd(d, m);
        const int hit = _mm256_movemask_pd(_mm256_cmp_pd(d, t, _CMP_GT_OQ));
        if (hit) {
            if (*first < 0) *first = i + __builtin_ctz((unsigned)hit);
            past += __builtin_popcount((unsigned)hit);
        }
    }
    double mm[4];
    _mm256_storeu_pd(mm, m);
    for (int q = 0; q < 4; q++) *most = mm[q] > *most ? mm[q] : *most;
    *count += past;
    return i;
}

TARGET static void vec_exp_log(const double *x, double *e, double *lg, Py_ssize_t n) {
    for (Py_ssize_t i = 0; i < n; i += 4) {
        Py_ssize_t m = n - i < 4 ? n - i : 4;
        double t[4] = {1, 1, 1, 1}, a[4], b[4];
        memcpy(t, x + i, m * sizeof(double));
        __m256d v = _mm256_loadu_pd(t);
        _mm256_storeu_pd(a, exp4(v));
        _mm256_storeu_pd(b, log4(v));
        memcpy(e + i, a, m * sizeof(double));
        memcpy(lg + i, b, m * sizeof(double));
    }
}

#endif /* CECE_X86 */

/* -- a block's loss sum and spread (both losses) -------------------------------------------- */

/* numpy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src, DOUBLE_pairwise_sum:
   below 8 values a plain loop, up to 128 eight accumulators, above that two halves cut at a
   multiple of 8), so that these sums are numpy's to the bit; `mean` given: of (x - mean)^2,
   each square rounded before it is added, as np.add.reduce(np.multiply(dev, dev)). Plain C
   on purpose (no TARGET: no FMA to contract a square into its sum). */
static double pairwise_sum(const double *a, Py_ssize_t n, int sq, double mean) {
#define V(i) (sq ? (a[i] - mean) * (a[i] - mean) : a[i])
    if (n < 8) {
        double res = -0.0;
        for (Py_ssize_t i = 0; i < n; i++) res += V(i);
        return res;
    }
    if (n <= 128) {
        double r[8];
        Py_ssize_t i;
        for (int j = 0; j < 8; j++) r[j] = V(j);
        for (i = 8; i < n - (n % 8); i += 8)
            for (int j = 0; j < 8; j++) r[j] += V(i + j);
        double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += V(i);
        return res;
    }
    Py_ssize_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2, sq, mean) + pairwise_sum(a + n2, n - n2, sq, mean);
#undef V
}


/* -- Python glue ------------------------------------------------------------------------------ */

static int kind_of(const Py_buffer *b) {
    const char *f = b->format ? b->format : "B";
    if (*f == '<' || *f == '=' || *f == '@') f++;
    if (b->itemsize == 8 && *f == 'd') return 8;
    if (b->itemsize == 4 && *f == 'f') return 4;
    if (b->itemsize == 2 && *f == 'e') return F16;
    if (b->itemsize == 2 && strcmp(f, "2x") == 0) return BF16;  /* numpy's |V2: bfloat16 bits */
    return 0;
}

#if CECE_X86
/* (min, max) of n float64 values, into lo and hi (NaN never compares: the caller uses them only
   where the kernel counted no bad row). Exact, as numpy's min and max. */
TARGET static void minmax_f64(const double *v, Py_ssize_t n, double *lo, double *hi) {
    __m256d a = _mm256_set1_pd(*lo), b = _mm256_set1_pd(*hi), a2 = a, b2 = b;
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d u = _mm256_loadu_pd(v + i), w = _mm256_loadu_pd(v + i + 4);
        a = _mm256_min_pd(a, u), b = _mm256_max_pd(b, u);
        a2 = _mm256_min_pd(a2, w), b2 = _mm256_max_pd(b2, w);
    }
    double l[4], h[4];
    _mm256_storeu_pd(l, _mm256_min_pd(a, a2));
    _mm256_storeu_pd(h, _mm256_max_pd(b, b2));
    for (int j = 0; j < 4; j++) {
        if (l[j] < *lo) *lo = l[j];
        if (h[j] > *hi) *hi = h[j];
    }
    for (; i < n; i++) {
        if (v[i] < *lo) *lo = v[i];
        if (v[i] > *hi) *hi = v[i];
    }
}

/* -- probabilities and log-probabilities against class indices ------------------------------

   The kinds that need no softmax: each row's value at its label, as a double (exact), and
   whether the label is the row's first maximum (argmax(x[i]) == y[i], as numpy's argmax
   decides it: the first index of the maximum; a row holding NaN is never right); and, for
   the checks, each row's sum in double, its values added in order from 0 (numpy's twin adds
   the columns in the same order: the same bits). Few classes (< 64): over the transposed
   tile, a lane a row (8 floats or 4 doubles a vector, AVX2; the tiles prefetched as the
   softmax kernels' are); more: a row at a time. */

/* The lanes of a step: xy and correct of its k rows from the tile (col: the step's first
   row), their maxima' first index top and NaN mask (bit r: row r holds NaN) */
static INLINE void pick_finish(const float *colf, const double *cold, const float *topv,
                               int nan, const int64_t *y, Py_ssize_t k, double *xy,
                               uint8_t *correct) {
    for (Py_ssize_t r = 0; r < k; r++) {
        const int64_t yr = y[r];
        xy[r] = colf ? (double)colf[yr * TILE + r] : cold[yr * TILE + r];
        correct[r] = !((nan >> r) & 1) && (int64_t)topv[r] == yr;
    }
}

#define LO4(a) _mm256_cvtps_pd(_mm256_castps256_ps128(a))
#define HI4(a) _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1))

/* The running (min, max, any NaN) of the row_sums pass: vectors over whole steps, the rows
   of a last partial step one at a time (the tile's padding is zeros, not values) */
typedef struct {
    double lo, hi;
    int nan;
} Extrema;

static inline void extrema_rows(Extrema *e, const double *lo, const double *hi, int nan,
                                Py_ssize_t k) {
    for (Py_ssize_t r = 0; r < k; r++) {
        e->nan |= (nan >> r) & 1;
        e->lo = lo[r] < e->lo ? lo[r] : e->lo;
        e->hi = hi[r] > e->hi ? hi[r] : e->hi;
    }
}

/* 8 labels (checked: 0 <= y < c < 2^24) as float32 lanes, exact */
TARGET static INLINE __m256 labels8_ps(const int64_t *y) {
    const __m256i lo32 = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    __m256i a = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)y), lo32);
    __m256i b = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(y + 4)), lo32);
    return _mm256_cvtepi32_ps(_mm256_permute2x128_si256(a, b, 0x20));
}

/* the 8 lanes of a movemask as 8 bytes 0/1 (lane r -> byte r, little-endian): the product
   moves bit r of the low 7 to bit 8r without carries (its terms land 7 bits apart), bit 7 is
   moved alone (all 256 masks: tests/test_row_picks.py) */
static INLINE uint64_t mask_bytes(unsigned m) {
    return (((uint64_t)(m & 0x7F) * 0x0002040810204081ULL) & 0x0101010101010101ULL) |
           ((uint64_t)(m >> 7) << 56);
}

TARGET static void pick_small_f(const char *x, int kind, Py_ssize_t n, Py_ssize_t c,
                                const int64_t *y, double *xy, uint8_t *correct, double *sums,
                                Extrema *ext, float *t, size_t limit) {
    const __m256 one = _mm256_set1_ps(1.0f);
    /* the extrema of whole steps, folded into ext at the end */
    __m256 vlo = _mm256_set1_ps(INFINITY), vhi = _mm256_set1_ps(-INFINITY);
    __m256 vnan = _mm256_setzero_ps();
    for (Py_ssize_t i0 = 0; i0 < n; i0 += TILE) {
        Py_ssize_t rows = n - i0 < TILE ? n - i0 : TILE;
        load_tile_avx2(x, kind, n, i0, rows, c, t);
        for (Py_ssize_t g = 0; g < rows; g += 8) {
            prefetch_ahead(x, i0 + g, 8, c, KSIZE(kind), limit);
            const float *col = t + g;
            const Py_ssize_t k = rows - g < 8 ? rows - g : 8;
            __m256 m = _mm256_loadu_ps(col), top = _mm256_setzero_ps(), jv = one;
            __m256 nan = _mm256_cmp_ps(m, m, _CMP_UNORD_Q);
            /* whole steps with labels: the label's value picked in the loop (pv) */
            const int whole = xy && k == 8;
            const __m256 yf = whole ? labels8_ps(y + i0 + g) : _mm256_setzero_ps();
            __m256 pv = m;
            __m256d s_lo = _mm256_add_pd(_mm256_setzero_pd(), LO4(m));
            __m256d s_hi = _mm256_add_pd(_mm256_setzero_pd(), HI4(m));
            if (sums) {
                __m256 mn = m, mx = m; /* m: column 0 here; nan: its NaN lanes */
                for (Py_ssize_t j = 1; j < c; j++) {
                    __m256 v = _mm256_loadu_ps(col + j * TILE);
                    s_lo = _mm256_add_pd(s_lo, LO4(v));
                    s_hi = _mm256_add_pd(s_hi, HI4(v));
                    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                    mn = _mm256_min_ps(mn, v);
                    mx = _mm256_max_ps(mx, v);
                    if (xy) { /* row_sums_pick: the pick's arg-max too, as below */
                        top = _mm256_blendv_ps(top, jv, _mm256_cmp_ps(v, m, _CMP_GT_OQ));
                        pv = _mm256_blendv_ps(pv, v, _mm256_cmp_ps(jv, yf, _CMP_EQ_OQ));
                        m = _mm256_max_ps(v, m);
                        jv = _mm256_add_ps(jv, one);
                    }
                }
                if (k == 8) {
                    vlo = _mm256_min_ps(vlo, mn);
                    vhi = _mm256_max_ps(vhi, mx);
                    vnan = _mm256_or_ps(vnan, nan);
                    _mm256_storeu_pd(sums + i0 + g, s_lo);
                    _mm256_storeu_pd(sums + i0 + g + 4, s_hi);
                } else {
                    double lo[8], hi[8], sv[8];
                    _mm256_storeu_pd(lo, LO4(mn));
                    _mm256_storeu_pd(lo + 4, HI4(mn));
                    _mm256_storeu_pd(hi, LO4(mx));
                    _mm256_storeu_pd(hi + 4, HI4(mx));
                    extrema_rows(ext, lo, hi, _mm256_movemask_ps(nan), k);
                    _mm256_storeu_pd(sv, s_lo);
                    _mm256_storeu_pd(sv + 4, s_hi);
                    for (Py_ssize_t r = 0; r < k; r++) sums[i0 + g + r] = sv[r];
                }
            } else {
                for (Py_ssize_t j = 1; j < c; j++, jv = _mm256_add_ps(jv, one)) {
                    __m256 v = _mm256_loadu_ps(col + j * TILE);
                    nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
                    top = _mm256_blendv_ps(top, jv, _mm256_cmp_ps(v, m, _CMP_GT_OQ));
                    pv = _mm256_blendv_ps(pv, v, _mm256_cmp_ps(jv, yf, _CMP_EQ_OQ));
                    m = _mm256_max_ps(v, m); /* v NaN: m kept */
                }
            }
            if (whole) {
                _mm256_storeu_pd(xy + i0 + g, LO4(pv));
                _mm256_storeu_pd(xy + i0 + g + 4, HI4(pv));
                const __m256 hit = _mm256_andnot_ps(nan, _mm256_cmp_ps(top, yf, _CMP_EQ_OQ));
                const uint64_t bytes = mask_bytes((unsigned)_mm256_movemask_ps(hit));
                memcpy(correct + i0 + g, &bytes, 8);
            } else if (xy) {
                float tv[8];
                _mm256_storeu_ps(tv, top);
                pick_finish(col, NULL, tv, _mm256_movemask_ps(nan), y + i0 + g, k,
                            xy + i0 + g, correct + i0 + g);
            }
        }
    }
    if (sums) {
        float lo[8], hi[8];
        _mm256_storeu_ps(lo, vlo);
        _mm256_storeu_ps(hi, vhi);
        for (int r = 0; r < 8; r++) {
            ext->lo = lo[r] < ext->lo ? lo[r] : ext->lo;
            ext->hi = hi[r] > ext->hi ? hi[r] : ext->hi;
        }
        ext->nan |= _mm256_movemask_ps(vnan) != 0;
    }
}

/* 4 labels (checked: 0 <= y < c < 2^31) as float64 lanes, exact */
TARGET static INLINE __m256d labels4_pd(const int64_t *y) {
    const __m256i lo32 = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    __m256i a = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)y), lo32);
    return _mm256_cvtepi32_pd(_mm256_castsi256_si128(a));
}

TARGET static void pick_small_f64(const double *x, Py_ssize_t n, Py_ssize_t c, const int64_t *y,
                                  double *xy, uint8_t *correct, double *sums, Extrema *ext,
                                  double *t, size_t limit) {
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d vlo = _mm256_set1_pd(INFINITY), vhi = _mm256_set1_pd(-INFINITY);
    __m256d vnan = _mm256_setzero_pd();
    for (Py_ssize_t i0 = 0; i0 < n; i0 += TILE) {
        Py_ssize_t rows = n - i0 < TILE ? n - i0 : TILE;
        load_tile_f64(x, i0, rows, c, t);
        for (Py_ssize_t g = 0; g < rows; g += 4) {
            prefetch_ahead(x, i0 + g, 4, c, sizeof(double), limit);
            const double *col = t + g;
            const Py_ssize_t k = rows - g < 4 ? rows - g : 4;
            __m256d m = _mm256_loadu_pd(col), top = _mm256_setzero_pd(), jv = one;
            __m256d nan = _mm256_cmp_pd(m, m, _CMP_UNORD_Q);
            const int whole = xy && k == 4;
            const __m256d yd = whole ? labels4_pd(y + i0 + g) : _mm256_setzero_pd();
            __m256d pv = m;
            __m256d s = _mm256_add_pd(_mm256_setzero_pd(), m);
            if (sums) {
                __m256d mn = m, mx = m;
                for (Py_ssize_t j = 1; j < c; j++) {
                    __m256d v = _mm256_loadu_pd(col + j * TILE);
                    s = _mm256_add_pd(s, v);
                    nan = _mm256_or_pd(nan, _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
                    mn = _mm256_min_pd(mn, v);
                    mx = _mm256_max_pd(mx, v);
                    if (xy) {
                        top = _mm256_blendv_pd(top, jv, _mm256_cmp_pd(v, m, _CMP_GT_OQ));
                        pv = _mm256_blendv_pd(pv, v, _mm256_cmp_pd(jv, yd, _CMP_EQ_OQ));
                        m = _mm256_max_pd(v, m);
                        jv = _mm256_add_pd(jv, one);
                    }
                }
                if (k == 4) {
                    vlo = _mm256_min_pd(vlo, mn);
                    vhi = _mm256_max_pd(vhi, mx);
                    vnan = _mm256_or_pd(vnan, nan);
                    _mm256_storeu_pd(sums + i0 + g, s);
                } else {
                    double lo[4], hi[4], sv[4];
                    _mm256_storeu_pd(lo, mn);
                    _mm256_storeu_pd(hi, mx);
                    extrema_rows(ext, lo, hi, _mm256_movemask_pd(nan), k);
                    _mm256_storeu_pd(sv, s);
                    for (Py_ssize_t r = 0; r < k; r++) sums[i0 + g + r] = sv[r];
                }
            } else {
                for (Py_ssize_t j = 1; j < c; j++, jv = _mm256_add_pd(jv, one)) {
                    __m256d v = _mm256_loadu_pd(col + j * TILE);
                    nan = _mm256_or_pd(nan, _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
                    top = _mm256_blendv_pd(top, jv, _mm256_cmp_pd(v, m, _CMP_GT_OQ));
                    pv = _mm256_blendv_pd(pv, v, _mm256_cmp_pd(jv, yd, _CMP_EQ_OQ));
                    m = _mm256_max_pd(v, m);
                }
            }
            if (whole) {
                _mm256_storeu_pd(xy + i0 + g, pv);
                const __m256d hit = _mm256_andnot_pd(nan, _mm256_cmp_pd(top, yd, _CMP_EQ_OQ));
                /* bits 0..3 to bytes 0..3: the product's terms land 7 bits apart */
                const uint32_t bytes =
                    ((uint32_t)_mm256_movemask_pd(hit) * 0x00204081u) & 0x01010101u;
                memcpy(correct + i0 + g, &bytes, 4);
            } else if (xy) {
                double td[4];
                float tv[4];
                _mm256_storeu_pd(td, top);
                for (int r = 0; r < 4; r++) tv[r] = (float)td[r];
                pick_finish(NULL, col, tv, _mm256_movemask_pd(nan), y + i0 + g, k, xy + i0 + g,
                            correct + i0 + g);
            }
        }
    }
    if (sums) {
        double lo[4], hi[4];
        _mm256_storeu_pd(lo, vlo);
        _mm256_storeu_pd(hi, vhi);
        extrema_rows(ext, lo, hi, _mm256_movemask_pd(vnan), 4);
    }
}

/* Many classes: a row at a time, in order (the first maximum, NaN, the label's value, the sum) */
TARGET static void pick_rows(const char *x, int kind, Py_ssize_t n, Py_ssize_t c,
                             const int64_t *y, double *xy, uint8_t *correct, double *sums,
                             Extrema *ext) {
    for (Py_ssize_t i = 0; i < n; i++) {
        const char *row = x + (size_t)i * c * KSIZE(kind);
        double m = elem(row, 0, kind), s = 0.0 + m, lo = m;
        int nan = m != m;
        Py_ssize_t top = 0;
        for (Py_ssize_t j = 1; j < c; j++) {
            double v = elem(row, j, kind);
            nan |= v != v;
            if (v > m) m = v, top = j;
            lo = v < lo ? v : lo;
            s += v;
        }
        if (sums) {
            sums[i] = s;
            extrema_rows(ext, &lo, &m, nan, 1);
        }
        if (xy) {
            xy[i] = elem(row, y[i], kind);
            correct[i] = !nan && top == y[i];
        }
    }
}

/* index_pick (sums NULL), row_sums (y, xy, correct NULL), which also gives the values' (min,
   max) in ext (NaN, NaN where any value is NaN; inf, -inf for none; a zero's sign either:
   row_stats adds +0.0), or both in one pass
   (row_sums_pick: the detection's look at a block and its picks, one read of it). With y
   the labels are checked first, every one: -2 - the first bad row, nothing read; -1: no
   memory */
TARGET static Py_ssize_t pick(const char *x, int kind, Py_ssize_t n, Py_ssize_t c,
                              const int64_t *y, double *xy, uint8_t *correct, double *sums,
                              double *ext) {
    if (y) {
        Py_ssize_t wrong = first_bad_label(y, n, c);
        if (wrong >= 0) return -2 - wrong;
    }
    const size_t limit = (size_t)n * c * KSIZE(kind);
    Extrema e = {INFINITY, -INFINITY, 0};
    if (c >= 64) {
        pick_rows(x, kind, n, c, y, xy, correct, sums, &e);
        if (sums) ext[0] = e.nan ? NAN : e.lo, ext[1] = e.nan ? NAN : e.hi;
        return 0;
    }
    void *t = malloc((kind == F64 ? sizeof(double) : sizeof(float)) * TILE *
                     (size_t)((c + 7) & ~7));
    if (!t) return -1;
    if (kind == F64)
        pick_small_f64((const double *)x, n, c, y, xy, correct, sums, &e, t, limit);
    else
        pick_small_f(x, kind, n, c, y, xy, correct, sums, &e, t, limit);
    free(t);
    if (sums) ext[0] = e.nan ? NAN : e.lo, ext[1] = e.nan ? NAN : e.hi;
    return 0;
}

#define STEP_ROWS 4096 /* rows a step of softmax_steps: a multiple of TILE and of 4 */

/* softmax_rows STEP_ROWS rows at a time, each step's labels checked (0 <= y < c) just before
   its rows are read (they are then in cache for the kernel; a check of the whole block first
   read its labels from memory twice), and with `ext` the (min, max) of nll taken while the
   step's losses are in cache. Each row is computed alone: the steps give the same bits as one
   call. Returns the rows flagged (>= 0), -1 (no memory) or -2 - the first bad label's row
   (the steps before it computed; the caller raises). */
static Py_ssize_t softmax_steps(const char *x, Py_ssize_t n, Py_ssize_t c, int kind,
                                const int64_t *y, double *nll, uint8_t *correct, int64_t *pred,
                                double temp, double *ext) {
    Py_ssize_t bad = 0;
    if (ext) ext[0] = INFINITY, ext[1] = -INFINITY;
    const size_t row_bytes = (size_t)c * KSIZE(kind);
    for (Py_ssize_t i = 0; i < n; i += STEP_ROWS) {
        Py_ssize_t rows = n - i < STEP_ROWS ? n - i : STEP_ROWS;
        Py_ssize_t wrong = first_bad_label(y + i, rows, c);
        if (wrong >= 0) return -2 - (i + wrong);
        Py_ssize_t b = softmax_rows(x + (size_t)i * row_bytes, rows, c, kind, y + i, nll + i,
                                    correct + i, pred ? pred + i : NULL, temp,
                                    (size_t)(n - i) * row_bytes);
        if (b < 0) return b;
        bad += b;
        if (ext && !bad) minmax_f64(nll + i, rows, &ext[0], &ext[1]);
    }
    return bad;
}
#endif /* CECE_X86 */

static int get(PyObject *o, Py_buffer *b, int writable) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    return PyObject_GetBuffer(o, b, flags);
}

static PyObject *py_softmax_index(PyObject *self, PyObject *args) {
    PyObject *xo, *yo, *no, *co, *po, *eo = Py_None;
    Py_ssize_t c;
    double temp = 1.0;
    if (!cpu_ready()) return NULL;
    if (!PyArg_ParseTuple(args, "OnOOOO|dO", &xo, &c, &yo, &no, &co, &po, &temp, &eo))
        return NULL;
    if (!(temp > 0 && temp < INFINITY)) {
        PyErr_SetString(PyExc_ValueError, "softmax_index: the temperature must be finite and > 0");
        return NULL;
    }
    Py_buffer x, y, nll, cor, pred = {0};
    const int have_p = po != Py_None; /* None: the arg-max is not stored */
    if (get(xo, &x, 0)) return NULL;
    if (get(yo, &y, 0)) { PyBuffer_Release(&x); return NULL; }
    if (get(no, &nll, 1)) { PyBuffer_Release(&x); PyBuffer_Release(&y); return NULL; }
    if (get(co, &cor, 1)) {
        PyBuffer_Release(&x); PyBuffer_Release(&y); PyBuffer_Release(&nll); return NULL;
    }
    if (have_p && get(po, &pred, 1)) {
        PyBuffer_Release(&x); PyBuffer_Release(&y); PyBuffer_Release(&nll);
        PyBuffer_Release(&cor); return NULL;
    }
    Py_buffer ext = {0};
    int have_e = eo != Py_None;
    if (have_e && get(eo, &ext, 1)) {
        PyBuffer_Release(&x); PyBuffer_Release(&y); PyBuffer_Release(&nll);
        PyBuffer_Release(&cor); if (have_p) PyBuffer_Release(&pred); return NULL;
    }
    int kind = kind_of(&x);
    Py_ssize_t n = c > 0 && kind ? x.len / KSIZE(kind) / c : 0;
    PyObject *result = NULL;
    if (!kind || c <= 0 || x.len != n * c * KSIZE(kind) || y.itemsize != 8 || y.len != n * 8 ||
        nll.len != n * 8 || cor.itemsize != 1 || cor.len != n ||
        (have_p && (pred.itemsize != 8 || pred.len != n * 8)) ||
        (have_e && (kind_of(&ext) != 8 || ext.len != 2 * 8))) {
        PyErr_SetString(PyExc_ValueError, "softmax_index: bad shapes or dtypes");
    } else {
        Py_ssize_t bad = 0;
#if CECE_X86
        Py_BEGIN_ALLOW_THREADS
        bad = softmax_steps(x.buf, n, c, kind, y.buf, nll.buf, cor.buf, have_p ? pred.buf : NULL,
                            temp, have_e ? ext.buf : NULL);
        Py_END_ALLOW_THREADS
#endif
        result = PyLong_FromSsize_t(bad);
    }
    PyBuffer_Release(&x); PyBuffer_Release(&y); PyBuffer_Release(&nll); PyBuffer_Release(&cor);
    if (have_p) PyBuffer_Release(&pred);
    if (have_e) PyBuffer_Release(&ext);
    return result;
}

static PyObject *py_bce_logits(PyObject *self, PyObject *args) {
    PyObject *xo, *yo, *wo, *lo, *co, *so = Py_None;
    Py_ssize_t k;
    double thr;
    if (!cpu_ready()) return NULL;
    if (!PyArg_ParseTuple(args, "OnOOdOO|O", &xo, &k, &yo, &wo, &thr, &lo, &co, &so)) return NULL;
    Py_buffer x, y, w = {0}, loss, cor, sb = {0};
    int have_w = wo != Py_None, have_s = so != Py_None;
    if (get(xo, &x, 0)) return NULL;
    if (get(yo, &y, 0)) { PyBuffer_Release(&x); return NULL; }
    if (have_w && get(wo, &w, 0)) { PyBuffer_Release(&x); PyBuffer_Release(&y); return NULL; }
    if (get(lo, &loss, 1)) {
        PyBuffer_Release(&x); PyBuffer_Release(&y); if (have_w) PyBuffer_Release(&w); return NULL;
    }
    if (get(co, &cor, 1)) {
        PyBuffer_Release(&x); PyBuffer_Release(&y); if (have_w) PyBuffer_Release(&w);
        PyBuffer_Release(&loss); return NULL;
    }
    if (have_s && get(so, &sb, 1)) {
        PyBuffer_Release(&x); PyBuffer_Release(&y); if (have_w) PyBuffer_Release(&w);
        PyBuffer_Release(&loss); PyBuffer_Release(&cor); return NULL;
    }
    int xk = kind_of(&x), yk = kind_of(&y);
    Py_ssize_t n = k > 0 && xk ? x.len / KSIZE(xk) / k : 0;
    PyObject *result = NULL;
    if (!xk || (yk != 4 && yk != 8) || k <= 0 || x.len != n * k * KSIZE(xk) ||
        y.len != n * k * yk ||
        (have_w && (kind_of(&w) != 8 || w.len != k * 8)) || loss.len != n * 8 ||
        cor.len != n * 8 || (have_s && (kind_of(&sb) != 8 || sb.len != 4 * 8))) {
        PyErr_SetString(PyExc_ValueError, "bce_logits: bad shapes or dtypes");
    } else {
        Py_ssize_t bad = 0;
        int soft = 0;
        BceStats st = {-1, 0.0, INFINITY, -INFINITY, INFINITY, -INFINITY};
#if CECE_X86
        Py_BEGIN_ALLOW_THREADS
        bad = bce_rows(x.buf, xk, y.buf, yk, have_w ? w.buf : NULL, n, k, thr, loss.buf, cor.buf,
                       &soft, &st);
        Py_END_ALLOW_THREADS
#endif
        if (have_s) {
            double *out = sb.buf;
            out[0] = (double)st.bad_target_row;
            out[1] = st.correct_sum;
            out[2] = st.loss_min;
            out[3] = st.loss_max;
        }
        result = Py_BuildValue("(ni)", bad, soft);
    }
    PyBuffer_Release(&x); PyBuffer_Release(&y); if (have_w) PyBuffer_Release(&w);
    PyBuffer_Release(&loss); PyBuffer_Release(&cor); if (have_s) PyBuffer_Release(&sb);
    return result;
}

static PyObject *py_bce_probs(PyObject *self, PyObject *args) {
    PyObject *po, *yo, *wo, *lo, *co, *so;
    Py_ssize_t k;
    double thr, eps;
    if (!cpu_ready()) return NULL;
    if (!PyArg_ParseTuple(args, "OnOOddOOO", &po, &k, &yo, &wo, &thr, &eps, &lo, &co, &so))
        return NULL;
    Py_buffer p, y, w = {0}, loss, cor, sb;
    int have_w = wo != Py_None;
    if (get(po, &p, 0)) return NULL;
    if (get(yo, &y, 0)) { PyBuffer_Release(&p); return NULL; }
    if (have_w && get(wo, &w, 0)) { PyBuffer_Release(&p); PyBuffer_Release(&y); return NULL; }
    if (get(lo, &loss, 1)) {
        PyBuffer_Release(&p); PyBuffer_Release(&y); if (have_w) PyBuffer_Release(&w); return NULL;
    }
    if (get(co, &cor, 1)) {
        PyBuffer_Release(&p); PyBuffer_Release(&y); if (have_w) PyBuffer_Release(&w);
        PyBuffer_Release(&loss); return NULL;
    }
    if (get(so, &sb, 1)) {
        PyBuffer_Release(&p); PyBuffer_Release(&y); if (have_w) PyBuffer_Release(&w);
        PyBuffer_Release(&loss); PyBuffer_Release(&cor); return NULL;
    }
    int pk = kind_of(&p), yk = kind_of(&y);
    Py_ssize_t n = k > 0 && pk ? p.len / KSIZE(pk) / k : 0;
    PyObject *result = NULL;
    if (!pk || (yk != 4 && yk != 8) || k <= 0 || p.len != n * k * KSIZE(pk) ||
        y.len != n * k * yk || (have_w && (kind_of(&w) != 8 || w.len != k * 8)) ||
        loss.len != n * 8 || cor.len != n * 8 || kind_of(&sb) != 8 || sb.len != 6 * 8 ||
        !(eps >= 0.0 && eps < 0.5)) {
        PyErr_SetString(PyExc_ValueError, "bce_probs: bad shapes, dtypes or eps");
    } else {
        Py_ssize_t hits = 0;
        int soft = 0;
        BceStats st = {-1, 0.0, INFINITY, -INFINITY, INFINITY, -INFINITY};
#if CECE_X86
        Py_BEGIN_ALLOW_THREADS
        hits = bce_probs_rows(p.buf, pk, y.buf, yk, have_w ? w.buf : NULL, n, k, thr, eps,
                              loss.buf, cor.buf, &soft, &st);
        Py_END_ALLOW_THREADS
#endif
        if (hits < 0) {
            PyErr_NoMemory();
        } else {
            double *out = sb.buf;
            out[0] = (double)st.bad_target_row;
            out[1] = st.correct_sum;
            out[2] = st.loss_min;
            out[3] = st.loss_max;
            out[4] = st.x_min;
            out[5] = st.x_max;
            result = Py_BuildValue("(ni)", hits, soft);
        }
    }
    PyBuffer_Release(&p); PyBuffer_Release(&y); if (have_w) PyBuffer_Release(&w);
    PyBuffer_Release(&loss); PyBuffer_Release(&cor); PyBuffer_Release(&sb);
    return result;
}

static PyObject *py_index_pick(PyObject *self, PyObject *args) {
    PyObject *xo, *yo, *vo, *co;
    Py_ssize_t c;
    if (!cpu_ready()) return NULL;
    if (!PyArg_ParseTuple(args, "OnOOO", &xo, &c, &yo, &vo, &co)) return NULL;
    Py_buffer x, y, v, cor;
    if (get(xo, &x, 0)) return NULL;
    if (get(yo, &y, 0)) { PyBuffer_Release(&x); return NULL; }
    if (get(vo, &v, 1)) { PyBuffer_Release(&x); PyBuffer_Release(&y); return NULL; }
    if (get(co, &cor, 1)) {
        PyBuffer_Release(&x); PyBuffer_Release(&y); PyBuffer_Release(&v); return NULL;
    }
    int kind = kind_of(&x);
    Py_ssize_t n = c > 0 && kind ? x.len / KSIZE(kind) / c : 0;
    PyObject *result = NULL;
    if (!kind || c <= 0 || x.len != n * c * KSIZE(kind) || y.itemsize != 8 || y.len != n * 8 ||
        kind_of(&v) != 8 || v.len != n * 8 || cor.itemsize != 1 || cor.len != n) {
        PyErr_SetString(PyExc_ValueError, "index_pick: bad shapes or dtypes");
    } else {
        Py_ssize_t code = 0;
#if CECE_X86
        Py_BEGIN_ALLOW_THREADS
        code = pick(x.buf, kind, n, c, y.buf, v.buf, cor.buf, NULL, NULL);
        Py_END_ALLOW_THREADS
#endif
        result = PyLong_FromSsize_t(code);
    }
    PyBuffer_Release(&x); PyBuffer_Release(&y); PyBuffer_Release(&v); PyBuffer_Release(&cor);
    return result;
}

static PyObject *py_row_sums(PyObject *self, PyObject *args) {
    /* row_sums(x, c, sums, ext[, y, xy, correct]) -> 0, or with y -2 - the first row whose
       label is outside 0..c-1 (the sums and extrema done, nothing picked): with y, index_pick's
       outputs too, in the same pass (row_sums_pick) */
    PyObject *xo, *oo, *eo, *yo = Py_None, *vo = Py_None, *co = Py_None;
    Py_ssize_t c;
    if (!cpu_ready()) return NULL;
    if (!PyArg_ParseTuple(args, "OnOO|OOO", &xo, &c, &oo, &eo, &yo, &vo, &co)) return NULL;
    const int picks = yo != Py_None;
    Py_buffer x, out, ext, y = {0}, v = {0}, cor = {0};
    if (get(xo, &x, 0)) return NULL;
    if (get(oo, &out, 1)) { PyBuffer_Release(&x); return NULL; }
    if (get(eo, &ext, 1)) { PyBuffer_Release(&x); PyBuffer_Release(&out); return NULL; }
    if (picks && (get(yo, &y, 0) || get(vo, &v, 1) || get(co, &cor, 1))) {
        PyBuffer_Release(&x); PyBuffer_Release(&out); PyBuffer_Release(&ext);
        if (y.obj) PyBuffer_Release(&y);
        if (v.obj) PyBuffer_Release(&v);
        return NULL;
    }
    int kind = kind_of(&x);
    Py_ssize_t n = c > 0 && kind ? x.len / KSIZE(kind) / c : 0;
    PyObject *result = NULL;
    if (!kind || c <= 0 || x.len != n * c * KSIZE(kind) || kind_of(&out) != 8 ||
        out.len != n * 8 || kind_of(&ext) != 8 || ext.len != 16 ||
        (picks && (y.itemsize != 8 || y.len != n * 8 || kind_of(&v) != 8 || v.len != n * 8 ||
                   cor.itemsize != 1 || cor.len != n))) {
        PyErr_SetString(PyExc_ValueError, "row_sums: bad shapes or dtypes");
    } else {
        Py_ssize_t code = 0;
#if CECE_X86
        Py_BEGIN_ALLOW_THREADS
        code = pick(x.buf, kind, n, c, picks ? y.buf : NULL, picks ? v.buf : NULL,
                    picks ? cor.buf : NULL, out.buf, ext.buf);
        if (code <= -2) /* a bad label: the sums alone */
            code = pick(x.buf, kind, n, c, NULL, NULL, NULL, out.buf, ext.buf) < 0 ? -1 : code;
        Py_END_ALLOW_THREADS
#endif
        if (code == -1)
            PyErr_NoMemory();
        else
            result = PyLong_FromSsize_t(code);
    }
    PyBuffer_Release(&x); PyBuffer_Release(&out); PyBuffer_Release(&ext);
    if (picks) { PyBuffer_Release(&y); PyBuffer_Release(&v); PyBuffer_Release(&cor); }
    return result;
}

static PyObject *py_off_one(PyObject *self, PyObject *args) {
    /* off_one(sums, tol) -> (max |s - 1| over the float64 row sums (NaN left out; 0.0 for
       none), the first index where |s - 1| > tol (-1: none), how many): the probability
       rows' check in one pass, where numpy made three temporaries of the block's length */
    PyObject *so;
    double tol;
    if (!PyArg_ParseTuple(args, "Od", &so, &tol)) return NULL;
    Py_buffer sums;
    if (get(so, &sums, 0)) return NULL;
    if (kind_of(&sums) != 8) {
        PyBuffer_Release(&sums);
        PyErr_SetString(PyExc_ValueError, "off_one: float64 sums expected");
        return NULL;
    }
    const double *s = sums.buf;
    Py_ssize_t n = sums.len / 8, first = -1, count = 0, i = 0;
    double most = 0.0;
    Py_BEGIN_ALLOW_THREADS
#if CECE_X86
    if (CPU_OK) i = off_one4(s, n, tol, &most, &first, &count); /* the rest: one at a time */
#endif
    for (; i < n; i++) {
        double d = fabs(s[i] - 1.0);
        most = d > most ? d : most; /* NaN compares false: left out */
        if (d > tol) {
            if (first < 0) first = i;
            count++;
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&sums);
    return Py_BuildValue("(dnn)", most, first, count);
}

static PyObject *py_loss_moments(PyObject *self, PyObject *args) {
    /* (sum, sum of squared deviations from sum / n) of float64 losses, as numpy sums them;
       spread false: the first pass alone (the same sum), and NaN */
    PyObject *lo;
    int spread = 1;
    if (!PyArg_ParseTuple(args, "O|p", &lo, &spread)) return NULL;
    Py_buffer loss;
    if (get(lo, &loss, 0)) return NULL;
    if (kind_of(&loss) != 8) {
        PyBuffer_Release(&loss);
        PyErr_SetString(PyExc_ValueError, "loss_moments: float64 losses expected");
        return NULL;
    }
    Py_ssize_t n = loss.len / 8;
    double total = 0.0, m2 = 0.0;
    Py_BEGIN_ALLOW_THREADS
    total = 0.0 + pairwise_sum(loss.buf, n, 0, 0.0);  /* numpy's reduce starts from 0 */
    if (n) m2 = spread ? 0.0 + pairwise_sum(loss.buf, n, 1, total / (double)n) : NAN;
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&loss);
    return Py_BuildValue("(dd)", total, m2);
}

static PyObject *py_neg_log_clip(PyObject *self, PyObject *args) {
    PyObject *vo, *oo, *eo;
    double eps;
    if (!cpu_ready()) return NULL;
    if (!PyArg_ParseTuple(args, "OOdO", &vo, &oo, &eps, &eo)) return NULL;
    Py_buffer v, o, e;
    if (get(vo, &v, 0)) return NULL;
    if (get(oo, &o, 1)) { PyBuffer_Release(&v); return NULL; }
    if (get(eo, &e, 1)) { PyBuffer_Release(&v); PyBuffer_Release(&o); return NULL; }
    PyObject *result = NULL;
    if (kind_of(&v) != 8 || kind_of(&o) != 8 || o.len != v.len || kind_of(&e) != 8 ||
        e.len != 4 * 8 || !(eps >= 0.0 && eps < 0.5)) {
        PyErr_SetString(PyExc_ValueError, "neg_log_clip: bad shapes, dtypes or eps");
    } else {
#if CECE_X86
        Py_BEGIN_ALLOW_THREADS
        neg_log_clip(v.buf, o.buf, v.len / 8, eps, e.buf);
        Py_END_ALLOW_THREADS
#endif
        Py_INCREF(Py_None);
        result = Py_None;
    }
    PyBuffer_Release(&v); PyBuffer_Release(&o); PyBuffer_Release(&e);
    return result;
}

static PyObject *py_exp_log(PyObject *self, PyObject *args) {
    /* exp and log of float64 values: lets the tests hold the approximations to libm */
    PyObject *xo, *eo, *lo;
    if (!cpu_ready()) return NULL;
    if (!PyArg_ParseTuple(args, "OOO", &xo, &eo, &lo)) return NULL;
    Py_buffer x, e, l;
    if (get(xo, &x, 0)) return NULL;
    if (get(eo, &e, 1)) { PyBuffer_Release(&x); return NULL; }
    if (get(lo, &l, 1)) { PyBuffer_Release(&x); PyBuffer_Release(&e); return NULL; }
    PyObject *result = NULL;
    if (kind_of(&x) != 8 || e.len != x.len || l.len != x.len) {
        PyErr_SetString(PyExc_ValueError, "exp_log: bad shapes or dtypes");
    } else {
#if CECE_X86
        vec_exp_log(x.buf, e.buf, l.buf, x.len / 8);
#endif
        Py_INCREF(Py_None);
        result = Py_None;
    }
    PyBuffer_Release(&x); PyBuffer_Release(&e); PyBuffer_Release(&l);
    return result;
}

static PyObject *py_parse_plain(PyObject *self, PyObject *args) {
    /* parse_plain(text, ncols, delimiter, out) -> rows parsed into out (float64, C order,
       capacity len(out) // ncols rows), or -1 when the text is not plain (see above) */
    PyObject *to, *oo;
    Py_ssize_t ncols;
    int delim;
    if (!PyArg_ParseTuple(args, "OnCO", &to, &ncols, &delim, &oo)) return NULL;
    Py_buffer t, o;
    if (PyObject_GetBuffer(to, &t, PyBUF_SIMPLE)) return NULL;
    if (get(oo, &o, 1)) { PyBuffer_Release(&t); return NULL; }
    PyObject *result = NULL;
    if (kind_of(&o) != 8 || ncols <= 0 || delim > 127) {
        PyErr_SetString(PyExc_ValueError, "parse_plain: bad arguments");
    } else {
        Py_ssize_t rows;
        Py_BEGIN_ALLOW_THREADS
        rows = cece_parse_plain(t.buf, t.len, ncols, (char)delim, o.buf, o.len / 8 / ncols);
        Py_END_ALLOW_THREADS
        result = PyLong_FromSsize_t(rows);
    }
    PyBuffer_Release(&t); PyBuffer_Release(&o);
    return result;
}

static PyObject *py_count_byte(PyObject *self, PyObject *args) {
    /* count_byte(text, byte) -> occurrences, without holding the GIL */
    PyObject *to;
    int c;
    if (!PyArg_ParseTuple(args, "OC", &to, &c)) return NULL;
    Py_buffer t;
    if (PyObject_GetBuffer(to, &t, PyBUF_SIMPLE)) return NULL;
    Py_ssize_t n;
    Py_BEGIN_ALLOW_THREADS
    n = cece_count_byte(t.buf, t.len, (char)c);
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&t);
    return PyLong_FromSsize_t(n);
}

static PyObject *py_available(PyObject *self, PyObject *noargs) {
    return PyBool_FromLong(CPU_OK);
}

static PyMethodDef methods[] = {
    {"available", py_available, METH_NOARGS, "True when this CPU can run the kernels."},
    {"simd", py_simd, METH_VARARGS, "The softmax kernels' instruction set (avx2, avx512)."},
    {"softmax_index", py_softmax_index, METH_VARARGS, "Softmax cross-entropy, index targets."},
    {"bce_logits", py_bce_logits, METH_VARARGS, "Binary cross-entropy from logits."},
    {"bce_probs", py_bce_probs, METH_VARARGS, "Binary cross-entropy from probabilities."},
    {"index_pick", py_index_pick, METH_VARARGS, "Each row's label value and arg-max check."},
    {"row_sums", py_row_sums, METH_VARARGS, "Row sums in double, in order; min and max."},
    {"loss_moments", py_loss_moments, METH_VARARGS, "A block's loss sum and spread, as numpy."},
    {"off_one", py_off_one, METH_VARARGS, "Row sums' largest distance from 1; those past tol."},
    {"parse_plain", py_parse_plain, METH_VARARGS, "Plain numeric text into float64 rows."},
    {"count_byte", py_count_byte, METH_VARARGS, "Occurrences of a byte, GIL released."},
    {"neg_log_clip", py_neg_log_clip, METH_VARARGS, "-log clip(v, eps, 1 - eps), float64."},
    {"exp_log", py_exp_log, METH_VARARGS, "exp and log of float64 values (for tests)."},
    {"format_records", py_format_records, METH_VARARGS, "Records as JSONL/CSV bytes."},
    {"float_repr", py_float_repr, METH_O, "repr() of a float, as records write it."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_fast", NULL, -1, methods};

PyMODINIT_FUNC PyInit__fast(void) {
    CPU_OK = cpu_ok();
    simd_init();
    return PyModule_Create(&module);
}
