/* kset_names.h — included first (the compiler's -include) in every object of a kernel set,
 * compiled with -DRNL_KSET=plain|avx2|avx512 (kset.h): the set's external symbols get the
 * set's name as a suffix, rnl_gemm -> rnl_gemm_avx512, so three sets link into one library.
 * A symbol missing here is defined three times and the shared library does not link;
 * tests/sh_portable.sh also checks every set object's symbols. rnnlab.h sees RNL_KSET and
 * leaves these copies hidden (no visibility push). */
#ifndef RNL_KSET_NAMES_H
#define RNL_KSET_NAMES_H
#ifndef RNL_KSET
#error "kset_names.h is for the kernel sets' objects (-DRNL_KSET=plain|avx2|avx512)"
#endif
#define RNL_KSET_CAT2(f, s) f##_##s
#define RNL_KSET_CAT(f, s) RNL_KSET_CAT2(f, s)
#define RNL_KSET_NAME(f) RNL_KSET_CAT(f, RNL_KSET)
#define RNL_KSET_STR2(s) #s
#define RNL_KSET_STR(s) RNL_KSET_STR2(s)

/* kset.c */
#define rnl_kernels RNL_KSET_NAME(rnl_kernels)
/* kernels.c */
#define rnl_gemm RNL_KSET_NAME(rnl_gemm)
#define rnl_gemm_ref RNL_KSET_NAME(rnl_gemm_ref)
#define rnl_gemm_sparse_a RNL_KSET_NAME(rnl_gemm_sparse_a)
#define rnl_packed_len RNL_KSET_NAME(rnl_packed_len)
#define rnl_pack RNL_KSET_NAME(rnl_pack)
#define rnl_gemm_packed RNL_KSET_NAME(rnl_gemm_packed)
#define rnl_gemm_sparse_at RNL_KSET_NAME(rnl_gemm_sparse_at)
#define rnl_transpose RNL_KSET_NAME(rnl_transpose)
#define rnl_flush_subnormals RNL_KSET_NAME(rnl_flush_subnormals)
#define rnl_sigmoid_row RNL_KSET_NAME(rnl_sigmoid_row)
#define rnl_tanh_row RNL_KSET_NAME(rnl_tanh_row)
/* noise.c */
#define rnl_rng_add_normal RNL_KSET_NAME(rnl_rng_add_normal)
#define rnl_rng_lanes RNL_KSET_NAME(rnl_rng_lanes)
#define rnl_rng_zig_block RNL_KSET_NAME(rnl_rng_zig_block)
/* head_bernoulli.c, head_mog.c, head_softmax.c */
#define rnl_head_bernoulli RNL_KSET_NAME(rnl_head_bernoulli)
#define rnl_bernoulli_nll RNL_KSET_NAME(rnl_bernoulli_nll)
#define rnl_bernoulli_nll_ref RNL_KSET_NAME(rnl_bernoulli_nll_ref)
#define rnl_bernoulli_grad RNL_KSET_NAME(rnl_bernoulli_grad)
#define rnl_head_mog RNL_KSET_NAME(rnl_head_mog)
#define rnl_mog_grid16 RNL_KSET_NAME(rnl_mog_grid16)
#define rnl_mog_nll RNL_KSET_NAME(rnl_mog_nll)
#define rnl_mog_nll_fast RNL_KSET_NAME(rnl_mog_nll_fast)
#define rnl_head_softmax RNL_KSET_NAME(rnl_head_softmax)
#define rnl_softmax_nll RNL_KSET_NAME(rnl_softmax_nll)
#define rnl_softmax_nll_ref RNL_KSET_NAME(rnl_softmax_nll_ref)
/* cell_gru.c, cell_lstm.c, cell_tanh.c */
#define rnl_cell_gru RNL_KSET_NAME(rnl_cell_gru)
#define rnl_cell_lstm RNL_KSET_NAME(rnl_cell_lstm)
#define rnl_cell_tanh RNL_KSET_NAME(rnl_cell_tanh)
/* optim.c */
#define rnl_rmsprop_step RNL_KSET_NAME(rnl_rmsprop_step)
#define rnl_clip_global_norm RNL_KSET_NAME(rnl_clip_global_norm)

#endif
