/*
 * e^x of float vectors for the softmax kernels, written once for any vector width (isa.h):
 * simd.h includes it at 8 floats (exp_tab8, exp_sub8), _fast.c again at 16 (AVX-512:
 * exp_tab16, exp_sub16). The same operations in the same order on every lane, so
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
/* N vectors at once (n a constant after inlining, 1 to 4), step by step: each step
   is done for every vector before the next, so that the instruction stream interleaves N
   independent chains. One vector's chain is ~60 cycles of dependent latency, and GCC keeps
   the source's order on x86: with one vector at a time, the out-of-order window holds too
   few independent operations to keep the units busy (AVX2 on Zen 3, in cache, two vectors
   at a time against one: 50257 float16 classes 0.88-0.90 of the time, bfloat16 0.90,
   --temperature 0.90-0.92, float32 0.98; 10 classes 0.97-1.0). Each lane's operations are
   the same, in the same order, whatever N: the same bits. */
VTARGET static inline void W(exp_tab)(const int n, const VF *hi, const VF *lo, VF *out) {
    const VF lim = F_SET1(-87.33654f), magic = F_SET1(12582912.0f);
    VM under[4];
    VF z[4], t[4], r[4], s[4], w[4], r2[4], q[4];
    for (int i = 0; i < n; i++) {
        under[i] = F_CMP(hi[i], lim, _CMP_LT_OQ);
        z[i] = F_MAX(lim, hi[i]); /* a NaN hi stays NaN (max returns its 2nd operand) */
    }
    for (int i = 0; i < n; i++) /* 1.5 * 2^23 + k */
        t[i] = F_FMADD(z[i], F_SET1(CECE_EXP_8_LN2), magic);
    for (int i = 0; i < n; i++) { /* k in [-1008, 0]; r exact: 9 bits times k's 10 */
        VF k = F_SUB(t[i], magic);
        r[i] = F_FNMADD(k, F_SET1(CECE_EXP_LN2_8_HI), z[i]);
        r[i] = F_FNMADD(k, F_SET1(CECE_EXP_LN2_8_LO), r[i]);
    }
    for (int i = 0; i < n; i++) {
        VI ti = AS_I(t[i]);
        s[i] = AS_F(I_ADD(I_PERM(I_TAB8(CECE_EXP_TADJ), ti), I_SLLI(ti, 20))); /* 2^n TH[j] */
        w[i] = F_ADD(lo[i], F_PERM(F_TAB8(CECE_EXP_TL), ti));
    }
    for (int i = 0; i < n; i++) r2[i] = F_MUL(r[i], r[i]);
    for (int i = 0; i < n; i++)
        q[i] = F_FMADD(r2[i], F_SET1(1.0f / 24), F_FMADD(r[i], F_SET1(1.0f / 6), F_SET1(0.5f)));
    for (int i = 0; i < n; i++) q[i] = F_FMADD(q[i], r2[i], r[i]); /* em1 */
    for (int i = 0; i < n; i++) q[i] = F_ADD(q[i], F_FMADD(q[i], w[i], w[i])); /* u */
    for (int i = 0; i < n; i++) out[i] = DROP(under[i], F_FMADD(q[i], s[i], s[i]));
}

/* e^(x[i] - m[i]) for N float vectors x[i] <= m[i] (neg_m[i] = -m[i]), without rounding
   x - m first: the difference is split exactly (TwoSum) into hi + lo, and exp_tab's e^hi (1 +
   lo) is within 6.3e-8 of e^(x - m) however large |x - m| (a plain float32 x - m would cost
   up to |x - m| * 6e-8 relative). NaN in x gives NaN; a -inf logit, or x - m below -3.4e38, 0.
   With `scaled` (a constant in each caller), e^((x - m) s) for a scale s = s_hi + s_lo (1/T
   split into two floats, so that s is known to ~48 bits): the product is z_hi + z_lo with z_hi
   = hi s_hi rounded and z_lo = its exact rounding error (FMA) + hi s_lo + lo s_hi (lo s_lo is
   below 2^-48 of the rest), and e^(z_hi) (1 + z_lo) is exp_tab's, as e^hi (1 + lo) is without
   it: |z_lo| is a few 2^-24 |z_hi| too, so the same bound holds (a float32 product (x - m) *
   (1/T) would cost up to |x - m| / T * 1.2e-7 relative). Until 2026-12-02 this was Cephes'
   expf of z_hi and e (1 + z_lo) formed in double by the caller: twice the work a term
   (--temperature cost 2.2x the time of a run without it on 50257 classes). A product that
   overflows (T < 1) is -inf, below exp_tab's limit: 0. N vectors at once, step by step, as
   exp_tab. */
VTARGET static inline void W(exp_sub)(const int n, const VF *x, const VF *neg_m,
                                      const int scaled, VF s_hi, VF s_lo, VF *out) {
    VF hi[4], lo[4];
    for (int i = 0; i < n; i++) hi[i] = F_ADD(x[i], neg_m[i]);
    for (int i = 0; i < n; i++) { /* hi + lo = x + neg_m exactly (TwoSum) */
        VF b = F_SUB(hi[i], x[i]);
        VF a = F_SUB(hi[i], b);
        lo[i] = F_ADD(F_SUB(x[i], a), F_SUB(neg_m[i], b));
    }
    if (scaled)
        for (int i = 0; i < n; i++) {
            VF zh = F_MUL(hi[i], s_hi);
            lo[i] = F_ADD(F_FMSUB(hi[i], s_hi, zh), F_FMADD(hi[i], s_lo, F_MUL(lo[i], s_hi)));
            hi[i] = zh;
        }
    W(exp_tab)(n, hi, lo, out);
}
