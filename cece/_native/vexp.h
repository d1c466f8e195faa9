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
   chains as much as by their operations: 8 cycles fewer a term). The one copy exp and exp_sub
   share. */
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
   split exactly (TwoSum) into hi + lo, and e^hi (1 + lo) is within ~1e-7 of e^(x - m) however
   large |x - m| (a plain float32 x - m would cost up to |x - m| * 6e-8 relative). e^hi is
   exp's Cody-Waite reduction and Cephes polynomial, with k = round(hi / ln 2) by the
   1.5 * 2^23 trick and 2^k built from the same bits (no floor, no conversion). NaN in x gives
   NaN. Terms below e^-87.34 (float32's smallest normal, ~1.2e-38) come out
   0, and a -inf logit, or x - m below -3.4e38, 0 too: callers sum a row again in double where
   its sum is small enough for such terms to matter (a few 1e-38 per class). */
VTARGET static inline VF W(exp_sub)(VF x, VF neg_m) {
    VF hi = F_ADD(x, neg_m);
    VF b = F_SUB(hi, x);
    VF a = F_SUB(hi, b);
    VF lo = F_ADD(F_SUB(x, a), F_SUB(neg_m, b));
    const VF lim = F_SET1(-87.33654f), magic = F_SET1(12582912.0f);
    VM under = F_CMP(hi, lim, _CMP_LT_OQ);
    VF z = F_MAX(lim, hi); /* a NaN hi stays NaN (max returns its 2nd operand) */
    VF t = F_FMADD(z, F_SET1(1.44269504088896341f), magic);
    VF k = F_SUB(t, magic); /* round(z / ln 2), in [-126, 0] */
    VF em1 = W(expm1_reduced)(k, z);
    /* 2^k: t's low bits hold k (t = 1.5 * 2^23 + k), so its bits + (127 - bits of magic) is
       k + 127, shifted into the exponent field */
    VI pw = I_SLLI(I_ADD(AS_I(t), I_SET1(127 - 0x4B400000)), 23);
    /* e^hi (1 + lo) = 2^k (1 + em1)(1 + lo) = 2^k (1 + u), u = em1 + lo (1 + em1): lo (1 + em1)
       is tiny (|lo| <= 2^-24 |hi|), so its FMA's rounding is negligible, and what is left is
       one rounding of u and one of 2^k (1 + u). Rounding 1 + em1 to a float first and e (1 + lo)
       again after, as this did, could reach 1.18e-7 with the polynomial's error (124 of 2·10^6
       random pairs above the 1.1e-7 contract; tests/test_kernel_accuracy.py). 2^k (1 + u) is
       one FMA, u 2^k + 2^k: as many operations as before, and a result in the subnormals is
       rounded once, not twice */
    VF u = F_ADD(em1, F_FMADD(em1, lo, lo));
    return DROP(under, F_FMADD(u, AS_F(pw), AS_F(pw)));
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
