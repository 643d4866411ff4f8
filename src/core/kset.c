/* kset.c — one kernel set's table (kset.h), compiled once per set: every name below is the
 * set's own copy (kset_names.h renamed it), so each compilation fills its set's table. */
#include "core/kernels.h"
#include "core/kset.h"
#include "core/noise.h"

#ifndef RNL_KSET
#error "kset.c is compiled once per kernel set (-DRNL_KSET=plain|avx2|avx512)"
#endif

static const rnl_cell_desc *const CELLS[] = {
    [RNL_CELL_TANH] = &rnl_cell_tanh,
    [RNL_CELL_GRU] = &rnl_cell_gru,
    [RNL_CELL_LSTM] = &rnl_cell_lstm,
};
_Static_assert(sizeof CELLS / sizeof CELLS[0] == RNL_CELL_COUNT,
               "one row of CELLS per rnl_cell value");

static const rnl_head_desc *const HEADS[] = {
    [RNL_HEAD_BERNOULLI] = &rnl_head_bernoulli,
    [RNL_HEAD_MOG] = &rnl_head_mog,
    [RNL_HEAD_SOFTMAX] = &rnl_head_softmax,
    [RNL_HEAD_GAUSS] = &rnl_head_gauss,
};
_Static_assert(sizeof HEADS / sizeof HEADS[0] == RNL_HEAD_COUNT,
               "one row of HEADS per rnl_head value");

const rnl_kernel_set rnl_kernels = {
    .name = RNL_KSET_STR(RNL_KSET),
    .gemm = rnl_gemm,
    .gemm_ref = rnl_gemm_ref,
    .gemm_sparse_a = rnl_gemm_sparse_a,
    .packed_len = rnl_packed_len,
    .pack = rnl_pack,
    .gemm_packed = rnl_gemm_packed,
    .gemm_sparse_at = rnl_gemm_sparse_at,
    .transpose = rnl_transpose,
    .flush_subnormals = rnl_flush_subnormals,
    .sigmoid_row = rnl_sigmoid_row,
    .tanh_row = rnl_tanh_row,
    .rng_add_normal = rnl_rng_add_normal,
    .rng_lanes = rnl_rng_lanes,
    .rng_zig_block = rnl_rng_zig_block,
    .bernoulli_nll = rnl_bernoulli_nll,
    .bernoulli_nll_ref = rnl_bernoulli_nll_ref,
    .bernoulli_grad = rnl_bernoulli_grad,
    .mog_grid16 = rnl_mog_grid16,
    .mog_nll = rnl_mog_nll,
    .mog_nll_fast = rnl_mog_nll_fast,
    .softmax_nll = rnl_softmax_nll,
    .softmax_nll_ref = rnl_softmax_nll_ref,
    .rmsprop_step = rnl_rmsprop_step,
    .clip_global_norm = rnl_clip_global_norm,
    .cell = CELLS,
    .head = HEADS,
};
