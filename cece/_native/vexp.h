/*
 * e^x of float vectors for the softmax kernels, written once for any vector width (isa.h):
 * simd.h includes it at 8 floats (exp_tab8, two_sum8, exp_sub8, exp_scaled8), _fast.c again
 * at 16 (AVX-512: exp_tab16, ...). The same operations in the same order on every lane, so
 * both widths give the same bits for the same value. No include guard.
 */

/* e^hi (1 + lo) for floats hi <= 0 (NaN allowed) and a small correction lo (|lo| a few 2^-24
   |hi| at most: the rounding error of the hi the caller formed), within 6.3e-8 relative. An
   8-entry table (exptab.h, gen_exptab.py): k = round(8 hi / ln 2) = 8 n + j by the 1.5 * 2^23
   trick (no floor, no conversion), r = hi - k ln(2)/8 (Cody-Waite, two parts), |r| <= 0.0434,
   e^r - 1 = em1 = r + r^2 (1/2 + r/6 + r^2/24), and e^hi = 2^n 2^(j/8) (1 + em1) with 2^(j/8) =
   TH[j] (1 + TL[j]): the lookups are permutes on k's low bits, and S = 2^n TH[j] is built from
   integer bits alone (CECE_EXP_TADJ[j] + (k << 20)). The result is S (1 + u), u = (1 + em1)(1 +
   w) - 1 with w = lo + TL[j]: one FMA, one rounding of the result (6e-8) and below 1e-8 from
   the rest (the series' 1.3e-9, r's and u's roundings, 2^-25 |r| and 2^-25 |u|). Measured: at
   most 6.3e-8 relative over 10^7 random confident pairs and a grid of 2·10^6 differences
   (tests/test_kernel_accuracy.py holds the grid to 7e-8); the Cephes polynomial on |r| <=
   ln(2)/2 this replaced (2026-12-02) reached 9.98e-8 with three more FMAs (AVX2 in cache: 918
   -> 1004 M values/s on 10 classes, 1475 -> 1721 on 1000; AVX-512 +3-4 %). The index is k mod
   8 at 8 lanes and k mod 16 at 16 (the vector holds the 8 entries twice): the same value, so
   both widths give the same bits. Terms below e^-87.34 (float32's smallest normal, ~1.2e-38)
   come out 0, and hi = -inf too: callers sum a row again in double where its sum is small
   enough for such terms to matter (a few 1e-38 per class). hi >= -87.34 keeps k >= -1008, so
   n >= -126 and S is a normal float; a result in the subnormals is rounded once, by the last
   FMA. */
VTARGET static inline VF W(exp_tab)(VF hi, VF lo) {
    const VF lim = F_SET1(-87.33654f), magic = F_SET1(12582912.0f);
    VM under = F_CMP(hi, lim, _CMP_LT_OQ);
    VF z = F_MAX(lim, hi); /* a NaN hi stays NaN (max returns its 2nd operand) */
    VF t = F_FMADD(z, F_SET1(CECE_EXP_8_LN2), magic);   /* 1.5 * 2^23 + k */
    VF k = F_SUB(t, magic);                             /* in [-1008, 0] */
    VF r = F_FNMADD(k, F_SET1(CECE_EXP_LN2_8_HI), z);   /* exact: 9 bits times k's 10 */
    r = F_FNMADD(k, F_SET1(CECE_EXP_LN2_8_LO), r);
    VI ti = AS_I(t);
    VF s = AS_F(I_ADD(I_PERM(I_TAB8(CECE_EXP_TADJ), ti), I_SLLI(ti, 20))); /* 2^n TH[j] */
    VF w = F_ADD(lo, F_PERM(F_TAB8(CECE_EXP_TL), ti));
    VF r2 = F_MUL(r, r);
    VF q = F_FMADD(r2, F_SET1(1.0f / 24), F_FMADD(r, F_SET1(1.0f / 6), F_SET1(0.5f)));
    VF em1 = F_FMADD(q, r2, r);
    VF u = F_ADD(em1, F_FMADD(em1, w, w));
    return DROP(under, F_FMADD(u, s, s));
}

/* x + neg_m = hi + *lo exactly (TwoSum: hi rounded, *lo its rounding error) */
VTARGET static inline VF W(two_sum)(VF x, VF neg_m, VF *lo) {
    VF hi = F_ADD(x, neg_m);
    VF b = F_SUB(hi, x);
    VF a = F_SUB(hi, b);
    *lo = F_ADD(F_SUB(x, a), F_SUB(neg_m, b));
    return hi;
}

/* e^(x - m) for floats x <= m (neg_m = -m), without rounding x - m first: the difference is
   split exactly (TwoSum) into hi + lo, and exp_tab's e^hi (1 + lo) is within 6.3e-8 of
   e^(x - m) however large |x - m| (a plain float32 x - m would cost up to |x - m| * 6e-8
   relative). NaN in x gives NaN; a -inf logit, or x - m below -3.4e38, 0. */
VTARGET static inline VF W(exp_sub)(VF x, VF neg_m) {
    VF lo, hi = W(two_sum)(x, neg_m, &lo);
    return W(exp_tab)(hi, lo);
}

/* e^((x - m) s) for floats x, m and a scale s = s_hi + s_lo (1/T split into two floats, so
   that s is known to ~48 bits): x - m = hi + lo exactly (TwoSum), the product is z_hi + z_lo
   with z_hi = hi s_hi rounded and z_lo = its exact rounding error (FMA) + hi s_lo + lo s_hi
   (lo s_lo is below 2^-48 of the rest), and e^(z_hi) (1 + z_lo) is exp_tab's, as exp_sub's
   e^hi (1 + lo): |z_lo| is a few 2^-24 |z_hi| too, so the same bound holds (a float32 product
   (x - m) * (1/T) would cost up to |x - m| / T * 1.2e-7 relative). Until 2026-12-02 this was
   Cephes' expf of z_hi and e (1 + z_lo) formed in double by the caller: twice the work a term
   (--temperature cost 2.2x the time of a run without it on 50257 classes). A product that
   overflows (T < 1) is -inf, below exp_tab's limit: 0. */
VTARGET static inline VF W(exp_scaled)(VF x, VF neg_m, VF s_hi, VF s_lo) {
    VF lo, hi = W(two_sum)(x, neg_m, &lo);
    VF zh = F_MUL(hi, s_hi);
    VF z_lo = F_ADD(F_FMSUB(hi, s_hi, zh), F_FMADD(hi, s_lo, F_MUL(lo, s_hi)));
    return W(exp_tab)(zh, z_lo);
}
