/*
 * The SIMD building blocks of cece's compiled kernels (cece/_native/_fast.c): exp and log of 4
 * doubles, exp of 8 floats, float16 and bfloat16 conversion, loading rows of any float type as
 * doubles.
 *
 * exp: a 16-entry table of 2^(j/16) and the Taylor series to r^7 (no division), within 1 ulp
 * of libm; log: Cephes (S. L. Moshier), within 2 ulp of libm; both checked in
 * tests/test_fast.py. The float kernels' log1p of their sums (log1p_tab4) is a table and a
 * short series instead, within ~2e-12 (tests/test_kernel_accuracy.py). Everything here needs
 * AVX2, FMA and F16C: callers check cpu_ok() (once, when the module loads) before calling any
 * of it. The float exp family is vexp.h, written once
 * over a vector width (isa.h): included here at 8 floats, by _fast.c again at 16 (AVX-512,
 * TARGET512, where cpu_avx512()).
 *
 * Include after <Python.h> (for Py_ssize_t).
 */
#ifndef CECE_SIMD_H
#define CECE_SIMD_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* CECE_NO_X86 builds the module as on another CPU (the parser and record writer alone; tests
   compile it so to keep that build working) */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(CECE_NO_X86)
#define CECE_X86 1
#include <immintrin.h>
#define TARGET __attribute__((target("avx2,fma,f16c")))
/* the AVX-512 variants of the softmax kernels (isa.h at 16 floats): cpu_avx512() */
#define TARGET512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512dq")))
#else
#define CECE_X86 0
#endif

/* A kind names the element type; its low four bits are the element's size in bytes. bfloat16
   is the top half of a float32 (sign, 8 exponent bits, 7 mantissa bits): its bits shifted left
   by 16 are that float32, exactly (NaN and inf patterns included). Plain C: the Python glue uses them on any CPU. */
enum { F16 = 2, F32 = 4, F64 = 8, BF16 = 16 | 2 };
#define KSIZE(kind) ((kind) & 15)

static int cpu_ok(void) {
#if CECE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
#else
    return 0;
#endif
}

/* Whether this CPU (and its OS, which must save the 512-bit registers: libgcc's cpu model
   checks XCR0) runs the AVX-512 kernels: F, BW, VL and DQ, besides cpu_ok()'s. */
static int cpu_avx512(void) {
#if CECE_X86
    __builtin_cpu_init();
    return cpu_ok() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
#else
    return 0;
#endif
}

#if CECE_X86

/* -- exp and log, 4 doubles at a time (exp: a table and a short series; log: Cephes log.c) ---- */

TARGET static inline __m256d pow2i(__m256d n) {
    /* 2^n for integral n in [-1022, 1023], built from the exponent bits */
    __m128i ni = _mm256_cvtpd_epi32(n);
    __m256i e = _mm256_add_epi64(_mm256_cvtepi32_epi64(ni), _mm256_set1_epi64x(1023));
    return _mm256_castsi256_pd(_mm256_slli_epi64(e, 52));
}

/* The float64 exp (exp4 here, exp_d8 in _fast.c at 8 lanes): e^x = 2^n 2^(j/16) e^r with k =
   round(16 x / ln 2) = 16 n + j taken by the 1.5 * 2^52 trick (no rounding instruction), r = x
   - k ln(2)/16 (Cody-Waite, the high part of 38 bits: k times it is exact), |r| <= ln(2)/32;
   e^r - 1 = em1 by its Taylor series to r^7 (EXPM1_TAYLOR7, Estrin's scheme; the rest below
   1.3e-18 relative); 2^(j/16) = TH[j] (1 + TL[j]) from a 16-entry table (exptabd.h,
   gen_exptabd.py), looked up by k's low four bits (AVX2 a gather, AVX-512 a two-vector
   permute: the same entry), and S = 2^n TH[j] built from integer bits alone (TADJ[j] + (k <<
   48)). The result is S (1 + u), u = em1 + TL (1 + em1), by one FMA: one rounding of the result
   and ~2^-58 relative from the rest, so at most ~0.52 ulp from e^x (tests/test_fast.py holds
   it to 1 ulp of libm and measures it against 80-bit long double). x outside [-708, 709]
   (results near overflow or in the subnormals), -inf, +inf and NaN go to exp4_far: the same
   operations on x clamped to [-745.13, 709.78] with 2^n applied in two halves after the FMA,
   which gives the same bits wherever the result is normal (a power of two scales a rounding
   exactly), and below e^-745.13 zero. Each lane's result depends on its own x alone: both
   widths give the same bits. Until 2026-12-03 this was a Taylor series to r^13 on |r| <=
   ln(2)/2 (within 2 ulp of libm; ~60 % more operations a value). */
#define EXPM1_TAYLOR7(r, out, V, SET1, FMADD, MUL)                                        \
    V out;                                                                               \
    {                                                                                    \
        V r2 = MUL(r, r), r4 = MUL(r2, r2);                                              \
        V a23 = FMADD(r, SET1(1.0 / 6), SET1(0.5));                                      \
        V a45 = FMADD(r, SET1(1.0 / 120), SET1(1.0 / 24));                               \
        V a67 = FMADD(r, SET1(1.0 / 5040), SET1(1.0 / 720));                             \
        out = FMADD(r4, FMADD(r2, a67, a45), FMADD(r2, a23, r));                         \
    }

#include "exptabd.h"

#define EXPD_MAGIC 6755399441055744.0 /* 1.5 * 2^52: t = x 16/ln 2 + it holds k in its low bits */
#define EXPD_MINLOG (-745.1332191019412)
#define EXPD_MAXLOG 709.782712893384

/* k's reduction and the table's entries of exp4 (see above): r, u and k's bits ti; TADJ[j] */
TARGET static inline __m256d exp4_u(__m256d x, __m256i *ti, __m256i *tadj, __m256d *kd) {
    const __m256d magic = _mm256_set1_pd(EXPD_MAGIC);
    const __m256d t = _mm256_fmadd_pd(x, _mm256_set1_pd(CECE_EXPD_16_LN2), magic);
    *kd = _mm256_sub_pd(t, magic);
    __m256d r = _mm256_fnmadd_pd(*kd, _mm256_set1_pd(CECE_EXPD_LN2_16_HI), x);
    r = _mm256_fnmadd_pd(*kd, _mm256_set1_pd(CECE_EXPD_LN2_16_LO), r);
    *ti = _mm256_castpd_si256(t);
    const __m256i j = _mm256_and_si256(*ti, _mm256_set1_epi64x(15));
    *tadj = _mm256_i64gather_epi64((const long long *)CECE_EXPD_TADJ, j, 8);
    const __m256d tl = _mm256_i64gather_pd(CECE_EXPD_TL, j, 8);
    EXPM1_TAYLOR7(r, em1, __m256d, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_mul_pd);
    return _mm256_add_pd(em1, _mm256_fmadd_pd(em1, tl, tl));
}

/* exp4 of vectors with a lane outside [-708, 709] (or NaN): see above */
TARGET __attribute__((noinline)) static __m256d exp4_far(__m256d x) {
    const __m256d minlog = _mm256_set1_pd(EXPD_MINLOG);
    const __m256d under = _mm256_cmp_pd(x, minlog, _CMP_LT_OQ);
    x = _mm256_min_pd(_mm256_set1_pd(EXPD_MAXLOG), _mm256_max_pd(minlog, x)); /* NaN stays */
    __m256i ti, tadj;
    __m256d kd;
    const __m256d u = exp4_u(x, &ti, &tadj, &kd);
    const __m256i j = _mm256_and_si256(ti, _mm256_set1_epi64x(15));
    const __m256d th = _mm256_castsi256_pd(_mm256_add_epi64(tadj, _mm256_slli_epi64(j, 48)));
    __m256d p = _mm256_fmadd_pd(th, u, th);
    const __m256d n = _mm256_floor_pd(_mm256_mul_pd(kd, _mm256_set1_pd(1.0 / 16)));
    const __m256d n1 = _mm256_floor_pd(_mm256_mul_pd(n, _mm256_set1_pd(0.5)));
    p = _mm256_mul_pd(_mm256_mul_pd(p, pow2i(n1)), pow2i(_mm256_sub_pd(n, n1)));
    return _mm256_andnot_pd(under, p);
}

/* exp4 of lanes all in [-708, 709] */
TARGET static inline __m256d exp4_near(__m256d x) {
    __m256i ti, tadj;
    __m256d kd;
    const __m256d u = exp4_u(x, &ti, &tadj, &kd);
    const __m256d s = _mm256_castsi256_pd(_mm256_add_epi64(tadj, _mm256_slli_epi64(ti, 48)));
    return _mm256_fmadd_pd(s, u, s);
}

TARGET static inline __m256d exp4(__m256d x) {
    const __m256d far = _mm256_or_pd(_mm256_cmp_pd(x, _mm256_set1_pd(-708.0), _CMP_NGE_UQ),
                                     _mm256_cmp_pd(x, _mm256_set1_pd(709.0), _CMP_NLE_UQ));
    if (_mm256_movemask_pd(far)) return exp4_far(x);
    return exp4_near(x);
}

/* log1p(g) for |g| <= 0.034 by its series to g^12 (g + g^2 q(g), q by Estrin's scheme; the
   rest below 4e-19 relative): written once for log1p_unit4 and its 8-lane twin */
#define LOG1P_SERIES12(g, out, V, SET1, FMADD, MUL)                                       \
    V out;                                                                               \
    {                                                                                    \
        V g2 = MUL(g, g), g4 = MUL(g2, g2), g8 = MUL(g4, g4);                            \
        V p01 = FMADD(g, SET1(1.0 / 3), SET1(-0.5));                                     \
        V p23 = FMADD(g, SET1(1.0 / 5), SET1(-0.25));                                    \
        V p45 = FMADD(g, SET1(1.0 / 7), SET1(-1.0 / 6));                                 \
        V p67 = FMADD(g, SET1(1.0 / 9), SET1(-0.125));                                   \
        V p89 = FMADD(g, SET1(1.0 / 11), SET1(-0.1));                                    \
        V q03 = FMADD(g2, p23, p01), q47 = FMADD(g2, p67, p45);                          \
        V q810 = FMADD(g2, SET1(-1.0 / 12), p89);                                        \
        V q = FMADD(g8, q810, FMADD(g4, q47, q03));                                      \
        out = FMADD(g2, q, g);                                                           \
    }

/* log1p(u) for u in [0, 1] (NaN stays NaN): binary cross-entropy's log1p(e^-|x|) of float64,
   float16 and bfloat16 logits, with no division. i = round(16 u) (at most 15; the 1.5 * 2^52
   trick), g = (1 + u) INV[i] - 1 by one FMA (INV[i] ~ 16 / (16 + i) in 9 bits, so INV - 1 is
   exact; |g| <= 0.034; INV[0] = 1: g = u exactly, so small u keep their relative precision),
   log1p(u) = -ln INV[i] + log1p(g) with -ln INV[i] = HI + LO (exptabd.h, gen_exptabd.py) and
   log1p(g) by LOG1P_SERIES12; HI + s is summed with its rounding error (Fast2Sum: |HI| > |s|
   wherever HI is not 0) and LO, before the last rounding. Its 8-lane twin log1p_unit8
   (_fast.c) looks the tables up by permutes: the same values, the same bits. It replaced
   Cephes' log with the log1p correction (two divisions a vector) on 2026-12-03, for the
   AVX-512 binary kernel of float64 logits; at 4 lanes its gathers cost about what the
   divisions did. */
TARGET static inline __m256d log1p_unit4(__m256d u) {
    const __m256d magic = _mm256_set1_pd(EXPD_MAGIC);
    const __m256d t = _mm256_fmadd_pd(_mm256_min_pd(u, _mm256_set1_pd(0.968)),
                                      _mm256_set1_pd(16.0), magic);
    const __m256i i = _mm256_and_si256(_mm256_castpd_si256(t), _mm256_set1_epi64x(15));
    const __m256d inv = _mm256_i64gather_pd(CECE_L1PD_INV, i, 8);
    const __m256d hi = _mm256_i64gather_pd(CECE_L1PD_HI, i, 8);
    const __m256d lo = _mm256_i64gather_pd(CECE_L1PD_LO, i, 8);
    const __m256d g = _mm256_fmadd_pd(u, inv, _mm256_sub_pd(inv, _mm256_set1_pd(1.0)));
    LOG1P_SERIES12(g, s, __m256d, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_mul_pd);
    const __m256d r = _mm256_add_pd(hi, s);
    const __m256d e = _mm256_sub_pd(s, _mm256_sub_pd(r, hi)); /* hi + s - r, exactly */
    return _mm256_add_pd(r, _mm256_add_pd(e, lo));
}

TARGET static inline __m256d log4(__m256d x) {
    /* x > 0, finite. x = f 2^e with f in [0.5, 1) */
    const __m256i bits = _mm256_castpd_si256(x);
    const __m256d magic = _mm256_set1_pd(4503599627370496.0); /* 2^52 */
    __m256i eb = _mm256_srli_epi64(bits, 52);
    __m256d e = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(eb, _mm256_castpd_si256(magic))),
                              magic);
    e = _mm256_sub_pd(e, _mm256_set1_pd(1022.0));
    __m256d f = _mm256_castsi256_pd(_mm256_or_si256(
        _mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFLL)),
        _mm256_set1_epi64x(0x3FE0000000000000LL)));
    __m256d small = _mm256_cmp_pd(f, _mm256_set1_pd(0.70710678118654752440), _CMP_LT_OQ);
    e = _mm256_sub_pd(e, _mm256_and_pd(small, _mm256_set1_pd(1.0)));
    f = _mm256_sub_pd(_mm256_add_pd(f, _mm256_and_pd(small, f)), _mm256_set1_pd(1.0));
    __m256d z = _mm256_mul_pd(f, f);
    __m256d p = _mm256_set1_pd(1.01875663804580931796E-4);
    p = _mm256_fmadd_pd(p, f, _mm256_set1_pd(4.97494994976747001425E-1));
    p = _mm256_fmadd_pd(p, f, _mm256_set1_pd(4.70579119878881725854E0));
    p = _mm256_fmadd_pd(p, f, _mm256_set1_pd(1.44989225341610930846E1));
    p = _mm256_fmadd_pd(p, f, _mm256_set1_pd(1.79368678507819816313E1));
    p = _mm256_fmadd_pd(p, f, _mm256_set1_pd(7.70838733755885391666E0));
    __m256d q = _mm256_add_pd(f, _mm256_set1_pd(1.12873587189167450590E1));
    q = _mm256_fmadd_pd(q, f, _mm256_set1_pd(4.52279145837532221105E1));
    q = _mm256_fmadd_pd(q, f, _mm256_set1_pd(8.29875266912776603211E1));
    q = _mm256_fmadd_pd(q, f, _mm256_set1_pd(7.11544750618563894466E1));
    q = _mm256_fmadd_pd(q, f, _mm256_set1_pd(2.31251620126765340583E1));
    __m256d y = _mm256_mul_pd(_mm256_mul_pd(f, z), _mm256_div_pd(p, q));
    y = _mm256_fnmadd_pd(e, _mm256_set1_pd(2.121944400546905827679E-4), y);
    y = _mm256_fnmadd_pd(z, _mm256_set1_pd(0.5), y);
    z = _mm256_add_pd(f, y);
    return _mm256_fmadd_pd(e, _mm256_set1_pd(0.693359375), z);
}


/* log1p(s) of the float kernels' sums (doubles s >= 0; NaN stays NaN) within ~2e-12 relative,
   with no division: u = 1 + s rounded and c = s - (u - 1) what the rounding lost (exact);
   u = 2^e f with f in [1, 2); the top four bits of f's mantissa pick a table entry (logtab.h,
   gen_logtab.py): ln f = NEG_LOG[i] + log1p(r), r = f INV[i] - 1 in [-1/35, 1/16) (one
   rounding), log1p(r) = r + r^2 q(r) by its series to r^9 (truncation below 1.5e-12 relative
   at r = 1/16; entry 0 is INV = 1, so u near 1 loses nothing to cancellation); then
   ln u = e ln 2 + ln f, and log1p(s) = ln u + c / u with 1 / u ~ 2 - u (c / u matters only
   where u is near 1; where u >= 2 it is below 2^-53 and left out). The lookups are gathers
   here; log1p_tab8 (_fast.c, AVX-512) does the same operations with getexp, getmant and
   permutes: the same bits. */
#include "logtab.h"

/* log1p(r) = r + r^2 q(r), q(r) = -1/2 + r/3 - r^2/4 + ... + r^7/9, by Estrin's scheme: the
   few-classes kernel is bound by a group's chain of dependent steps as much as by its
   operations, and Horner's eight steps would be four here */
#define LOG1P_TAB_SERIES(r, out, V, SET1, FMADD, MUL)                                            \
    V out;                                                                                       \
    {                                                                                            \
        V r2 = MUL(r, r), r4 = MUL(r2, r2);                                                      \
        V p01 = FMADD(SET1(1.0 / 3), r, SET1(-0.5));                                            \
        V p23 = FMADD(SET1(1.0 / 5), r, SET1(-0.25));                                           \
        V p45 = FMADD(SET1(1.0 / 7), r, SET1(-1.0 / 6));                                         \
        V p67 = FMADD(SET1(1.0 / 9), r, SET1(-0.125));                                           \
        V q_ = FMADD(FMADD(p67, r2, p45), r4, FMADD(p23, r2, p01));                              \
        out = FMADD(r2, q_, r);                                                                  \
    }

TARGET static inline __m256d log1p_tab4(__m256d s) {
    const __m256d one = _mm256_set1_pd(1.0), two52 = _mm256_set1_pd(4503599627370496.0);
    __m256d u = _mm256_add_pd(s, one);
    __m256d c = _mm256_sub_pd(s, _mm256_sub_pd(u, one));
    __m256d fac = _mm256_max_pd(_mm256_sub_pd(_mm256_set1_pd(2.0), u), _mm256_setzero_pd());
    __m256i bits = _mm256_castpd_si256(u);
    /* e: the biased exponent as the low bits of 2^52, less 2^52 + 1023 (exact) */
    __m256i biased = _mm256_or_si256(_mm256_srli_epi64(bits, 52), _mm256_castpd_si256(two52));
    __m256d e = _mm256_sub_pd(_mm256_castsi256_pd(biased),
                              _mm256_set1_pd(4503599627370496.0 + 1023.0));
    __m256i mant = _mm256_and_si256(bits, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFLL));
    __m256d f = _mm256_castsi256_pd(_mm256_or_si256(mant, _mm256_castpd_si256(one)));
    __m256i i = _mm256_and_si256(_mm256_srli_epi64(bits, 48), _mm256_set1_epi64x(15));
    __m256d r = _mm256_fmsub_pd(f, _mm256_i64gather_pd(CECE_LOG_INV, i, 8), one);
    LOG1P_TAB_SERIES(r, lp, __m256d, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_mul_pd);
    __m256d lg = _mm256_fmadd_pd(e, _mm256_set1_pd(0.693147180559945309417232121458),
                                 _mm256_add_pd(_mm256_i64gather_pd(CECE_NEG_LOG, i, 8), lp));
    return _mm256_fmadd_pd(c, fac, lg);
}

/* exp of float vectors (exp_tab8, exp_sub8): vexp.h, written
   once for any width, here at 8 floats (AVX2); _fast.c includes it again at 16 (AVX-512). */
#include "exptab.h"
#define CECE_VW 8
#include "isa.h"
#include "vexp.h"

TARGET static inline double hsum4(__m256d v) {
    __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    lo = _mm_add_pd(lo, hi);
    return _mm_cvtsd_f64(_mm_add_sd(lo, _mm_unpackhi_pd(lo, lo)));
}

/* -- loading rows as doubles ----------------------------------------------------------------- */

static inline float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline double half_to_double(uint16_t h) {
    int e = (h >> 10) & 0x1f, f = h & 0x3ff;
    double v = e == 0 ? ldexp(f, -24) : e == 31 ? (f ? NAN : INFINITY) : ldexp(f + 1024, e - 25);
    return (h & 0x8000) ? -v : v;
}

static inline double elem_plain(const void *p, Py_ssize_t i, int kind) {
    if (kind == F64) return ((const double *)p)[i];
    if (kind == F32) return ((const float *)p)[i];
    if (kind == BF16) return bf16_to_float(((const uint16_t *)p)[i]);
    return half_to_double(((const uint16_t *)p)[i]);
}

TARGET static inline double elem(const void *p, Py_ssize_t i, int kind) {
    if (kind == F64) return ((const double *)p)[i];
    if (kind == F32) return ((const float *)p)[i];
    if (kind == BF16) return bf16_to_float(((const uint16_t *)p)[i]);
    return _cvtsh_ss(((const uint16_t *)p)[i]);
}

TARGET static inline __m256d load4(const void *p, Py_ssize_t i, int kind) {
    if (kind == F64) return _mm256_loadu_pd((const double *)p + i);
    if (kind == F32) return _mm256_cvtps_pd(_mm_loadu_ps((const float *)p + i));
    if (kind == BF16)
        return _mm256_cvtps_pd(_mm_castsi128_ps(_mm_slli_epi32(
            _mm_cvtepu16_epi32(_mm_loadl_epi64((const __m128i *)((const uint16_t *)p + i))), 16)));
    return _mm256_cvtps_pd(_mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)((const uint16_t *)p + i))));
}

/* the tail of a row (fewer than 4 values), padded with `pad` */
TARGET static inline __m256d load_tail(const void *p, Py_ssize_t i, Py_ssize_t n, int kind,
                                       double pad) {
    double t[4] = {pad, pad, pad, pad};
    for (Py_ssize_t j = 0; j < n; j++) t[j] = elem(p, i + j, kind);
    return _mm256_loadu_pd(t);
}

#endif /* CECE_X86 */
#endif /* CECE_SIMD_H */
