/* cmd_speech.c — baseline (the linear-prediction baseline of the speech task) and sample
 * (listen to a model: audio from a MoG model, piano rolls from a Bernoulli one). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "data/dataset.h"
#include "data/lpc.h"
#include "data/midi.h"
#include "data/speech.h"
#include "io/util.h"
#include "sample/sample.h"

/* ================================================================ baseline ========== */

int cmd_baseline(int argc, char **argv) {
    char data[4096] = "fsdd", root[4096] = "", scheme[4096] = "index";
    int json = 0;
    const opt opts[] = {
        {"--data", OPT_STRING, data, 0, 0, "speech data set: fsdd, or an FSDD-style directory"},
        {"--data-root", OPT_STRING, root, 0, 0, "where named data sets live"},
        {"--split-scheme", OPT_STRING, scheme, 0, 0, "index (split_by_index) or speaker (split_by_speaker)"},
        {"--json", OPT_FLAG, &json, 0, 0, "print one JSON object"},
    };
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "baseline",
                      "[--data fsdd] [--data-root DIR] [--split-scheme index|speaker] [--json]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    if (strcmp(scheme, "index") != 0 && strcmp(scheme, "speaker") != 0)
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "--split-scheme: expected index or speaker, got '%s'", scheme));
    rnl_dataset *d = NULL;
    rnl_lpc lpc = {0};
    rnl_status st = rnl_dataset_open(data, root[0] ? root : NULL, scheme, &d);
    if (!st && d->head != RNL_HEAD_MOG)
        st = rnl_fail(RNL_ERR_USAGE, "baseline: %s is a %s data set; the linear predictor is for speech", d->path,
                      d->kind);
    double t0 = rnl_now();
    if (!st) st = rnl_lpc_fit(d, &lpc);
    static const char *const names[3] = {"train", "valid", "test"};
    double full[3] = {0}, diag[3] = {0}, steps[3] = {0};
    for (int s = 0; s < 3 && !st; s++) st = rnl_lpc_eval(&lpc, d, s, &full[s], &diag[s], &steps[s]);
    if (st) {
        rnl_lpc_free(&lpc);
        rnl_dataset_free(d);
        return cli_fail(st);
    }
    const double secs = rnl_now() - t0;
    const int O = d->output;
    rnl_buf b = {0};
    if (json) {
        rnl_buf_printf(&b, "{\"data\": ");
        rnl_buf_json_string(&b, data);
        rnl_buf_printf(&b, ", \"split_scheme\": \"%s\", \"order\": %d, \"outputs\": %d, \"mean\": ", scheme,
                       d->input, O);
        rnl_buf_json_number(&b, d->mean);
        rnl_buf_printf(&b, ", \"std\": ");
        rnl_buf_json_number(&b, d->std);
        rnl_buf_printf(&b, ", \"covariance\": \"full\", \"splits\": {");
    } else {
        printf("linear predictor, order %d, %d outputs, full residual covariance; %s (%s split), "
               "train mean %.6g, std %.6g; fitted in %.2f s\n",
               d->input, O, d->path, scheme, d->mean, d->std, secs);
        printf("%-6s %9s %14s %15s %17s %18s\n", "split", "steps", "nats/step", "bits/sample",
               "nats/step(diag)", "bits/sample(diag)");
    }
    for (int s = 0; s < 3; s++) {
        double n = steps[s] > 0 ? steps[s] : NAN;
        double nf = full[s] / n, nd = diag[s] / n;
        double bf = rnl_speech_bits_per_sample(nf, O, d->std), bd = rnl_speech_bits_per_sample(nd, O, d->std);
        if (json) {
            rnl_buf_printf(&b, "%s\"%s\": {\"steps\": %.0f, \"nll\": ", s ? ", " : "", names[s], steps[s]);
            rnl_buf_json_number(&b, nf);
            rnl_buf_printf(&b, ", \"bits_per_sample\": ");
            rnl_buf_json_number(&b, bf);
            rnl_buf_printf(&b, ", \"nll_diag\": ");
            rnl_buf_json_number(&b, nd);
            rnl_buf_printf(&b, ", \"bits_per_sample_diag\": ");
            rnl_buf_json_number(&b, bd);
            rnl_buf_printf(&b, "}");
        } else {
            printf("%-6s %9.0f %14.6f %15.6f %17.6f %18.6f\n", names[s], steps[s], nf, bf, nd, bd);
        }
    }
    if (json) {
        rnl_buf_printf(&b, "}}\n");
        if (b.oom) st = rnl_fail(RNL_ERR_NOMEM, "baseline: out of memory for the JSON output");
        else fputs(b.p, stdout);
    }
    rnl_buf_free(&b);
    rnl_lpc_free(&lpc);
    rnl_dataset_free(d);
    return st ? cli_fail(st) : 0;
}

/* ================================================================ sample ============ */

/* The value of --model in argv (either "--model F" or "--model=F"), NULL if absent. */
static const char *find_model(int argc, char **argv) {
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0) return i + 1 < argc ? argv[i + 1] : NULL;
        if (strncmp(argv[i], "--model=", 8) == 0) return argv[i] + 8;
    }
    return NULL;
}

/* Options of one kind of model only: given for the other kind, they are refused by name
 * (rather than "unknown option", or silently doing nothing). */
static const char *const k_music_only[] = {"--steps", "--temperature", "--frame", "--tempo",
                                           "--program", "--wav", "--data-root"};
static const char *const k_speech_only[] = {"--seconds"};

/* RNL_ERR_USAGE naming the first of names[0..n) given in argv, or RNL_OK. */
static rnl_status refuse_options(int argc, char **argv, const char *const *names, size_t n, const char *model,
                                 const char *kind, const char *instead) {
    for (size_t i = 0; i < n; i++)
        if (cli_given(argc, argv, 2, names[i]))
            return rnl_fail(RNL_ERR_USAGE, "sample: %s does not apply to %s, a %s model (%s)", names[i], model, kind,
                            instead);
    return RNL_OK;
}

int cmd_sample(int argc, char **argv) {
    char model[4096] = "", out[4096] = "", prime[4096] = "";
    double seconds = 2.0;
    uint64_t seed = 1;
    const opt opts[] = {
        {"--model", OPT_STRING, model, 0, 0, "checkpoint (.safetensors) with a MoG head (required)"},
        {"--seconds", OPT_DOUBLE, &seconds, 1.0 / RNL_SPEECH_RATE, 3600, "seconds of audio, 1/8000 .. 3600 (round(S*8000) samples)"},
        {"--out", OPT_STRING, out, 0, 0, "16-bit PCM mono WAV to write at 8000 Hz (required)"},
        {"--seed", OPT_U64, &seed, 0, 0, "seed of the draws"},
        {"--prime", OPT_STRING, prime, 0, 0, "mono 8000 Hz WAV the model runs over before generating"},
    };
    const char *synopsis = "--model FILE --out FILE.wav [--seconds S] [--seed N] [--prime FILE.wav]\n"
                           "  (a MoG/speech model; for a piano-roll, text or real-valued-array model the options below apply)";
    const char *mpath = find_model(argc, argv);
    int help = 0;
    for (int i = 2; i < argc; i++) help |= strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0;
    if (help || !mpath) {
        /* Without a model the head is unknown: show both option sets, or complain. */
        int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "sample", synopsis, NULL, 0, NULL);
        if (r > 0) { /* every head's options: speech above, then music, text, real-valued arrays */
            int (*const more[])(int, char **) = {cmd_sample_music, cmd_sample_text, cmd_sample_arrays};
            for (size_t k = 0; k < sizeof more / sizeof *more; k++) {
                printf("\n");
                const int rc = more[k](argc, argv);
                if (rc) return rc;
            }
            return 0;
        }
        if (r < 0) return cli_fail(RNL_ERR_USAGE);
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "sample: --model is required"));
    }
    rnl_model *m = NULL;
    rnl_status st = rnl_model_load(mpath, &m);
    if (st) return cli_fail(st);
    if (rnl_model_config(m)->head == RNL_HEAD_SOFTMAX) {
        rnl_model_free(m);
        return cmd_sample_text(argc, argv);
    }
    if (rnl_model_config(m)->head == RNL_HEAD_GAUSS) {
        rnl_model_free(m);
        return cmd_sample_arrays(argc, argv);
    }
    if (rnl_model_config(m)->head == RNL_HEAD_BERNOULLI) {
        rnl_model_free(m);
        st = refuse_options(argc, argv, k_speech_only, sizeof k_speech_only / sizeof *k_speech_only, mpath,
                            "music (piano-roll)", "its length is --steps N frames");
        return st ? cli_fail(st) : cmd_sample_music(argc, argv);
    }
    st = refuse_options(argc, argv, k_music_only, sizeof k_music_only / sizeof *k_music_only, mpath,
                        "speech (mixture-of-Gaussians)", "it is an option of music models; see rnnlab sample --help");
    if (st) {
        rnl_model_free(m);
        return cli_fail(st);
    }
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "sample", synopsis, NULL, 0, NULL);
    if (r || !out[0]) {
        rnl_model_free(m);
        if (r > 0) return 0;
        return cli_fail(r < 0 ? RNL_ERR_USAGE : rnl_fail(RNL_ERR_USAGE, "sample: --out FILE.wav is required"));
    }
    if (rnl_midi_has_ext(out)) {
        rnl_model_free(m);
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "sample --out %s: %s is a speech model, which writes WAV audio: give --out FILE.wav",
                                 out, mpath));
    }
    st = rnl_speech_sample(m, seconds, seed, prime[0] ? prime : NULL, out);
    if (!st)
        printf("wrote %s: %lld samples (%.4g s) at %d Hz, seed %llu%s%s\n", out, (long long)llround(seconds * RNL_SPEECH_RATE),
               seconds, RNL_SPEECH_RATE, (unsigned long long)seed, prime[0] ? ", primed with " : "", prime);
    rnl_model_free(m);
    return st ? cli_fail(st) : 0;
}
