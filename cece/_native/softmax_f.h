/*
 * The softmax cross-entropy kernels of float16/bfloat16/float32 logits (float32 lanes, double
 * sums), written once over a vector width (isa.h) and included by _fast.c twice: at 8 floats
 * (AVX2: softmax_cols_f_avx2, softmax_rows_f_avx2) and at 16 (AVX-512: ..._avx512). Only the
 * loads and the vector epilogue of the few-classes kernel are written per instruction set.
 * Needs, from _fast.c: TILE, load_tile_avx2 / load_tile_avx512, finish4, split_scale,
 * underflow_risk, rest_exact_row, INLINE. No include guard.
 */

/* NF values at element i of a row of `kind`, as floats (bfloat16: a 16-bit shift, exact) */
#if CECE_VW == 8
VTARGET static inline VF W(load_f)(const void *p, Py_ssize_t i, int kind) {
    if (kind == F32) return _mm256_loadu_ps((const float *)p + i);
    if (kind == BF16)
        return _mm256_castsi256_ps(_mm256_slli_epi32(
            _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)((const uint16_t *)p + i))),
            16));
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)p + i)));
}
#else
VTARGET static inline VF W(load_f)(const void *p, Py_ssize_t i, int kind) {
    if (kind == F32) return _mm512_loadu_ps((const float *)p + i);
    __m256i h = _mm256_loadu_si256((const __m256i *)((const uint16_t *)p + i));
    if (kind == BF16) return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
    return _mm512_cvtph_ps(h);
}
#endif

/* The few-classes kernel's epilogue for the k <= NF rows of a step (y, nll, pred, correct
   start at its first row): nll = log1p(sum) + (m - x_y) (divided by T when scaled), in
   double, the labels' logits x_y gathered from the tile (col: the step's first row of it,
   labels checked: 0 <= y < c); predicted = top, correct = top == y. Returns x_y. */
#if CECE_VW == 8
VTARGET static INLINE VF K(finish_small)(const float *col, VF m, VF top, VD s_lo, VD s_hi,
                                         const int64_t *y, Py_ssize_t k, int scaled, double temp,
                                         double *nll, int64_t *pred, uint8_t *correct) {
    __m256i yv; /* the labels as int32; lanes past k are 0 (the tile's padding) */
    if (k == 8) {
        const __m256i pick = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
        __m256i a = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)y), pick);
        __m256i b = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(y + 4)),
                                                pick);
        yv = _mm256_permute2x128_si256(a, b, 0x20);
    } else {
        int32_t yi[8] = {0};
        for (Py_ssize_t r = 0; r < k; r++) yi[r] = (int32_t)y[r];
        yv = _mm256_loadu_si256((const __m256i *)yi);
    }
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256 xyv = _mm256_i32gather_ps(col, _mm256_add_epi32(_mm256_slli_epi32(yv, 7), lane),
                                     4); /* TILE = 2^7 */
    __m256i top_i = _mm256_cvttps_epi32(top);
    __m256d b_lo = _mm256_sub_pd(CVT_LO(m), CVT_LO(xyv));
    __m256d b_hi = _mm256_sub_pd(CVT_HI(m), CVT_HI(xyv));
    if (scaled) {
        const __m256d tv = _mm256_set1_pd(temp);
        b_lo = _mm256_div_pd(b_lo, tv), b_hi = _mm256_div_pd(b_hi, tv);
    }
    __m256d l_lo = _mm256_add_pd(log1p_tab4(s_lo), b_lo);
    __m256d l_hi = _mm256_add_pd(log1p_tab4(s_hi), b_hi);
    __m256i right = _mm256_and_si256(_mm256_cmpeq_epi32(top_i, yv), _mm256_set1_epi32(1));
    __m128i r16 = _mm_packs_epi32(_mm256_castsi256_si128(right),
                                  _mm256_extracti128_si256(right, 1));
    __m128i r8 = _mm_packus_epi16(r16, r16);
    if (k == 8) {
        _mm256_storeu_pd(nll, l_lo);
        _mm256_storeu_pd(nll + 4, l_hi);
        if (pred) {
            _mm256_storeu_si256((__m256i *)pred,
                                _mm256_cvtepi32_epi64(_mm256_castsi256_si128(top_i)));
            _mm256_storeu_si256((__m256i *)(pred + 4),
                                _mm256_cvtepi32_epi64(_mm256_extracti128_si256(top_i, 1)));
        }
        _mm_storel_epi64((__m128i *)correct, r8);
    } else {
        double lv[8];
        uint8_t cv[16];
        int32_t tp[8];
        _mm256_storeu_pd(lv, l_lo);
        _mm256_storeu_pd(lv + 4, l_hi);
        _mm_storeu_si128((__m128i *)cv, r8);
        _mm256_storeu_si256((__m256i *)tp, top_i);
        for (Py_ssize_t r = 0; r < k; r++) {
            nll[r] = lv[r];
            if (pred) pred[r] = tp[r];
            correct[r] = cv[r];
        }
    }
    return xyv;
}
#else
/* Masked loads and stores: lanes past k are neither read nor written (no access at all, so
   a block ending before an unreadable page is safe). */
VTARGET static INLINE VF K(finish_small)(const float *col, VF m, VF top, VD s_lo, VD s_hi,
                                         const int64_t *y, Py_ssize_t k, int scaled, double temp,
                                         double *nll, int64_t *pred, uint8_t *correct) {
    const __mmask16 live = (__mmask16)((1u << k) - 1);
    const __mmask8 live_lo = (__mmask8)live, live_hi = (__mmask8)(live >> 8);
    __m512i yv = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm512_cvtepi64_epi32(_mm512_maskz_loadu_epi64(live_lo, y))),
        _mm512_cvtepi64_epi32(_mm512_maskz_loadu_epi64(live_hi, y + 8)), 1);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __m512 xyv = _mm512_i32gather_ps(_mm512_add_epi32(_mm512_slli_epi32(yv, 7), lane), col,
                                     4); /* TILE = 2^7 */
    __m512i top_i = _mm512_cvttps_epi32(top);
    __m512d b_lo = _mm512_sub_pd(CVT_LO(m), CVT_LO(xyv));
    __m512d b_hi = _mm512_sub_pd(CVT_HI(m), CVT_HI(xyv));
    if (scaled) {
        const __m512d tv = _mm512_set1_pd(temp);
        b_lo = _mm512_div_pd(b_lo, tv), b_hi = _mm512_div_pd(b_hi, tv);
    }
    _mm512_mask_storeu_pd(nll, live_lo, _mm512_add_pd(log1p_tab8(s_lo), b_lo));
    _mm512_mask_storeu_pd(nll + 8, live_hi, _mm512_add_pd(log1p_tab8(s_hi), b_hi));
    if (pred) {
        _mm512_mask_storeu_epi64(pred, live_lo,
                                 _mm512_cvtepi32_epi64(_mm512_castsi512_si256(top_i)));
        _mm512_mask_storeu_epi64(pred + 8, live_hi,
                                 _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(top_i, 1)));
    }
    _mm_mask_storeu_epi8(correct, live,
                         _mm_maskz_set1_epi8(_mm512_cmpeq_epi32_mask(top_i, yv), 1));
    return xyv;
}
#endif

/* Pass 2 of the few-classes kernel for n steps at once (n a constant: 1 or 2; step q is
   the NF rows at col + q NF): the sum of e^((x - m) / T) over each row's classes but its
   top, in double, class after class (exp_sub on the steps' n vectors a class). */
VTARGET static inline void K(sum_steps)(const int n, const float *col, const float *mt,
                                        const float *tt, double *st, Py_ssize_t c,
                                        const int scaled, VF sc_hi, VF sc_lo) {
    const VF sign = F_SET1(-0.0f), one = F_SET1(1.0f);
    VF neg_m[2], top[2];
    VD s_lo[2], s_hi[2];
    for (int q = 0; q < n; q++) {
        neg_m[q] = F_XOR(F_LOADU(mt + q * NF), sign);
        top[q] = F_LOADU(tt + q * NF);
        s_lo[q] = D_ZERO(), s_hi[q] = D_ZERO();
    }
    VF jv = F_ZERO();
    for (Py_ssize_t j = 0; j < c; j++, jv = F_ADD(jv, one)) {
        VF v[2], e[2];
        for (int q = 0; q < n; q++) v[q] = F_LOADU(col + j * TILE + q * NF);
        W(exp_sub)(n, v, neg_m, scaled, sc_hi, sc_lo, e);
        for (int q = 0; q < n; q++) {
            e[q] = DROP(F_CMP(top[q], jv, _CMP_EQ_OQ), e[q]);
            s_lo[q] = D_ADD(s_lo[q], CVT_LO(e[q]));
            s_hi[q] = D_ADD(s_hi[q], CVT_HI(e[q]));
        }
    }
    for (int q = 0; q < n; q++) {
        D_STOREU(st + q * NF, s_lo[q]);
        D_STOREU(st + q * NF + NF / 2, s_hi[q]);
    }
}

/* Few classes: NF rows a step over the transposed tile, one lane a row, in three passes over
   the whole tile (each pass's steps are independent of one another, so the CPU overlaps one
   step's chain of dependent operations with the next step's: a step doing all three, as this
   was, is 4–8 % slower in cache: 71–74 against 77 ms for 10^8 values).
   Pass 1: the row maxima and the first index attaining them (NaN is never the maximum:
   max(v, m) keeps m where v is NaN). Pass 2: the sum of e^(x - m) over the other classes,
   each term within 6.3e-8 (exp_sub: x - m split exactly), summed in double, two steps at
   once (sum_steps: 0.95-0.97 of the time of one step at a time on 10 float32 classes, AVX2
   on Zen 3, in cache; four at once gained nothing more). A row holding
   NaN gets a NaN sum (its term is NaN); a row whose maximum is NaN (column 0), +inf or -inf
   (all -inf) is flagged by its maximum. Pass 3: NF rows are finished at once (finish_small,
   log1p_tab); flagged and very confident rows are fixed up after. Each row's lane does the
   same operations in the same order at either width: both give the same bits. */
VTARGET static INLINE Py_ssize_t K(softmax_small_f)(const char *x, int kind, Py_ssize_t n,
                                                    Py_ssize_t c, const int64_t *y, double *nll,
                                                    uint8_t *correct, int64_t *pred, float *t,
                                                    double temp, const int scaled,
                                                    size_t limit) {
    Py_ssize_t bad = 0;
    float shi, slo;
    split_scale(temp, &shi, &slo);
    const VF sc_hi = F_SET1(shi), sc_lo = F_SET1(slo);
    const VF inf = F_SET1(INFINITY);
    const double risk = underflow_risk(c);
    /* a tile's maxima, their indices and sums, between the three passes */
    float mt[TILE] __attribute__((aligned(64))), tt[TILE] __attribute__((aligned(64)));
    double st[TILE] __attribute__((aligned(64)));
    for (Py_ssize_t i0 = 0; i0 < n; i0 += TILE) {
        Py_ssize_t rows = n - i0 < TILE ? n - i0 : TILE;
        K(load_tile)(x, kind, n, i0, rows, c, t);
        const VF one = F_SET1(1.0f);
        for (Py_ssize_t g = 0; g < rows; g += NF) { /* pass 1 */
            const float *col = t + g;
            VF m = F_LOADU(col), top = F_ZERO(), jv = one;
            for (Py_ssize_t j = 1; j < c; j++, jv = F_ADD(jv, one)) {
                VF v = F_LOADU(col + j * TILE);
                top = BLEND(top, jv, F_CMP(v, m, _CMP_GT_OQ));
                m = F_MAX(v, m);
            }
            F_STOREU(mt + g, m);
            F_STOREU(tt + g, top);
        }
        for (Py_ssize_t g = 0; g < rows; g += 2 * NF) { /* pass 2: two steps at once */
            prefetch_ahead(x, i0 + g, 2 * NF, c, KSIZE(kind), limit);
            if (g + NF < rows)
                K(sum_steps)(2, t + g, mt + g, tt + g, st + g, c, scaled, sc_hi, sc_lo);
            else
                K(sum_steps)(1, t + g, mt + g, tt + g, st + g, c, scaled, sc_hi, sc_lo);
        }
        for (Py_ssize_t g = 0; g < rows; g += NF) { /* the rows' losses */
            const float *col = t + g;
            const VF m = F_LOADU(mt + g), top = F_LOADU(tt + g);
            const VD s_lo = D_LOADU(st + g), s_hi = D_LOADU(st + g + NF / 2);
            /* flagged: the maximum is not finite (NaN, +inf, all -inf) or the sum is NaN */
            int flagged = MBITS(F_CMP(F_ABS(m), inf, _CMP_NLT_UQ));
            flagged |= D_NAN_BITS(s_lo) | D_NAN_BITS(s_hi) << (NF / 2);
            int low = D_LT_BITS(s_lo, D_SET1(risk)) | D_LT_BITS(s_hi, D_SET1(risk)) << (NF / 2);
            const Py_ssize_t i = i0 + g, k = rows - g < NF ? rows - g : NF;
            VF xyv = K(finish_small)(col, m, top, s_lo, s_hi, y + i, k, scaled, temp, nll + i,
                                     pred ? pred + i : NULL, correct + i);
            if (!((flagged | low) & ((1 << k) - 1))) continue;
            float xy[NF];
            F_STOREU(xy, xyv);
            for (Py_ssize_t r = 0; r < k; r++) {
                if (flagged & (1 << r)) {
                    bad++;
                    nll[i + r] = NAN;
                    correct[i + r] = 0;
                    if (pred) pred[i + r] = 0;
                } else if (low & (1 << r)) { /* very confident: the sum again, in double */
                    double rest = rest_exact_row(x + (size_t)(i + r) * c * KSIZE(kind), kind, c,
                                                 (Py_ssize_t)tt[g + r], (double)mt[g + r], temp);
                    nll[i + r] = log1p(rest) + ((double)mt[g + r] - (double)xy[r]) / temp;
                }
            }
        }
    }
    return bad;
}

/* Many classes: row by row, NF classes a step. Pass 1: the maximum (NaN is
   never it), then the first index attaining it (a vector search). Pass 2: e^(x - m) summed in
   double, with no mask but on the NF classes holding the maximum's index. NaN anywhere makes
   the sum NaN; +inf or only -inf leave a maximum that is not finite: both flag the row.
   `scaled` (T != 1) is a constant in each caller: exp_sub's e^((x - m) / T), (x - m) / T to
   ~48 bits, its rounding error folded into the term as x - m's is without it. Two vectors a
   step (exp_sub's interleaving), and the next row asked into L2 a line a step: the maximum's
   pass then finds it there (on 50257 float32 classes it had waited on memory for ~27 % of
   the kernel's time; with the prefetch, 0.80 of the time in cache, float16 0.89).
   The classes past the last whole vector are summed in double with libm's exp. */
VTARGET static INLINE Py_ssize_t K(softmax_rows_body)(const char *x, int kind, Py_ssize_t n,
                                                      Py_ssize_t c, const int64_t *y,
                                                      double *nll, uint8_t *correct,
                                                      int64_t *pred, double temp,
                                                      const int scaled) {
    Py_ssize_t bad = 0;
    float shi, slo;
    split_scale(temp, &shi, &slo);
    const VF sc_hi = F_SET1(shi), sc_lo = F_SET1(slo);
    double rest[4], base[4];
    const VF lane = F_LANES;
    const Py_ssize_t cv = c & ~(Py_ssize_t)(NF - 1);
    for (Py_ssize_t i0 = 0; i0 < n; i0 += 4) {
        Py_ssize_t rows = n - i0 < 4 ? n - i0 : 4;
        for (Py_ssize_t r = 0; r < 4; r++) {
            Py_ssize_t i = i0 + r;
            rest[r] = base[r] = 0.0;
            if (r >= rows) continue;
            const char *row = x + (size_t)i * c * KSIZE(kind);
            VF m0 = F_SET1(-INFINITY), m1 = m0;
            Py_ssize_t j = 0;
            for (; j + 2 * NF <= cv; j += 2 * NF) {
                m0 = F_MAX(W(load_f)(row, j, kind), m0);
                m1 = F_MAX(W(load_f)(row, j + NF, kind), m1);
            }
            if (j < cv) m0 = F_MAX(W(load_f)(row, j, kind), m0);
            float mt[NF];
            F_STOREU(mt, F_MAX(m0, m1));
            float m = mt[0];
            for (int q = 1; q < NF; q++) m = mt[q] > m ? mt[q] : m;
            for (j = cv; j < c; j++) {
                float v = (float)elem(row, j, kind);
                m = v > m ? v : m;
            }
            if (!(fabsf(m) < INFINITY)) { /* +inf, or nothing but -inf and NaN */
                bad++;
                base[r] = NAN;
                correct[i] = 0;
                if (pred) pred[i] = 0;
                continue;
            }
            const VF mv = F_SET1(m), neg_m2[2] = {F_SET1(-m), F_SET1(-m)};
            Py_ssize_t top = cv;
            for (j = 0; j < cv; j += NF) {
                int hit = MBITS(F_CMP(W(load_f)(row, j, kind), mv, _CMP_EQ_OQ));
                if (hit) {
                    top = j + __builtin_ctz(hit);
                    break;
                }
            }
            if (top == cv)
                while ((float)elem(row, top, kind) != m) top++;
            const Py_ssize_t jt = top < cv ? top & ~(Py_ssize_t)(NF - 1) : cv;
            VD s0 = D_ZERO(), s1 = s0, s2 = s0, s3 = s0;
            /* The next row into L2, a line a step, while this one is computed. A prefetch of
               a page not yet mapped is dropped, so its pages are read once first (a byte a
               4 KiB): on a memory map of a file held in small pages, their faults come here,
               not in the maximum's pass (bench/run.py's LM float16 run: 0.81-0.84 s -> 0.65-
               0.76 s). */
            const char *next = row + (size_t)c * KSIZE(kind);
            const size_t ahead = i + 1 < n ? (size_t)c * KSIZE(kind) : 0;
            for (size_t b = 0; b < ahead; b += 4096) (void)*(volatile const char *)(next + b);
            for (j = 0; j + 2 * NF <= cv; j += 2 * NF) { /* two vectors at once (exp_sub) */
                if ((size_t)j * 4 < ahead) _mm_prefetch(next + (size_t)j * 4, _MM_HINT_T1);
                VF v[2] = {W(load_f)(row, j, kind), W(load_f)(row, j + NF, kind)}, e[2];
                W(exp_sub)(2, v, neg_m2, scaled, sc_hi, sc_lo, e);
                if (j == jt) e[0] = DROP(F_CMP(lane, F_SET1((float)(top - j)), _CMP_EQ_OQ), e[0]);
                if (j + NF == jt)
                    e[1] = DROP(F_CMP(lane, F_SET1((float)(top - j - NF)), _CMP_EQ_OQ), e[1]);
                s0 = D_ADD(s0, CVT_LO(e[0]));
                s1 = D_ADD(s1, CVT_HI(e[0]));
                s2 = D_ADD(s2, CVT_LO(e[1]));
                s3 = D_ADD(s3, CVT_HI(e[1]));
            }
            if (j < cv) { /* an odd vector last: its terms to s0 and s1, as j's parity says */
                VF v = W(load_f)(row, j, kind), e;
                W(exp_sub)(1, &v, neg_m2, scaled, sc_hi, sc_lo, &e);
                if (j == jt) e = DROP(F_CMP(lane, F_SET1((float)(top - j)), _CMP_EQ_OQ), e);
                s0 = D_ADD(s0, CVT_LO(e));
                s1 = D_ADD(s1, CVT_HI(e));
            }
            double s = D_HSUM(D_ADD(D_ADD(s0, s1), D_ADD(s2, s3)));
            for (j = cv; j < c; j++)
                if (j != top) s += exp(((double)(float)elem(row, j, kind) - (double)m) / temp);
            if (isnan(s)) {
                bad++;
                base[r] = NAN;
                correct[i] = 0;
                if (pred) pred[i] = 0;
                continue;
            }
            rest[r] = s < underflow_risk(c) ? rest_exact_row(row, kind, c, top, (double)m, temp) : s;
            base[r] = ((double)m - (double)(float)elem(row, y[i], kind)) / temp;
            if (pred) pred[i] = top;
            correct[i] = top == y[i];
        }
        finish4(rest, base, nll + i0, rows);
    }
    return bad;
}

/* The entry points: `scaled` a constant in each instance of the bodies above. */
VTARGET static Py_ssize_t K(softmax_cols_f)(const char *x, int kind, Py_ssize_t n, Py_ssize_t c,
                                            const int64_t *y, double *nll, uint8_t *correct,
                                            int64_t *pred, float *t, double temp, size_t limit) {
    if (temp == 1.0)
        return K(softmax_small_f)(x, kind, n, c, y, nll, correct, pred, t, 1.0, 0, limit);
    return K(softmax_small_f)(x, kind, n, c, y, nll, correct, pred, t, temp, 1, limit);
}

VTARGET static Py_ssize_t K(softmax_rows_f)(const char *x, int kind, Py_ssize_t n, Py_ssize_t c,
                                            const int64_t *y, double *nll, uint8_t *correct,
                                            int64_t *pred, double temp) {
    if (temp == 1.0) return K(softmax_rows_body)(x, kind, n, c, y, nll, correct, pred, 1.0, 0);
    return K(softmax_rows_body)(x, kind, n, c, y, nll, correct, pred, temp, 1);
}
