/* onednn_bench.c — oneDNN's RNN primitive, LAYER ONLY: forward (training) + backward of
 * one recurrent layer over T steps of a batch of B sequences with I inputs and H hidden,
 * in fp32, through the oneDNN C API (Debian libdnnl-dev, oneDNN 2.6).
 *
 * What one iteration does, and what it does not:
 *   - forward_training (writes the workspace), then backward (diff_src_layer, diff_src_iter,
 *     diff_weights_layer/iter/peephole, diff_bias), diff_dst_layer fixed random, diff_dst_iter
 *     zero; diff weights zeroed before each backward (oneDNN accumulates into them).
 *   - NO output layer, NO loss, NO clipping, NO weight noise, NO optimiser: a whole training
 *     update (what `rnnlab bench` times) does strictly more work than this.
 *   - weights are reordered once, before timing, into the layouts the primitives chose
 *     (format_tag_any); the forward and the backward each get their own copy.
 *
 * Cells (and how they relate to the paper, Chung et al. 2014):
 *   tanh  dnnl_vanilla_rnn, activation dnnl_eltwise_tanh: h_t = tanh(W x_t + U h_{t-1} + b),
 *         the paper's tanh unit exactly.
 *   gru   dnnl_vanilla_gru (oneDNN's documented equations):
 *             u_t = σ(W_u x_t + U_u h_{t-1} + b_u),  r_t = σ(W_r x_t + U_r h_{t-1} + b_r)
 *             o_t = tanh(W_o x_t + U_o (r_t ⊙ h_{t-1}) + b_o)
 *             h_t = u_t ⊙ h_{t-1} + (1 − u_t) ⊙ o_t
 *         i.e. the PAPER's GRU (reset before the recurrent matrix, eqs. 5-8) with the update
 *         gate's sense flipped (u = 1 − z): same function class, same cost.
 *   lbrgru dnnl_lbr_gru ("linear before reset": o_t = tanh(W_o x + b_o + r ⊙ (U_o h + b'_o)),
 *         torch.nn.GRU's form, rnnlab --variant pytorch).
 *   lstm  dnnl_vanilla_lstm via dnnl_lstm_{forward,backward}_desc_init_v2 WITH peepholes
 *         (i, f see c_{t-1}; o sees c_t: the paper's LSTM, diagonal peepholes), unless
 *         --no-peephole (torch.nn.LSTM's form).
 *
 * Threads: Debian's libdnnl uses OpenMP (libgomp); --threads N calls omp_set_num_threads(N)
 * before the first primitive is created.
 *
 * Output: one JSON line per run, steps_per_s = T·B·iterations / seconds (a "step" is one time
 * step of one sequence, as in `rnnlab bench`), GFLOP/s from the same formula as
 * tools/cmd_bench.c restricted to the layer: 3 · 2·G·H·(I + H) per step.
 *
 * Usage: onednn_bench --cell gru|lbrgru|lstm|tanh --hidden H --batch B [--seq-len T]
 *                     [--input I] [--threads N] [--seconds S] [--no-peephole] [--infer]
 *                     [--cpu-time]  (rates per CPU-second of this thread; --threads 1 only) */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <oneapi/dnnl/dnnl.h>

#define CHECK(f)                                                                           \
    do {                                                                                   \
        dnnl_status_t s_ = (f);                                                            \
        if (s_ != dnnl_success) {                                                          \
            fprintf(stderr, "onednn_bench: %s failed at line %d: status %d\n", #f, __LINE__, \
                    (int)s_);                                                              \
            exit(7);                                                                       \
        }                                                                                  \
    } while (0)

/* --cpu-time: this thread's CPU seconds (one thread only: OpenMP then runs the primitive
 * on the calling thread), steadier than the wall clock on a machine shared with other jobs. */
static int cpu_clock;
static double now(void) {
    struct timespec ts;
    clock_gettime(cpu_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static unsigned long long rng_state = 88172645463325252ULL;
static float frand(void) { /* xorshift64, uniform [0,1) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) * (1.0 / 16777216.0));
}

static dnnl_engine_t eng;
static dnnl_stream_t strm;

/* A memory object for descriptor md (allocated by oneDNN), filled by fill(). */
static dnnl_memory_t mem_new(const dnnl_memory_desc_t *md) {
    dnnl_memory_t m;
    CHECK(dnnl_memory_create(&m, md, eng, DNNL_MEMORY_ALLOCATE));
    return m;
}
static void mem_fill(dnnl_memory_t m, float lo, float hi, double p_one) {
    const dnnl_memory_desc_t *md;
    void *h;
    CHECK(dnnl_memory_get_memory_desc(m, &md));
    CHECK(dnnl_memory_get_data_handle(m, &h));
    size_t n = dnnl_memory_desc_get_size(md) / sizeof(float);
    float *f = h;
    for (size_t k = 0; k < n; k++)
        f[k] = p_one > 0 ? (frand() < p_one) : lo + (hi - lo) * frand();
}
static void mem_zero(dnnl_memory_t m) {
    const dnnl_memory_desc_t *md;
    void *h;
    CHECK(dnnl_memory_get_memory_desc(m, &md));
    CHECK(dnnl_memory_get_data_handle(m, &h));
    memset(h, 0, dnnl_memory_desc_get_size(md));
}
static const dnnl_memory_desc_t *pd_md(const_dnnl_primitive_desc_t pd, int arg) {
    return dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg);
}
/* user (plain) memory -> a new memory in the layout the primitive wants */
static dnnl_memory_t reorder_to(dnnl_memory_t user, const dnnl_memory_desc_t *want) {
    const dnnl_memory_desc_t *have;
    CHECK(dnnl_memory_get_memory_desc(user, &have));
    dnnl_memory_t out = mem_new(want);
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t r;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, have, eng, want, eng, NULL));
    CHECK(dnnl_primitive_create(&r, rpd));
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, out}};
    CHECK(dnnl_primitive_execute(r, strm, 2, a));
    CHECK(dnnl_stream_wait(strm));
    dnnl_primitive_destroy(r);
    dnnl_primitive_desc_destroy(rpd);
    return out;
}

static void usage(void) {
    fprintf(stderr, "usage: onednn_bench --cell gru|lbrgru|lstm|tanh --hidden H --batch B [--seq-len T] "
                    "[--input I] [--threads N] [--seconds S] [--no-peephole] [--infer] [--cpu-time]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *cell = "gru";
    int H = 46, B = 16, T = 64, I = 88, threads = 1, peephole = 1, infer = 0;
    double seconds = 2.0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--no-peephole")) { peephole = 0; continue; }
        if (!strcmp(a, "--infer")) { infer = 1; continue; }
        if (!strcmp(a, "--cpu-time")) { cpu_clock = 1; continue; }
        if (!v) usage();
        if (!strcmp(a, "--cell")) cell = v;
        else if (!strcmp(a, "--hidden")) H = atoi(v);
        else if (!strcmp(a, "--batch")) B = atoi(v);
        else if (!strcmp(a, "--seq-len")) T = atoi(v);
        else if (!strcmp(a, "--input")) I = atoi(v);
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--seconds")) seconds = atof(v);
        else usage();
        i++;
    }
    if (H < 1 || B < 1 || T < 1 || I < 1 || threads < 1 || seconds <= 0 || (cpu_clock && threads != 1)) usage();
    int G, lstm = 0, lbr = 0;
    dnnl_alg_kind_t alg;
    if (!strcmp(cell, "tanh")) G = 1, alg = dnnl_vanilla_rnn;
    else if (!strcmp(cell, "gru")) G = 3, alg = dnnl_vanilla_gru;
    else if (!strcmp(cell, "lbrgru")) G = 3, alg = dnnl_lbr_gru, lbr = 1;
    else if (!strcmp(cell, "lstm")) G = 4, alg = dnnl_vanilla_lstm, lstm = 1;
    else usage();
    if (!lstm) peephole = 0;
    (void)alg;
    omp_set_num_threads(threads);

    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));

    /* user-side (plain) descriptors */
    dnnl_memory_desc_t src_l, src_i, dst_l, dst_i, w_l, w_i, w_p, bias, any_w_l, any_w_i;
    dnnl_dims_t d_src_l = {T, B, I}, d_dst_l = {T, B, H}, d_iter = {1, 1, B, H};
    dnnl_dims_t d_w_l = {1, 1, I, G, H}, d_w_i = {1, 1, H, G, H}, d_b = {1, 1, G + lbr, H};
    dnnl_dims_t d_p = {1, 1, 3, H};
    CHECK(dnnl_memory_desc_init_by_tag(&src_l, 3, d_src_l, dnnl_f32, dnnl_tnc));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_l, 3, d_dst_l, dnnl_f32, dnnl_tnc));
    CHECK(dnnl_memory_desc_init_by_tag(&src_i, 4, d_iter, dnnl_f32, dnnl_ldnc));
    CHECK(dnnl_memory_desc_init_by_tag(&dst_i, 4, d_iter, dnnl_f32, dnnl_ldnc));
    CHECK(dnnl_memory_desc_init_by_tag(&w_l, 5, d_w_l, dnnl_f32, dnnl_ldigo));
    CHECK(dnnl_memory_desc_init_by_tag(&w_i, 5, d_w_i, dnnl_f32, dnnl_ldigo));
    CHECK(dnnl_memory_desc_init_by_tag(&bias, 4, d_b, dnnl_f32, dnnl_ldgo));
    CHECK(dnnl_memory_desc_init_by_tag(&w_p, 4, d_p, dnnl_f32, dnnl_ldgo));
    CHECK(dnnl_memory_desc_init_by_tag(&any_w_l, 5, d_w_l, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&any_w_i, 5, d_w_i, dnnl_f32, dnnl_format_tag_any));
    const dnnl_memory_desc_t *pp = peephole ? &w_p : NULL;
    const dnnl_rnn_direction_t dir = dnnl_unidirectional_left2right;

    /* forward */
    dnnl_rnn_desc_t fd, bd;
    dnnl_prop_kind_t fprop = infer ? dnnl_forward_inference : dnnl_forward_training;
    if (!strcmp(cell, "tanh"))
        CHECK(dnnl_vanilla_rnn_forward_desc_init(&fd, fprop, dnnl_eltwise_tanh, dir, &src_l, &src_i, &any_w_l,
                                                 &any_w_i, &bias, &dst_l, &dst_i, 0, 0.f, 0.f));
    else if (!strcmp(cell, "gru"))
        CHECK(dnnl_gru_forward_desc_init(&fd, fprop, dir, &src_l, &src_i, &any_w_l, &any_w_i, &bias, &dst_l,
                                         &dst_i, 0));
    else if (lbr)
        CHECK(dnnl_lbr_gru_forward_desc_init(&fd, fprop, dir, &src_l, &src_i, &any_w_l, &any_w_i, &bias, &dst_l,
                                             &dst_i, 0));
    else
        CHECK(dnnl_lstm_forward_desc_init_v2(&fd, fprop, dir, &src_l, &src_i, &src_i, &any_w_l, &any_w_i, pp,
                                             &bias, &dst_l, &dst_i, &dst_i, 0));
    dnnl_primitive_desc_t fpd;
    CHECK(dnnl_primitive_desc_create(&fpd, &fd, NULL, eng, NULL));
    dnnl_primitive_t fwd;
    CHECK(dnnl_primitive_create(&fwd, fpd));
    const char *impl = "?";
    CHECK(dnnl_primitive_desc_query(fpd, dnnl_query_impl_info_str, 0, &impl));

    /* memories */
    dnnl_memory_t m_src_l = mem_new(&src_l), m_src_i = mem_new(&src_i), m_src_c = mem_new(&src_i);
    dnnl_memory_t m_dst_l = mem_new(&dst_l), m_dst_i = mem_new(&dst_i), m_dst_c = mem_new(&dst_i);
    dnnl_memory_t u_w_l = mem_new(&w_l), u_w_i = mem_new(&w_i), m_b = mem_new(&bias), m_p = mem_new(&w_p);
    mem_fill(m_src_l, 0, 0, 4.0 / 88); /* piano-roll-like: ~4 of 88 notes on */
    mem_zero(m_src_i);
    mem_zero(m_src_c);
    mem_fill(u_w_l, -0.1f, 0.1f, 0);
    mem_fill(u_w_i, -0.1f, 0.1f, 0);
    mem_zero(m_b);
    mem_fill(m_p, -0.1f, 0.1f, 0);
    dnnl_memory_t f_w_l = reorder_to(u_w_l, pd_md(fpd, DNNL_ARG_WEIGHTS_LAYER));
    dnnl_memory_t f_w_i = reorder_to(u_w_i, pd_md(fpd, DNNL_ARG_WEIGHTS_ITER));
    dnnl_memory_t m_ws = NULL;
    const dnnl_memory_desc_t *ws_md = pd_md(fpd, DNNL_ARG_WORKSPACE);
    if (!infer && ws_md && ws_md->ndims > 0) m_ws = mem_new(ws_md);
    const dnnl_memory_desc_t *scr_md = pd_md(fpd, DNNL_ARG_SCRATCHPAD);
    dnnl_memory_t m_scr = scr_md && scr_md->ndims > 0 ? mem_new(scr_md) : NULL;

    dnnl_exec_arg_t fa[16];
    int nf = 0;
    fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_LAYER, m_src_l};
    fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER, m_src_i};
    fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_LAYER, f_w_l};
    fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_ITER, f_w_i};
    fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, m_b};
    fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_DST_LAYER, m_dst_l};
    fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER, m_dst_i};
    if (lstm) {
        fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER_C, m_src_c};
        fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER_C, m_dst_c};
    }
    if (peephole) fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_PEEPHOLE, m_p};
    if (m_ws) fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, m_ws};
    if (m_scr) fa[nf++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, m_scr};

    /* backward */
    dnnl_primitive_t bwd = NULL;
    dnnl_primitive_desc_t bpd = NULL;
    dnnl_exec_arg_t ba[40];
    int nb = 0;
    dnnl_memory_t zero_me[8];
    int nz = 0;
    if (!infer) {
        dnnl_memory_desc_t dsrc_l = src_l, dsrc_i = src_i, ddst_l = dst_l, ddst_i = dst_i, db = bias, dp = w_p;
        dnnl_memory_desc_t dw_l, dw_i;
        CHECK(dnnl_memory_desc_init_by_tag(&dw_l, 5, d_w_l, dnnl_f32, dnnl_format_tag_any));
        CHECK(dnnl_memory_desc_init_by_tag(&dw_i, 5, d_w_i, dnnl_f32, dnnl_format_tag_any));
        const dnnl_memory_desc_t *dpp = peephole ? &dp : NULL;
        if (!strcmp(cell, "tanh"))
            CHECK(dnnl_vanilla_rnn_backward_desc_init(&bd, dnnl_backward, dnnl_eltwise_tanh, dir, &src_l, &src_i,
                                                      &any_w_l, &any_w_i, &bias, &dst_l, &dst_i, &dsrc_l, &dsrc_i,
                                                      &dw_l, &dw_i, &db, &ddst_l, &ddst_i, 0, 0.f, 0.f));
        else if (!strcmp(cell, "gru"))
            CHECK(dnnl_gru_backward_desc_init(&bd, dnnl_backward, dir, &src_l, &src_i, &any_w_l, &any_w_i, &bias,
                                              &dst_l, &dst_i, &dsrc_l, &dsrc_i, &dw_l, &dw_i, &db, &ddst_l, &ddst_i,
                                              0));
        else if (lbr)
            CHECK(dnnl_lbr_gru_backward_desc_init(&bd, dnnl_backward, dir, &src_l, &src_i, &any_w_l, &any_w_i,
                                                  &bias, &dst_l, &dst_i, &dsrc_l, &dsrc_i, &dw_l, &dw_i, &db,
                                                  &ddst_l, &ddst_i, 0));
        else
            CHECK(dnnl_lstm_backward_desc_init_v2(&bd, dnnl_backward, dir, &src_l, &src_i, &src_i, &any_w_l,
                                                  &any_w_i, pp, &bias, &dst_l, &dst_i, &dst_i, &dsrc_l, &dsrc_i,
                                                  &dsrc_i, &dw_l, &dw_i, dpp, &db, &ddst_l, &ddst_i, &ddst_i, 0));
        CHECK(dnnl_primitive_desc_create(&bpd, &bd, NULL, eng, fpd));
        CHECK(dnnl_primitive_create(&bwd, bpd));
        dnnl_memory_t b_w_l = reorder_to(u_w_l, pd_md(bpd, DNNL_ARG_WEIGHTS_LAYER));
        dnnl_memory_t b_w_i = reorder_to(u_w_i, pd_md(bpd, DNNL_ARG_WEIGHTS_ITER));
        dnnl_memory_t m_dsrc_l = mem_new(&dsrc_l), m_dsrc_i = mem_new(&dsrc_i), m_dsrc_c = mem_new(&dsrc_i);
        dnnl_memory_t m_ddst_l = mem_new(&ddst_l), m_ddst_i = mem_new(&ddst_i), m_ddst_c = mem_new(&ddst_i);
        dnnl_memory_t m_dw_l = mem_new(pd_md(bpd, DNNL_ARG_DIFF_WEIGHTS_LAYER));
        dnnl_memory_t m_dw_i = mem_new(pd_md(bpd, DNNL_ARG_DIFF_WEIGHTS_ITER));
        dnnl_memory_t m_db = mem_new(&db), m_dp = mem_new(&dp);
        mem_fill(m_ddst_l, -0.01f, 0.01f, 0);
        mem_zero(m_ddst_i);
        mem_zero(m_ddst_c);
        const dnnl_memory_desc_t *bscr_md = pd_md(bpd, DNNL_ARG_SCRATCHPAD);
        dnnl_memory_t m_bscr = bscr_md && bscr_md->ndims > 0 ? mem_new(bscr_md) : NULL;
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_LAYER, m_src_l};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER, m_src_i};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_LAYER, b_w_l};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_ITER, b_w_i};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, m_b};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DST_LAYER, m_dst_l};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER, m_dst_i};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_LAYER, m_dsrc_l};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER, m_dsrc_i};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_LAYER, m_dw_l};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_ITER, m_dw_i};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, m_db};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_LAYER, m_ddst_l};
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_ITER, m_ddst_i};
        if (lstm) {
            ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_SRC_ITER_C, m_src_c};
            ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DST_ITER_C, m_dst_c};
            ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC_ITER_C, m_dsrc_c};
            ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST_ITER_C, m_ddst_c};
        }
        if (peephole) {
            ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS_PEEPHOLE, m_p};
            ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS_PEEPHOLE, m_dp};
            zero_me[nz++] = m_dp;
        }
        ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_WORKSPACE, m_ws};
        if (m_bscr) ba[nb++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, m_bscr};
        zero_me[nz++] = m_dw_l;
        zero_me[nz++] = m_dw_i;
        zero_me[nz++] = m_db;
    }

    /* one iteration = forward (+ zero diff weights + backward) */
#define ITER()                                                                   \
    do {                                                                         \
        CHECK(dnnl_primitive_execute(fwd, strm, nf, fa));                        \
        if (!infer) {                                                            \
            for (int z = 0; z < nz; z++) mem_zero(zero_me[z]);                   \
            CHECK(dnnl_primitive_execute(bwd, strm, nb, ba));                    \
        }                                                                        \
        CHECK(dnnl_stream_wait(strm));                                           \
    } while (0)
    /* warm-up: at least 3 iterations and 0.2 s */
    double t0 = now();
    for (int k = 0; k < 3 || now() - t0 < 0.2; k++) ITER();
    long iters = 0;
    double el;
    t0 = now();
    do {
        ITER();
        iters++;
        el = now() - t0;
    } while (el < seconds);
    const double sps = (double)iters * T * B / el;
    const double F = 2.0 * G * H * (I + H);
    const dnnl_version_t *ver = dnnl_version();
    printf("{\"tool\": \"onednn\", \"dnnl_version\": \"%d.%d.%d\", \"cpu_runtime\": %u, \"impl\": \"%s\", "
           "\"cell\": \"%s\", \"peephole\": %d, \"hidden\": %d, \"batch\": %d, \"seq_len\": %d, \"input\": %d, "
           "\"threads\": %d, \"omp_max_threads\": %d, \"mode\": \"%s\", \"clock\": \"%s\", \"iterations\": %ld, \"seconds\": %.3f, "
           "\"steps_per_s\": %.1f, \"gflops\": %.3f}\n",
           ver->major, ver->minor, ver->patch, ver->cpu_runtime, impl, cell, peephole, H, B, T, I, threads,
           omp_get_max_threads(), infer ? "inference_layer_only" : "train_layer_only", cpu_clock ? "thread-cpu" : "wall",
           iters, el, sps,
           sps * (infer ? 1 : 3) * F * 1e-9);
    return 0;
}
