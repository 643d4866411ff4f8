/* train_model.c — the whole workflow through the public API alone (it includes only
 * rnnlab.h): train a small GRU on JSB Chorales, evaluate it, resume it for one more epoch,
 * sample a piano roll from it and write it as MIDI.
 *
 *   cc train_model.c $(pkg-config --cflags --libs rnnlab) -o train_model
 *   ./train_model DIR [DATA]     DATA: a data set name or .mat path (default jsb)
 *
 * DIR receives the run (DIR/run: options.json, model.safetensors, ...) and DIR/sample.mid.
 * Prints one line per epoch, then "test_nll=..." of the trained model, "resumed_epochs=..."
 * and "sample=...". Exit status: the rnl_status of the first failure (0 when all worked). */
#include <stdio.h>
#include <string.h>
#include "rnnlab.h"

/* The training's events: one line per epoch; every other kind is ignored. Returning
 * non-zero would stop the training. */
static int on_event(void *ctx, const rnl_event *e) {
    const char *tag = ctx;
    if (e->kind == RNL_EVENT_EPOCH)
        printf("%s epoch=%d train_nll=%.6f valid_nll=%.6f%s\n", tag, e->epoch, e->train_nll, e->valid_nll,
               e->improved ? " *" : "");
    if (e->kind == RNL_EVENT_DONE) printf("%s done: best_epoch=%d test_nll=%.6f\n", tag, e->best_epoch, e->test_nll);
    return 0;
}

static int fail(rnl_status st) {
    fprintf(stderr, "train_model: %s\n", rnl_last_error());
    return (int)st;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: train_model DIR [DATA]\n");
        return 2;
    }
    const char *data = argc > 2 ? argv[2] : "jsb";
    char run[4096], mid[4096];
    snprintf(run, sizeof run, "%s/run", argv[1]);
    snprintf(mid, sizeof mid, "%s/sample.mid", argv[1]);
    printf("rnnlab %s (header %s)\n", rnl_version(), RNL_VERSION);

    /* 1. Configure and train: the keys and values of `rnnlab train`'s options. */
    rnl_train_config *cfg = NULL;
    rnl_status st = rnl_train_config_create(&cfg);
    const char *const kv[][2] = {{"data", data}, {"cell", "gru"}, {"hidden", "8"}, {"max_epochs", "2"},
                                 {"seed", "3"},  {"out", run},    {"force", "1"}};
    for (size_t i = 0; i < sizeof kv / sizeof *kv && !st; i++) st = rnl_train_config_set(cfg, kv[i][0], kv[i][1]);
    if (!st) st = rnl_train_run(cfg, on_event, "train");
    rnl_train_config_free(cfg);
    if (st) return fail(st);

    /* 2. Evaluate the best parameters on the test split. */
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", run);
    rnl_model *m = NULL;
    rnl_dataset *d = NULL;
    double sum = 0, steps = 0;
    st = rnl_model_load(path, &m);
    if (!st) st = rnl_dataset_open_for_model(m, data, NULL, NULL, &d, NULL, 0);
    if (!st) st = rnl_evaluate(m, d, RNL_SPLIT_TEST, &sum, &steps, NULL);
    if (!st) printf("test_nll=%.6f steps=%.0f sequences=%d\n", sum / steps, steps, rnl_dataset_count(d, RNL_SPLIT_TEST));
    rnl_dataset_free(d);
    rnl_model_free(m);
    m = NULL;
    if (st) return fail(st);

    /* 3. Resume with a larger budget: only the stopping options may change. */
    rnl_train_config *more = NULL;
    st = rnl_train_config_create(&more);
    if (!st) st = rnl_train_config_set(more, "max_epochs", "3");
    if (!st) st = rnl_train_resume(run, more, on_event, "resume");
    rnl_train_config_free(more);
    if (st) return fail(st);
    printf("resumed_epochs=3\n");

    /* 4. Sample 32 frames after the first 8 of a test sequence and write them as MIDI. */
    uint8_t *prime = NULL, *roll = NULL;
    int P = 0, fpq = 2;
    char spec[4200];
    snprintf(spec, sizeof spec, "%s:test:0", data);
    st = rnl_model_load(path, &m);
    if (!st) st = rnl_music_model_frame(path, &fpq);
    if (!st) st = rnl_music_prime(spec, NULL, fpq, &prime, &P);
    if (!st && P > 8) P = 8;
    if (!st) st = rnl_music_sample(m, prime, P, 32, 1.0, 7, &roll);
    if (!st) st = rnl_roll_write_midi(mid, roll, P + 32, fpq, 100, 0);
    if (!st) {
        int on = 0;
        for (int i = P * 88; i < (P + 32) * 88; i++) on += roll[i];
        printf("sample=%s frames=%d notes_on=%d\n", mid, P + 32, on);
    }
    rnl_free(prime);
    rnl_free(roll);
    rnl_model_free(m);
    return st ? fail(st) : 0;
}
