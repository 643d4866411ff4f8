/* cmd_bench.c — `rnnlab bench`: training and inference throughput of the whole model
 * (forward, backward, output layer, loss, clipping, weight noise, RMSProp update) on
 * synthetic data of one task's shape:
 *   music   piano rolls: I = O = 88 (--input), about 4 notes on per frame, Bernoulli head
 *   speech  FSDD's framing: I = 20 samples in, 10 predicted by the 20-component mixture of
 *           diagonal Gaussians discretised on the 16-bit grid, head width
 *           W = K·(1 + 2·10) = 420; the samples are a standard-normal AR(1) signal
 *           (coefficient 0.9), like normalised speech, on the 16-bit grid of a model whose
 *           data_std is FSDD's (BENCH_SPEECH_STD)
 *   text    one-hot symbols (I = O = 65, --input: Tiny Shakespeare's vocabulary) drawn
 *           uniformly, softmax head, the state carried between updates as text trains
 *           (train.c's streams); char-rnn's model where not given: LSTM, 2 x 128, batch 50,
 *           50 steps, no weight noise. train_steps_per_s then counts characters.
 * --hidden 0 (the default) is Table 1's size of the unit for the task.
 *
 * FLOP counts (multiply-add = 2 FLOP), per time step of one sequence, G gates, H hidden,
 * I inputs, W head width (the output layer's rows: O for Bernoulli, 420 for speech), L layers
 * (layer l > 0 has H inputs):
 *   forward  F = Σ_l 2·G·H·(I_l + H) + 2·W·H
 *   training 3·F   (forward, then backward: one product for the input gradient of each
 *                   matrix and one for its weight gradient)
 * Elementwise work (gates, loss, optimiser) is not counted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"
#include "data/speech.h"
#include "io/util.h"
#include "run/options.h"
#include "run/update.h"

/* Seconds of CPU time of this thread: a steadier yardstick than the wall clock on a machine
 * shared with other jobs (BLAS must run on this one thread for it to be meaningful). */
static double thread_cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* FSDD's standard deviation of 16-bit samples / 32768 (data_std of a model trained on it,
 * split_by_index): the speech bench's grid step is 1/(32768 · this) in standardised units. */
#define BENCH_SPEECH_STD 0.061095503296800135

/* The tasks the bench knows: the data's shape and the head ([task]). */
typedef enum { BENCH_MUSIC, BENCH_SPEECH, BENCH_TEXT, BENCH_TASK_COUNT } bench_task;
static const struct {
    const char *name;
    rnl_head head;
    int input, output, mixtures; /* input: the default of --input (music and text: O = I) */
    unsigned table1;             /* the RNL_APPLY_ task bit of its Table 1 sizes */
} TASKS[] = {
    [BENCH_MUSIC] = {"music", RNL_HEAD_BERNOULLI, 88, 88, 0, RNL_APPLY_MUSIC},
    [BENCH_SPEECH] = {"speech", RNL_HEAD_MOG, RNL_SPEECH_IN, RNL_SPEECH_OUT, RNL_SPEECH_K, RNL_APPLY_SPEECH},
    [BENCH_TEXT] = {"text", RNL_HEAD_SOFTMAX, 65, 65, 0, RNL_APPLY_TEXT},
};
_Static_assert(sizeof TASKS / sizeof TASKS[0] == BENCH_TASK_COUNT, "one row per bench task");

/* x [T·B, I], y [T·B, O] of the task's synthetic data. Music: each note on with probability
 * 4/88, inputs and targets independent. Text: one symbol of I on per step, drawn uniformly,
 * inputs and targets independent. Speech: per sequence an AR(1) signal
 * s_n = 0.9 s_{n−1} + sqrt(1 − 0.81) e_n (unit variance, rounded to the speech grid), framed
 * as FSDD's steps are
 * (src/data/speech.h: x_t = s[10t .. 10t+20), y_t = s[10t+20 .. 10t+30)), time-major. */
static void bench_data(bench_task task, int T, int B, int I, int O, rnl_rng *rng, rnl_real *x, rnl_real *y) {
    const size_t TB = (size_t)T * B;
    if (task == BENCH_MUSIC) {
        for (size_t k = 0; k < TB * I; k++) x[k] = rnl_rng_uniform(rng) < 4.0 / 88;
        for (size_t k = 0; k < TB * O; k++) y[k] = rnl_rng_uniform(rng) < 4.0 / 88;
        return;
    }
    if (task == BENCH_TEXT) {
        for (size_t k = 0; k < TB * I; k += (size_t)I) x[k + rnl_rng_below(rng, (uint64_t)I)] = 1;
        for (size_t k = 0; k < TB * O; k += (size_t)O) y[k + rnl_rng_below(rng, (uint64_t)O)] = 1;
        return;
    }
    const int n = RNL_SPEECH_HOP * T + RNL_SPEECH_IN;
    double *s = malloc(sizeof(double) * (size_t)n);
    if (!s) return; /* the caller's buffers stay zero: still valid data */
    for (int b = 0; b < B; b++) {
        double v = rnl_rng_normal(rng);
        for (int i = 0; i < n; i++) { /* on the grid: z = v / (32768 std), v an integer */
            v = 0.9 * v + sqrt(1 - 0.81) * rnl_rng_normal(rng);
            s[i] = nearbyint(v * 32768 * BENCH_SPEECH_STD) / (32768 * BENCH_SPEECH_STD);
        }
        for (int t = 0; t < T; t++) {
            const size_t r = (size_t)t * B + b;
            for (int i = 0; i < I; i++) x[r * I + i] = (rnl_real)s[RNL_SPEECH_HOP * t + i];
            for (int o = 0; o < O; o++) y[r * O + o] = (rnl_real)s[RNL_SPEECH_HOP * t + RNL_SPEECH_IN + o];
        }
    }
    free(s);
}

int cmd_bench(int argc, char **argv) {
    rnl_cell cell = RNL_CELL_GRU;
    rnl_variant var = RNL_VARIANT_PAPER;
    int hidden = 0, batch = 1, T = 64, threads = 1, layers = 1, input = 88, json = 0, cpu = 0;
    double seconds = 2.0, noise = 0.075;
    uint64_t seed = 1;
    static char task_name[4096] = "music";
    const opt opts[] = {
        {"--task", OPT_STRING, task_name, 0, 0, "data shape and head: music (piano roll, Bernoulli), speech (FSDD framing, mixture of "
                                                "Gaussians) or text (one-hot bytes, softmax; char-rnn's defaults: lstm, 2 x 128, "
                                                "batch 50, 50 steps, 65 symbols, no noise)"},
        {"--cell", OPT_CELL, &cell, 0, 0, "recurrent unit: tanh, gru, lstm"},
        {"--variant", OPT_VARIANT, &var, 0, 0, "paper or pytorch"},
        {"--hidden", OPT_INT, &hidden, 0, 65536, "hidden units (0: Table 1's size for the task)"},
        {"--layers", OPT_INT, &layers, 1, 16, "stacked layers"},
        {"--batch", OPT_INT, &batch, 1, 65536, "sequences per batch"},
        {"--seq-len", OPT_INT, &T, 1, 1000000, "steps per sequence"},
        {"--input", OPT_INT, &input, 1, 65536, "inputs = outputs per step (music: 88, a piano roll; text: symbols, 65)"},
        {"--threads", OPT_INT, &threads, 1, 1024, "BLAS threads"},
        {"--seconds", OPT_DOUBLE, &seconds, 0.01, 3600, "minimum measuring time per phase"},
        {"--weight-noise", OPT_DOUBLE, &noise, 0, 10, "weight noise sigma during training"},
        {"--seed", OPT_U64, &seed, 0, 0, "seed of the synthetic data"},
        {"--json", OPT_FLAG, &json, 0, 0, "print one JSON object"},
        {"--cpu-time", OPT_FLAG, &cpu, 0, 0, "rates per CPU-second of this thread, not per wall-clock second (one thread only)"},
    };
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "bench",
                      "[--task music|speech|text] --cell C [--hidden H] --batch B [--seq-len T] [--threads N] [--json]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    int task = -1;
    for (int k = 0; k < BENCH_TASK_COUNT; k++)
        if (strcmp(task_name, TASKS[k].name) == 0) task = k;
    if (task < 0)
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "bench: --task: expected music, speech or text, got '%.100s'", task_name));
    if (task == BENCH_SPEECH && cli_given(argc, argv, 2, "--input"))
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "bench: --input applies to --task music and text (speech has %d inputs)",
                                 TASKS[task].input));
    if (!cli_given(argc, argv, 2, "--input")) input = TASKS[task].input;
    if (task == BENCH_TEXT) { /* char-rnn's model, where not given */
        struct {
            const char *name;
            int *v, text_default;
        } def[] = {{"--hidden", &hidden, 128}, {"--layers", &layers, 2}, {"--batch", &batch, 50}, {"--seq-len", &T, 50}};
        for (size_t i = 0; i < sizeof def / sizeof *def; i++)
            if (!cli_given(argc, argv, 2, def[i].name)) *def[i].v = def[i].text_default;
        if (!cli_given(argc, argv, 2, "--cell")) cell = RNL_CELL_LSTM;
        if (!cli_given(argc, argv, 2, "--weight-noise")) noise = 0;
    }
    if (cpu && threads != 1) return cli_fail(rnl_fail(RNL_ERR_USAGE, "bench: --cpu-time needs --threads 1"));
    if (hidden == 0) hidden = rnl_default_hidden(cell, TASKS[task].table1);
    double (*clock_fn)(void) = cpu ? thread_cpu_seconds : rnl_now;
    rnl_set_threads(threads);
    const int output = task == BENCH_SPEECH ? TASKS[task].output : input;
    rnl_config c = {cell, var, TASKS[task].head, layers, input, hidden, output, TASKS[task].mixtures};
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    rnl_status st = rnl_model_create(&c, &m);
    if (!st) st = rnl_model_init(m, seed, 0);
    if (!st) st = rnl_workspace_create(&ws);
    if (st) return cli_fail(st);
    if (task == BENCH_SPEECH) rnl_model_metadata(m)->data_std = BENCH_SPEECH_STD; /* the grid */
    const int width = rnl_head_width(&c);
    const size_t n = rnl_model_nparams(m), nx = (size_t)T * batch * input, ny = (size_t)T * batch * output;
    rnl_real *x = calloc(nx, sizeof(rnl_real)), *y = calloc(ny, sizeof(rnl_real));
    rnl_real *g = rnl_alloc_reals(n), *ms = rnl_alloc_reals(n);
    rnl_real *buf = rnl_alloc_reals(n), *noisy = rnl_alloc_reals(n);
    int *len = malloc(sizeof(int) * batch);
    if (!x || !y || !g || !ms || !buf || !noisy || !len) return cli_fail(rnl_fail(RNL_ERR_NOMEM, "bench: out of memory"));
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    bench_data((bench_task)task, T, batch, input, output, &rng, x, y);
    /* text trains as streams: the state carried from window to window, as train.c does */
    rnl_state *state = NULL;
    if (task == BENCH_TEXT && (st = rnl_state_create(m, batch, &state))) return cli_fail(st);
    if (state) rnl_state_zero(state);
    for (int b = 0; b < batch; b++) len[b] = T;
    rnl_batch bt = {T, batch, len, x, y};
    const rnl_update_ctx u = {{1e-4, 0.95, 0.9, 1e-8, 0, 0, 0}, 1.0, noise, 0, noisy, g, ms, buf};
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
    double F = 2.0 * width * hidden;
    for (int l = 0; l < layers; l++) F += 2.0 * G * hidden * ((l == 0 ? input : hidden) + hidden);
    if (json) {
        printf("{\"tool\": \"rnnlab\", \"version\": \"%s\", \"kernels\": \"%s\", \"task\": \"%s\", \"cell\": \"%s\", \"variant\": \"%s\", \"hidden\": %d, "
               "\"layers\": %d, \"batch\": %d, \"seq_len\": %d, \"input\": %d, \"output\": %d, \"head_width\": %d, \"threads\": %d, "
               "\"weight_noise\": %g, \"clock\": \"%s\", \"train_steps_per_s\": %.1f, \"infer_steps_per_s\": %.1f, "
               "\"train_gflops\": %.3f, \"infer_gflops\": %.3f, \"flop_per_step_forward\": %.0f}\n",
               RNL_VERSION, rnl_cpu_name(), TASKS[task].name, rnl_cell_name(cell), rnl_variant_name(var), hidden, layers, batch, T, input,
               output, width, threads,
               noise, cpu ? "thread-cpu" : "wall", train_sps, infer_sps, train_sps * 3 * F * 1e-9, infer_sps * F * 1e-9, F);
    } else {
        printf("%s %s-%d (%s), batch %d, %d steps, %d thread(s), kernels %s: train %.0f steps/s (%.2f GFLOP/s), "
               "inference %.0f steps/s (%.2f GFLOP/s)\n",
               TASKS[task].name, rnl_cell_name(cell), hidden, rnl_variant_name(var), batch, T, threads,
               rnl_cpu_name(), train_sps, train_sps * 3 * F * 1e-9, infer_sps, infer_sps * F * 1e-9);
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
