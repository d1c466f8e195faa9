/*
 * One vector width for the float kernels that are written once (vexp.h, softmax_f.h) and
 * compiled twice: include this file with CECE_VW defined as 8 (AVX2, FMA, F16C: 8 floats a
 * vector) or 16 (AVX-512 F/BW/VL/DQ: 16 floats), then the generic file. It (re)defines:
 *
 *   VF, VD, VI, VM   a vector of floats, of doubles (half as many), of int32; a lane mask
 *   NF               floats a vector
 *   VTARGET          the function attribute of that instruction set
 *   W(name)          name suffixed with the width: W(exp_sub) is exp_sub8 or exp_sub16
 *   K(name)          name suffixed with the instruction set: softmax_rows_f_avx2 / _avx512
 *   F_* / D_* / I_*  the float / double / int32 operations, as the intrinsics of that set
 *   F_CMP(a, b, p)   a mask (the AVX2 all-ones lanes, AVX-512's k register): DROP(m, v) is 0
 *                    where m is set and v elsewhere, BLEND(a, b, m) b
 *                    where m is set, MBITS(m) the mask as an int, lane i in bit i
 *   CVT_LO/CVT_HI    the low / high half of a float vector as doubles
 *   F_PERM/I_PERM    a table lookup: F_PERM(t, i) is lane i's low bits (3 at 8 floats, 4 at 16)
 *                    as an index into the vector t; F_TAB8/I_TAB8 an 8-entry table (aligned) as
 *                    such a vector (at 16: its entries twice, so that both widths look up the same)
 *
 * Callers check the CPU (cpu_ok(), cpu_avx512() in simd.h) before running either width.
 * No include guard: included once per width.
 */
#undef VF
#undef VD
#undef VI
#undef VM
#undef NF
#undef VTARGET
#undef W
#undef K
#undef F_SET1
#undef F_ZERO
#undef F_ADD
#undef F_SUB
#undef F_MUL
#undef F_FMADD
#undef F_FNMADD
#undef F_FMSUB
#undef F_MAX
#undef F_XOR
#undef F_ABS
#undef F_LOADU
#undef F_PERM
#undef I_PERM
#undef F_TAB8
#undef I_TAB8
#undef F_STOREU
#undef F_LANES
#undef F_CMP
#undef DROP
#undef BLEND
#undef MBITS
#undef D_ZERO
#undef D_SET1
#undef D_ADD
#undef D_NAN_BITS
#undef D_LT_BITS
#undef D_HSUM
#undef CVT_LO
#undef CVT_HI
#undef I_ADD
#undef I_SLLI
#undef AS_I
#undef AS_F
#undef PFX_F
#undef PFX_I

#if CECE_VW == 8

#define VF __m256
#define VD __m256d
#define VI __m256i
#define VM __m256
#define NF 8
#define VTARGET TARGET
#define W(name) name##8
#define K(name) name##_avx2
#define F_LANES _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7)
#define F_CMP(a, b, p) _mm256_cmp_ps((a), (b), (p))
#define DROP(m, v) _mm256_andnot_ps((m), (v))
#define BLEND(a, b, m) _mm256_blendv_ps((a), (b), (m))
#define MBITS(m) _mm256_movemask_ps(m)
#define F_XOR(a, b) _mm256_xor_ps((a), (b))
#define F_ABS(a) _mm256_andnot_ps(_mm256_set1_ps(-0.0f), (a))
#define D_NAN_BITS(a) _mm256_movemask_pd(_mm256_cmp_pd((a), (a), _CMP_UNORD_Q))
#define D_LT_BITS(a, b) _mm256_movemask_pd(_mm256_cmp_pd((a), (b), _CMP_LT_OQ))
#define D_HSUM(a) hsum4(a)
#define CVT_LO(a) _mm256_cvtps_pd(_mm256_castps256_ps128(a))
#define CVT_HI(a) _mm256_cvtps_pd(_mm256_extractf128_ps((a), 1))
#define AS_I(a) _mm256_castps_si256(a)
#define AS_F(a) _mm256_castsi256_ps(a)
#define F_PERM(t, i) _mm256_permutevar8x32_ps((t), (i))
#define I_PERM(t, i) _mm256_permutevar8x32_epi32((t), (i))
#define F_TAB8(p) _mm256_load_ps(p)
#define I_TAB8(p) _mm256_load_si256((const __m256i *)(p))
#define PFX_F _mm256_
#define PFX_I _mm256_

#elif CECE_VW == 16

#define VF __m512
#define VD __m512d
#define VI __m512i
#define VM __mmask16
#define NF 16
#define VTARGET TARGET512
#define W(name) name##16
#define K(name) name##_avx512
#define F_LANES _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
#define F_CMP(a, b, p) _mm512_cmp_ps_mask((a), (b), (p))
#define DROP(m, v) _mm512_maskz_mov_ps((__mmask16)~(m), (v))
#define BLEND(a, b, m) _mm512_mask_blend_ps((m), (a), (b))
#define MBITS(m) ((int)(m))
#define F_XOR(a, b) _mm512_xor_ps((a), (b))
#define F_ABS(a) _mm512_abs_ps(a)
#define D_NAN_BITS(a) ((int)_mm512_cmp_pd_mask((a), (a), _CMP_UNORD_Q))
#define D_LT_BITS(a, b) ((int)_mm512_cmp_pd_mask((a), (b), _CMP_LT_OQ))
#define D_HSUM(a) hsum4(_mm256_add_pd(_mm512_castpd512_pd256(a), _mm512_extractf64x4_pd((a), 1)))
#define CVT_LO(a) _mm512_cvtps_pd(_mm512_castps512_ps256(a))
#define CVT_HI(a) _mm512_cvtps_pd(_mm512_extractf32x8_ps((a), 1))
#define AS_I(a) _mm512_castps_si512(a)
#define AS_F(a) _mm512_castsi512_ps(a)
#define F_PERM(t, i) _mm512_permutexvar_ps((i), (t))
#define I_PERM(t, i) _mm512_permutexvar_epi32((i), (t))
#define F_TAB8(p) _mm512_broadcast_f32x8(_mm256_load_ps(p))
#define I_TAB8(p) _mm512_broadcast_i32x8(_mm256_load_si256((const __m256i *)(p)))
#define PFX_F _mm512_
#define PFX_I _mm512_

#else
#error "CECE_VW must be 8 or 16"
#endif

/* the operations whose intrinsics differ only by their prefix */
#define ISA_CAT_(a, b) a##b
#define ISA_CAT(a, b) ISA_CAT_(a, b)
#define F_SET1(v) ISA_CAT(PFX_F, set1_ps)(v)
#define F_ZERO() ISA_CAT(PFX_F, setzero_ps)()
#define F_ADD(a, b) ISA_CAT(PFX_F, add_ps)((a), (b))
#define F_SUB(a, b) ISA_CAT(PFX_F, sub_ps)((a), (b))
#define F_MUL(a, b) ISA_CAT(PFX_F, mul_ps)((a), (b))
#define F_FMADD(a, b, c) ISA_CAT(PFX_F, fmadd_ps)((a), (b), (c))
#define F_FNMADD(a, b, c) ISA_CAT(PFX_F, fnmadd_ps)((a), (b), (c))
#define F_FMSUB(a, b, c) ISA_CAT(PFX_F, fmsub_ps)((a), (b), (c))
#define F_MAX(a, b) ISA_CAT(PFX_F, max_ps)((a), (b))
#define F_LOADU(p) ISA_CAT(PFX_F, loadu_ps)(p)
#define F_STOREU(p, v) ISA_CAT(PFX_F, storeu_ps)((p), (v))
#define D_ZERO() ISA_CAT(PFX_F, setzero_pd)()
#define D_SET1(v) ISA_CAT(PFX_F, set1_pd)(v)
#define D_ADD(a, b) ISA_CAT(PFX_F, add_pd)((a), (b))
#define D_LOADU(p) ISA_CAT(PFX_F, loadu_pd)(p)
#define D_STOREU(p, v) ISA_CAT(PFX_F, storeu_pd)((p), (v))
#define I_ADD(a, b) ISA_CAT(PFX_I, add_epi32)((a), (b))
#define I_SLLI(a, n) ISA_CAT(PFX_I, slli_epi32)((a), (n))
