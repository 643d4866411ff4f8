/* test_api.c — the public workflow's contract (src/run/api.c) where it is not the tool's:
 * the training configuration set and read by key through the option table, its refusals,
 * resume refusing a fixed option, the data set accessors against the data's own reader,
 * rnl_music_write's checks and round trip, rnl_evaluate's split check and its numbers
 * against a batch-by-batch rnl_forward_backward, the stop request of the event callback. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "rnnlab.h"

static char g_dir[] = "/tmp/rnl_test_api_XXXXXX";

static int stop_at_first_epoch(void *ctx, const rnl_event *e) {
    int *epochs = ctx;
    if (e->kind == RNL_EVENT_EPOCH) (*epochs)++;
    return e->kind == RNL_EVENT_EPOCH;
}

static void test_config(void) {
    rnl_train_config *c = NULL;
    CHECK(rnl_train_config_create(&c) == RNL_OK, "create");
    char v[64];
    CHECK(rnl_train_config_get(c, "max_epochs", v, sizeof v) == RNL_OK && strcmp(v, "200") == 0, "default max_epochs: %s", v);
    CHECK(rnl_train_config_set(c, "--max-epochs", "7") == RNL_OK, "set by the command-line name");
    CHECK(rnl_train_config_get(c, "max_epochs", v, sizeof v) == RNL_OK && strcmp(v, "7") == 0, "max_epochs now %s", v);
    CHECK(rnl_train_config_set(c, "lr", "3e-4") == RNL_OK && rnl_train_config_get(c, "lr", v, sizeof v) == RNL_OK &&
              strcmp(v, "0.0003") == 0, "lr: %s", v);
    CHECK(rnl_train_config_set(c, "cell", "lstm") == RNL_OK && rnl_train_config_get(c, "cell", v, sizeof v) == RNL_OK &&
              strcmp(v, "lstm") == 0, "cell: %s", v);
    CHECK(rnl_train_config_set(c, "nope", "1") == RNL_ERR_USAGE && strstr(rnl_last_error(), "unknown option 'nope'"),
          "unknown key: %s", rnl_last_error());
    CHECK(rnl_train_config_set(c, "max_epochs", "0") == RNL_ERR_USAGE && strstr(rnl_last_error(), "--max-epochs"),
          "out of range: %s", rnl_last_error());
    CHECK(rnl_train_config_set(c, "max_epochs", "12x") == RNL_ERR_USAGE, "not a number");
    CHECK(rnl_train_config_set(c, "cell", "mgu") == RNL_ERR_USAGE, "unknown cell");
    CHECK(rnl_train_config_set(c, "lr", NULL) == RNL_ERR_USAGE, "no value");
    CHECK(rnl_train_config_get(c, "max_epochs", v, 1) == RNL_ERR_USAGE, "buffer too small");
    CHECK(rnl_train_config_get(c, "max_epochs", v, sizeof v) == RNL_OK && strcmp(v, "7") == 0, "a refused set changes nothing");
    /* Every key listed is one that can be read. */
    int n = rnl_train_option_count(), good = 0;
    for (int i = 0; i < n; i++) {
        char buf[4200];
        good += rnl_train_option_key(i) && rnl_train_option_help(i) &&
                rnl_train_config_get(c, rnl_train_option_key(i), buf, sizeof buf) == RNL_OK;
    }
    CHECK(n > 20 && good == n, "%d of %d options readable", good, n);
    CHECK(!rnl_train_option_key(-1) && !rnl_train_option_key(n), "keys outside the table");
    /* Training needs data and out; an option of another unit is refused before any file. */
    CHECK(rnl_train_run(c, NULL, NULL) == RNL_ERR_USAGE && strstr(rnl_last_error(), "data"), "no data: %s", rnl_last_error());
    rnl_train_config_free(c);
    rnl_train_config_free(NULL);
}

static void test_data_and_training(void) {
    /* A tiny piano-roll set: frames[t][k] = (t + k) % 5 == 0. */
    enum { L0 = 6, L1 = 4, L2 = 5 };
    static uint8_t f0[L0 * 88], f1[L1 * 88], f2[L2 * 88];
    for (int t = 0; t < L0 * 88; t++) f0[t] = (uint8_t)((t / 88 + t % 88) % 5 == 0);
    for (int t = 0; t < L1 * 88; t++) f1[t] = (uint8_t)((t / 88 + t % 88) % 3 == 0);
    for (int t = 0; t < L2 * 88; t++) f2[t] = (uint8_t)((t / 88 + t % 88) % 4 == 0);
    const int l0[] = {L0}, l1[] = {L1}, l2[] = {L2}, nseq[3] = {1, 1, 1};
    const int *const lens[3] = {l0, l1, l2};
    const uint8_t *const frames[3] = {f0, f1, f2};
    char mat[256], run[256];
    snprintf(mat, sizeof mat, "%s/tiny.mat", g_dir);
    snprintf(run, sizeof run, "%s/run", g_dir);
    CHECK(rnl_music_write(mat, nseq, lens, frames) == RNL_OK, "music_write: %s", rnl_last_error());
    const int none[3] = {0, 1, 1};
    CHECK(rnl_music_write(mat, none, lens, frames) == RNL_ERR_USAGE, "an empty train split");
    f1[3] = 2;
    CHECK(rnl_music_write(mat, nseq, lens, frames) == RNL_ERR_USAGE && strstr(rnl_last_error(), "0 or 1"),
          "a value 2: %s", rnl_last_error());
    f1[3] = 0;
    rnl_dataset *d = NULL;
    CHECK(rnl_dataset_open(mat, NULL, NULL, &d) == RNL_OK, "open: %s", rnl_last_error());
    if (!d) return;
    CHECK(strcmp(rnl_dataset_kind(d), "music") == 0 && rnl_dataset_input(d) == 88 && rnl_dataset_output(d) == 88,
          "kind and widths");
    CHECK(rnl_dataset_count(d, RNL_SPLIT_TRAIN) == 1 && rnl_dataset_count(d, 3) == 0, "counts");
    CHECK(rnl_dataset_steps(d, RNL_SPLIT_TRAIN, 0) == L0 - 1 && rnl_dataset_steps(d, 0, 1) == -1 &&
              rnl_dataset_steps(d, -1, 0) == -1, "steps");
    rnl_real x[L0 * 88], y[L0 * 88];
    CHECK(rnl_dataset_sequence(d, RNL_SPLIT_TRAIN, 0, x, y) == RNL_OK, "sequence");
    int same = 1;
    for (int i = 0; i < (L0 - 1) * 88; i++) same &= x[i] == f0[i] && y[i] == f0[i + 88];
    CHECK(same, "x = frames 0..T-2 and y = frames 1..T-1 of what was written");
    CHECK(rnl_dataset_sequence(d, RNL_SPLIT_TEST, 1, x, y) == RNL_ERR_USAGE, "sequence out of range");
    double mean, sd;
    rnl_dataset_normalisation(d, &mean, &sd);
    CHECK(mean == 0 && sd == 1 && isnan(rnl_dataset_bits_per_sample(d, 1.0)), "music: no normalisation, no bits");

    /* Train: stopped by the callback after epoch 1, resumed to the end. */
    rnl_train_config *c = NULL;
    rnl_train_config_create(&c);
    const char *const kv[][2] = {{"data", mat}, {"cell", "tanh"}, {"hidden", "3"}, {"max_epochs", "3"}, {"out", run}};
    for (size_t i = 0; i < sizeof kv / sizeof *kv; i++) rnl_train_config_set(c, kv[i][0], kv[i][1]);
    int epochs = 0;
    CHECK(rnl_train_run(c, stop_at_first_epoch, &epochs) == RNL_ERR_STOPPED && epochs == 1, "stopped after %d epochs: %s",
          epochs, rnl_last_error());
    CHECK(rnl_train_resume(run, c, NULL, NULL) == RNL_ERR_USAGE && strstr(rnl_last_error(), "cannot change"),
          "resume with fixed options given: %s", rnl_last_error());
    CHECK(rnl_train_resume(run, NULL, NULL, NULL) == RNL_OK, "resume: %s", rnl_last_error());
    rnl_train_config_free(c);

    /* Evaluate: the sum over the split of rnl_forward_backward of each sequence. */
    char path[300];
    snprintf(path, sizeof path, "%s/model.safetensors", run);
    rnl_model *m = NULL;
    CHECK(rnl_model_load(path, &m) == RNL_OK, "load: %s", rnl_last_error());
    if (m) {
        double sum = -1, steps = -1, want = 0, seqm = -1;
        CHECK(rnl_evaluate(m, d, 3, &sum, &steps, NULL) == RNL_ERR_USAGE, "split 3");
        CHECK(rnl_evaluate(m, d, RNL_SPLIT_VALID, &sum, &steps, &seqm) == RNL_OK && steps == L1 - 1, "evaluate: %s", rnl_last_error());
        rnl_workspace *ws = NULL;
        rnl_workspace_create(&ws);
        rnl_dataset_sequence(d, RNL_SPLIT_VALID, 0, x, y);
        const int len[1] = {L1 - 1};
        rnl_batch b = {L1 - 1, 1, len, x, y};
        CHECK(rnl_forward_backward(m, ws, rnl_model_params(m), &b, NULL, 1, NULL, &want) == RNL_OK, "forward");
        CHECK_CLOSE(sum, want, 1e-12, 0, "evaluate = forward over the split");
        CHECK_CLOSE(seqm, want / (L1 - 1), 1e-12, 0, "one sequence: its mean NLL per step is the pooled one");
        rnl_workspace_free(ws);
        rnl_model_free(m);
    }
    rnl_dataset_free(d);
}

int main(void) {
    if (!mkdtemp(g_dir)) return 1;
    CHECK(strcmp(rnl_version(), RNL_VERSION) == 0, "rnl_version %s", rnl_version());
    test_config();
    test_data_and_training();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
    CHECK(system(cmd) == 0, "cleanup");
    return CHECK_DONE("test_api");
}
