/* cmd_bench.c — `rnnlab bench`: training and inference throughput of the whole model
 * (forward, backward, output layer, loss, clipping, weight noise, RMSProp update) on
 * synthetic piano-roll-shaped data, or (--task text) one-hot symbols through the softmax head
 * with the state carried between updates as text trains; train_steps_per_s then counts
 * characters.
 *
 * FLOP counts (multiply-add = 2 FLOP), per time step of one sequence, G gates, H hidden,
 * I inputs, O outputs, L layers (layer l > 0 has H inputs):
 *   forward  F = Σ_l 2·G·H·(I_l + H) + 2·O·H
 *   training 3·F   (forward, then backward: one product for the input gradient of each
 *                   matrix and one for its weight gradient)
 * Elementwise work (gates, loss, optimiser) is not counted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "io/util.h"
#include "run/update.h"

/* Seconds of CPU time of this thread: a steadier yardstick than the wall clock on a machine
 * shared with other jobs (BLAS must run on this one thread for it to be meaningful). */
static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int cmd_bench(int argc, char **argv) {
    rnl_cell cell = RNL_CELL_GRU;
    rnl_variant var = RNL_VARIANT_PAPER;
    int hidden = 46, batch = 1, T = 64, threads = 1, layers = 1, input = 88, json = 0, cpu = 0;
    double seconds = 2.0, noise = 0.075;
    uint64_t seed = 1;
    char task[4096] = "music";
    const opt opts[] = {
        {"--task", OPT_STRING, task, 0, 0, "music (piano-roll frames, Bernoulli head) or text (one-hot bytes, softmax head; "
                                           "char-rnn's defaults: lstm, 2 x 128, batch 50, 50 steps, 65 symbols, no noise)"},
        {"--cell", OPT_CELL, &cell, 0, 0, "recurrent unit: tanh, gru, lstm"},
        {"--variant", OPT_VARIANT, &var, 0, 0, "paper or pytorch"},
        {"--hidden", OPT_INT, &hidden, 1, 65536, "hidden units"},
        {"--layers", OPT_INT, &layers, 1, 16, "stacked layers"},
        {"--batch", OPT_INT, &batch, 1, 65536, "sequences per batch"},
        {"--seq-len", OPT_INT, &T, 1, 1000000, "steps per sequence"},
        {"--input", OPT_INT, &input, 1, 65536, "inputs = outputs per step (88: piano roll)"},
        {"--threads", OPT_INT, &threads, 1, 1024, "BLAS threads"},
        {"--seconds", OPT_DOUBLE, &seconds, 0.01, 3600, "minimum measuring time per phase"},
        {"--weight-noise", OPT_DOUBLE, &noise, 0, 10, "weight noise sigma during training"},
        {"--seed", OPT_U64, &seed, 0, 0, "seed of the synthetic data"},
        {"--json", OPT_FLAG, &json, 0, 0, "print one JSON object"},
        {"--cpu-time", OPT_FLAG, &cpu, 0, 0, "rates per CPU-second of this thread, not per wall-clock second (one thread only)"},
    };
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "bench",
                      "[--task music|text] --cell C --hidden H --batch B [--seq-len T] [--threads N] [--json]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    const int text = strcmp(task, "text") == 0;
    if (!text && strcmp(task, "music") != 0)
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "--task: expected music or text, got '%.100s'", task));
    if (text) { /* char-rnn's model and Tiny Shakespeare's 65 symbols, where not given */
        struct {
            const char *name;
            int *v, text_default;
        } def[] = {{"--hidden", &hidden, 128}, {"--layers", &layers, 2}, {"--batch", &batch, 50},
                   {"--seq-len", &T, 50},     {"--input", &input, 65}};
        for (size_t i = 0; i < sizeof def / sizeof *def; i++)
            if (!cli_given(argc, argv, 2, def[i].name)) *def[i].v = def[i].text_default;
        if (!cli_given(argc, argv, 2, "--cell")) cell = RNL_CELL_LSTM;
        if (!cli_given(argc, argv, 2, "--weight-noise")) noise = 0;
    }
    if (cpu && threads != 1) return cli_fail(rnl_fail(RNL_ERR_USAGE, "bench: --cpu-time needs --threads 1"));
    double (*clock_fn)(void) = cpu ? thread_cpu_seconds : rnl_now;
    rnl_set_threads(threads);
    rnl_config c = {cell, var, text ? RNL_HEAD_SOFTMAX : RNL_HEAD_BERNOULLI, layers, input, hidden, input, 0};
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    rnl_status st = rnl_model_create(&c, &m);
    if (!st) st = rnl_model_init(m, seed, 0);
    if (!st) st = rnl_workspace_create(&ws);
    if (st) return cli_fail(st);
    const size_t n = rnl_model_nparams(m), nx = (size_t)T * batch * input;
    rnl_real *x = calloc(nx, sizeof(rnl_real)), *y = calloc(nx, sizeof(rnl_real));
    rnl_real *g = rnl_alloc_reals(n), *ms = rnl_alloc_reals(n);
    rnl_real *buf = rnl_alloc_reals(n), *noisy = rnl_alloc_reals(n);
    int *len = malloc(sizeof(int) * batch);
    if (!x || !y || !g || !ms || !buf || !noisy || !len) return cli_fail(rnl_fail(RNL_ERR_NOMEM, "bench: out of memory"));
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    if (text) { /* one-hot symbols drawn uniformly */
        for (size_t k = 0; k < nx; k += (size_t)input) x[k + rnl_rng_below(&rng, (uint64_t)input)] = 1;
        for (size_t k = 0; k < nx; k += (size_t)input) y[k + rnl_rng_below(&rng, (uint64_t)input)] = 1;
    } else { /* Piano-roll-like data: about 4 of 88 notes on per frame. */
        for (size_t k = 0; k < nx; k++) x[k] = rnl_rng_uniform(&rng) < 4.0 / 88;
        for (size_t k = 0; k < nx; k++) y[k] = rnl_rng_uniform(&rng) < 4.0 / 88;
    }
    /* text trains as streams: the state carried from window to window, as train.c does */
    rnl_state *state = NULL;
    if (text && (st = rnl_state_create(m, batch, &state))) return cli_fail(st);
    if (state) rnl_state_zero(state);
    for (int b = 0; b < batch; b++) len[b] = T;
    rnl_batch bt = {T, batch, len, x, y};
    const rnl_update_ctx u = {{1e-4, 0.95, 0.9, 1e-8, 0, 0, 0}, 1.0, noise, noisy, g, ms, buf};
    rnl_real *p = rnl_model_params(m);
    double nll, steps_per_iter = (double)T * batch;
    /* Training: the whole update as the training loop runs it (run/update.c). */
    long iters = 0;
    double t0 = clock_fn(), el = 0;
    do {
        int finite;
        if ((st = rnl_update(m, ws, &rng, &u, &bt, steps_per_iter, state, 0, &finite))) return cli_fail(st);
        iters++;
        el = clock_fn() - t0;
    } while (el < seconds);
    double train_sps = iters * steps_per_iter / el;
    long iters_i = 0;
    rnl_workspace_hold(ws, 1); /* as rnl_eval_split does */
    t0 = clock_fn();
    do {
        if ((st = rnl_forward_backward(m, ws, p, &bt, NULL, 1, NULL, &nll))) return cli_fail(st);
        iters_i++;
        el = clock_fn() - t0;
    } while (el < seconds);
    double infer_sps = iters_i * steps_per_iter / el;
    const int G = rnl_cell_gates(cell);
    double F = 2.0 * input * hidden;
    for (int l = 0; l < layers; l++) F += 2.0 * G * hidden * ((l == 0 ? input : hidden) + hidden);
    if (json) {
        printf("{\"tool\": \"rnnlab\", \"version\": \"%s\", \"task\": \"%s\", \"cell\": \"%s\", \"variant\": \"%s\", \"hidden\": %d, "
               "\"layers\": %d, \"batch\": %d, \"seq_len\": %d, \"input\": %d, \"threads\": %d, "
               "\"weight_noise\": %g, \"clock\": \"%s\", \"train_steps_per_s\": %.1f, \"infer_steps_per_s\": %.1f, "
               "\"train_gflops\": %.3f, \"infer_gflops\": %.3f, \"flop_per_step_forward\": %.0f}\n",
               RNL_VERSION, task, rnl_cell_name(cell), rnl_variant_name(var), hidden, layers, batch, T, input, threads,
               noise, cpu ? "thread-cpu" : "wall", train_sps, infer_sps, train_sps * 3 * F * 1e-9, infer_sps * F * 1e-9, F);
    } else {
        printf("%s-%d (%s), batch %d, %d steps, %d thread(s): train %.0f steps/s (%.2f GFLOP/s), "
               "inference %.0f steps/s (%.2f GFLOP/s)\n",
               rnl_cell_name(cell), hidden, rnl_variant_name(var), batch, T, threads, train_sps,
               train_sps * 3 * F * 1e-9, infer_sps, infer_sps * F * 1e-9);
    }
    free(x);
    free(y);
    free(g);
    free(ms);
    free(buf);
    free(noisy);
    free(len);
    rnl_state_free(state);
    rnl_workspace_free(ws);
    rnl_model_free(m);
    return 0;
}
