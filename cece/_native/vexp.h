/*
 * e^x of float vectors for the softmax kernels, written once for any vector width (isa.h):
 * simd.h includes it at 8 floats (exp_reduced8, exp8, exp_sub8, exp_scaled8, add_scaled8),
 * _fast.c again at 16 (AVX-512: exp_reduced16, ...). The same operations in the same order on
 * every lane, so both widths give the same bits for the same value. No include guard.
 */

/* e^r - 1 for r = x - k ln 2, |r| <= ln 2 / 2: Cody-Waite's two-part ln 2 takes k ln 2 off x,
   then Cephes' degree-5 polynomial (expf), r + r^2 P(r), P by Estrin's scheme: P = (c0 + c1 r)
   + r^2 ((c2 + c3 r) + r^2 (c4 + c5 r)), as many operations as Horner's but three dependent
   steps after r^2 where Horner's takes five (the kernels that call this are bound by such
   chains as much as by their operations: 8 cycles fewer a term). exp's (exp_scaled's, with
   a temperature); exp_sub has a table and a shorter series of its own. */
VTARGET static inline VF W(expm1_reduced)(VF k, VF x) {
    VF r = F_FNMADD(k, F_SET1(0.693359375f), x);
    r = F_FNMADD(k, F_SET1(-2.12194440e-4f), r);
    VF r2 = F_MUL(r, r);
    VF a = F_FMADD(F_SET1(1.6666665459E-1f), r, F_SET1(5.0000001201E-1f));
    VF b = F_FMADD(F_SET1(8.3334519073E-3f), r, F_SET1(4.1665795894E-2f));
    VF c = F_FMADD(F_SET1(1.9875691500E-4f), r, F_SET1(1.3981999507E-3f));
    VF y = F_FMADD(r2, F_FMADD(r2, c, b), a);
    return F_FMADD(y, r2, r);
}

/* e^r for r = x - k ln 2 (expm1_reduced + 1) */
VTARGET static inline VF W(exp_reduced)(VF k, VF x) {
    return F_ADD(W(expm1_reduced)(k, x), F_SET1(1.0f));
}

/* e^x for floats x <= 88 (Cephes expf: Cody-Waite reduction, degree-5 polynomial;
   max relative error 7.8e-8 on [-87, 0], measured against libm's exp). Values below -87.3
   give 0. */
VTARGET static inline VF W(exp)(VF x) {
    VM under = F_CMP(x, F_SET1(-87.33654f), _CMP_LT_OQ);
    x = F_MAX(x, F_SET1(-87.33654f));
    VF fx = F_FLOOR(F_FMADD(x, F_SET1(1.44269504088896341f), F_SET1(0.5f)));
    VF y = W(exp_reduced)(fx, x);
    VI e = I_SLLI(I_ADD(F_TO_I(fx), I_SET1(127)), 23);
    return DROP(under, F_MUL(y, AS_F(e)));
}

/* e^(x - m) for floats x <= m (neg_m = -m), without rounding x - m first: the difference is
   split exactly (TwoSum) into hi + lo, and e^hi (1 + lo) is within ~7e-8 of e^(x - m) however
   large |x - m| (a plain float32 x - m would cost up to |x - m| * 6e-8 relative). e^hi by an
   8-entry table (exptab.h, gen_exptab.py): k = round(8 hi / ln 2) = 8 n + j by the 1.5 * 2^23
   trick (no floor, no conversion), r = hi - k ln(2)/8 (Cody-Waite, two parts), |r| <= 0.0434,
   e^r - 1 = em1 = r + r^2 (1/2 + r/6 + r^2/24), and e^hi = 2^n 2^(j/8) (1 + em1) with 2^(j/8) =
   TH[j] (1 + TL[j]): the lookups are permutes on k's low bits, and S = 2^n TH[j] is built from
   integer bits alone (CECE_EXP_TADJ[j] + (k << 20)). The result is S (1 + u), u = (1 + em1)(1 +
   w) - 1 with w = lo + TL[j]: one FMA, one rounding of the result (6e-8) and below 1e-8 from
   the rest (the series' 1.3e-9, r's and u's roundings, 2^-25 |r| and 2^-25 |u|). Measured: at
   most 6.3e-8 relative over 10^7 random confident pairs (tests/test_kernel_accuracy.py); the
   Cephes polynomial on |r| <= ln(2)/2 this replaced reached 9.98e-8 with three more FMAs (AVX2
   in cache: 918 -> 1004 Mval/s on 10 classes, 1475 -> 1721 on 1000; AVX-512 +3-4 %). The
   index is k mod 8 at 8 lanes and k mod 16 at 16 (the table holds its 8 entries twice): the same
   value, so both widths give the same bits. NaN in x gives NaN. Terms below e^-87.34
   (float32's smallest normal, ~1.2e-38) come out 0, and a -inf logit, or x - m below -3.4e38,
   0 too: callers sum a row again in double where its sum is small enough for such terms to
   matter (a few 1e-38 per class). hi >= -87.34 keeps k >= -1008, so n >= -126 and S is a normal
   float; a result in the subnormals is rounded once, by the last FMA. */
VTARGET static inline VF W(exp_sub)(VF x, VF neg_m) {
    VF hi = F_ADD(x, neg_m);
    VF b = F_SUB(hi, x);
    VF a = F_SUB(hi, b);
    VF lo = F_ADD(F_SUB(x, a), F_SUB(neg_m, b));
    const VF lim = F_SET1(-87.33654f), magic = F_SET1(12582912.0f);
    VM under = F_CMP(hi, lim, _CMP_LT_OQ);
    VF z = F_MAX(lim, hi); /* a NaN hi stays NaN (max returns its 2nd operand) */
    VF t = F_FMADD(z, F_SET1(11.5415603f), magic); /* 1.5 * 2^23 + k: 8 / ln 2, rounded */
    VF k = F_SUB(t, magic);                         /* in [-1008, 0] */
    VF r = F_FNMADD(k, F_SET1(0.086669921875f), z); /* exact: 355/4096 has 9 bits, k 10 */
    r = F_FNMADD(k, F_SET1(CECE_EXP_LN2_8_LO), r);
    VI ti = AS_I(t);
    VF s = AS_F(I_ADD(I_PERM(I_LOAD(CECE_EXP_TADJ), ti), I_SLLI(ti, 20))); /* 2^n TH[j] */
    VF w = F_ADD(lo, F_PERM(F_LOADU(CECE_EXP_TL), ti));
    VF r2 = F_MUL(r, r);
    VF q = F_FMADD(r2, F_SET1(1.0f / 24), F_FMADD(r, F_SET1(1.0f / 6), F_SET1(0.5f)));
    VF em1 = F_FMADD(q, r2, r);
    VF u = F_ADD(em1, F_FMADD(em1, w, w));
    return DROP(under, F_FMADD(u, s, s));
}

/* e^((x - m) s) for floats x, m and a scale s = s_hi + s_lo (1/T split into two floats, so
   that s is known to ~48 bits), as e * (1 + *zl): x - m = hi + lo exactly (TwoSum), the product
   is z_hi + z_lo with z_hi = hi s_hi rounded and z_lo = its exact rounding error (FMA) +
   hi s_lo + lo s_hi (lo s_lo is below 2^-48 of the rest), e = e^(z_hi). A float32 product
   (x - m) * (1/T) would cost up to |x - m| / T * 1.2e-7 relative; here the error is exp's
   alone, since callers form e (1 + z_lo) in double (add_scaled), not rounded to a float.
   Where e is 0, *zl is 0 too (a product may have overflowed: z_lo NaN). */
VTARGET static inline VF W(exp_scaled)(VF x, VF neg_m, VF s_hi, VF s_lo, VF *zl) {
    VF hi = F_ADD(x, neg_m);
    VF b = F_SUB(hi, x);
    VF a = F_SUB(hi, b);
    VF lo = F_ADD(F_SUB(x, a), F_SUB(neg_m, b));
    VF zh = F_MUL(hi, s_hi);
    VF z_lo = F_ADD(F_FMSUB(hi, s_hi, zh), F_FMADD(hi, s_lo, F_MUL(lo, s_hi)));
    VF e = W(exp)(zh);
    VM live = F_CMP(e, F_ZERO(), _CMP_GT_OQ);
    *zl = KEEP(live, z_lo);
    return KEEP(live, e);
}

/* (lo, hi) += e (1 + zl): a float vector into two double vectors (exp_scaled's terms). */
VTARGET static inline void W(add_scaled)(VF e, VF zl, VD *lo, VD *hi) {
    VD el = CVT_LO(e), eh = CVT_HI(e);
    *lo = D_FMADD(el, CVT_LO(zl), D_ADD(*lo, el));
    *hi = D_FMADD(eh, CVT_HI(zl), D_ADD(*hi, eh));
}
