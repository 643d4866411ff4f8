/* cmd_core.c — train, eval, gradcheck, data: the music task's commands. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "data/dataroot.h"
#include "core/gradcheck.h"
#include "data/speech.h"
#include "run/api.h"
#include "run/eval.h"
#include "run/train.h"
#include "io/util.h"

/* ================================================================ commands ========== */

/* The tool's printer of a run's events: the parseable epoch line on stdout; on stderr the
 * start and end lines and, on a terminal, a progress line rewritten in place. */
typedef struct {
    int tty;    /* stderr is a terminal and the run is not quiet */
    int shown;  /* a progress line is on the terminal */
} train_printer;

static void print_event(void *ctx, const rnl_train_event *e) {
    train_printer *p = ctx;
    const rnl_train_opts *o = e->opts;
    if (p->shown && e->kind != RNL_TRAIN_PROGRESS) {
        fprintf(stderr, "\r\033[K");
        p->shown = 0;
    }
    switch (e->kind) {
    case RNL_TRAIN_START:
        if (o->quiet) break;
        if (e->resumed) fprintf(stderr, "rnnlab: resuming %s after epoch %d\n", o->out, e->epoch);
        fprintf(stderr, "rnnlab %s: %s %s-%d (%s) on %s, %zu parameters (%zu recurrent), lr %g, batch %d, seed %llu\n",
                RNL_VERSION, e->resumed ? "resumed" : "training", rnl_cell_name(o->cell), o->hidden,
                rnl_variant_name(o->variant), e->data_path, e->params, e->params_recurrent, o->lr, o->batch,
                (unsigned long long)o->seed);
        break;
    case RNL_TRAIN_PROGRESS:
        if (!p->tty) break;
        fprintf(stderr, "\r\033[Kepoch %d/%d  batch %d/%d  %.0f steps/s  best valid %.4f  at most %.0f s left",
                e->epoch + 1, o->max_epochs, e->batch, e->batches, e->steps_per_s, e->best_valid, e->seconds_left);
        p->shown = 1;
        break;
    case RNL_TRAIN_EPOCH:
        printf("epoch=%d updates=%ld seconds=%.3f train_nll=%.6f valid_nll=%.6f lr=%g best_epoch=%d skipped=%ld%s\n",
               e->epoch, e->updates, e->seconds, e->train_nll, e->valid_nll, e->lr, e->best_epoch, e->skipped,
               e->improved ? " *" : "");
        fflush(stdout);
        break;
    case RNL_TRAIN_NOTE:
        fprintf(stderr, "rnnlab: nothing to train: %s\n", e->text);
        break;
    case RNL_TRAIN_DONE:
        if (!o->quiet)
            fprintf(stderr, "rnnlab: best epoch %d: train %.4f, valid %.4f, test %.4f nats per frame (%.1f s)\n",
                    e->best_epoch, e->best_train, e->best_valid, e->test_nll, e->seconds);
        break;
    }
}

/* SIGINT/SIGTERM ask the run to stop after its current update (rnl_train's stop flag). */
static volatile sig_atomic_t g_stop;
static void on_signal(int sig) { g_stop = sig; }

/* Run the training with the signal handlers in place; a stopped run says how to continue and
 * exits 128 + the signal's number, as a shell expects of a process ended by it. */
static int run_train(rnl_train_opts *o, int resume, train_printer *pr) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    rnl_status st = rnl_train(o, resume, print_event, pr, &g_stop);
    if (pr->shown) fprintf(stderr, "\r\033[K");
    if (st == RNL_ERR_STOPPED) {
        fprintf(stderr, "rnnlab: %s by %s; %s keeps the state of the last finished epoch: continue with "
                "rnnlab train --resume %s\n", rnl_last_error(), g_stop == SIGINT ? "SIGINT" : "SIGTERM", o->out, o->out);
        return 128 + (int)g_stop;
    }
    return st ? cli_fail(st) : 0;
}

int cmd_train(int argc, char **argv) {
    rnl_train_opts o;
    rnl_train_defaults(&o);
    char resume[4096] = "";
    opt opts[64];
    cli_row rows[64];
    int n = 0;
    cli_add_rows(opts, rows, &n, 63, rnl_train_options, rnl_train_noptions, &o, &o.given, 0, NULL);
    opts[n++] = (opt){"--resume", OPT_STRING, resume, 0, 0,
                      "continue the run in this directory (with it only the stopping options and --quiet)"};
    int r = cli_parse(argc, argv, 2, opts, n, "train",
                      "--data NAME --cell tanh|gru|lstm --out DIR [options]  |  --resume DIR [--max-epochs N] [--patience N]",
                      NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    train_printer pr = {0, 0};
    if (resume[0]) {
        /* The run's options come from its directory; only the stopping rules may change
         * (they do not affect the parameters of the epochs both runs train). */
        rnl_status st = rnl_resume_options_check(&o);
        if (st) return cli_fail(st);
        snprintf(o.out, sizeof o.out, "%s", resume);
        pr.tty = !o.quiet && isatty(2);
        return run_train(&o, 1, &pr);
    }
    if (!o.data[0]) return cli_fail(rnl_fail(RNL_ERR_USAGE, "train: --data is required (jsb, nottingham, musedata, piano, fsdd, or a .mat path)"));
    if (!o.out[0]) return cli_fail(rnl_fail(RNL_ERR_USAGE, "train: --out DIR is required"));
    rnl_status st = rnl_train_options_resolve(&o); /* --protocol's defaults, the grid's lr */
    if (st) return cli_fail(st);
    pr.tty = !o.quiet && isatty(2);
    return run_train(&o, 0, &pr);
}

int cmd_eval(int argc, char **argv) {
    char model[4096] = "", data[4096] = "", root[4096] = "", split[4096] = "test", scheme[4096] = "";
    int json = 0;
    const opt opts[] = {
        {"--model", OPT_STRING, model, 0, 0, "checkpoint (.safetensors) to evaluate (required)"},
        {"--data", OPT_STRING, data, 0, 0, "data set name or .mat path (required)"},
        {"--data-root", OPT_STRING, root, 0, 0, "where named data sets live"},
        {"--split", OPT_STRING, split, 0, 0, "train, valid or test"},
        {"--split-scheme", OPT_STRING, scheme, 0, 0, "speech split: index or speaker (none = the one the model was trained on)"},
        {"--json", OPT_FLAG, &json, 0, 0, "print one JSON object"},
    };
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "eval",
                  "--model FILE --data NAME [--split train|valid|test] [--json]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    if (!model[0] || !data[0]) return cli_fail(rnl_fail(RNL_ERR_USAGE, "eval: --model and --data are required"));
    int sp = rnl_split_parse(split);
    if (sp < 0) return cli_fail(rnl_fail(RNL_ERR_USAGE, "--split: expected train, valid or test, got '%s'", split));
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    rnl_dataset *d = NULL;
    double sum = 0, frames = 0, seq_mean = 0;
    rnl_status st = rnl_model_load(model, &m);
    char note[512];
    if (!st && scheme[0] && strcmp(scheme, "index") != 0 && strcmp(scheme, "speaker") != 0)
        st = rnl_fail(RNL_ERR_USAGE, "--split-scheme: expected one of index|speaker, got '%.100s'", scheme);
    if (!st) st = rnl_eval_open(m, data, root[0] ? root : NULL, scheme[0] ? scheme : NULL, &d, note, sizeof note);
    if (!st && note[0]) fprintf(stderr, "rnnlab: note: %s\n", note);
    if (!st) st = rnl_workspace_create(&ws);
    if (!st) st = rnl_eval_split(m, ws, rnl_model_params(m), d, sp, &sum, &frames, &seq_mean);
    if (!st && frames == 0) st = rnl_fail(RNL_ERR_DATA, "%s: the %s split has no predicted frames", d->path, split);
    if (!st) {
        double nll = sum / frames;
        /* Speech: also bits per sample of the 16-bit signal (docs/SPEECH.md, "Units"). */
        int speech = strcmp(d->kind, "speech") == 0, text = strcmp(d->kind, "text") == 0;
        /* Text: also bits per character, nll / ln 2. */
        double bits = speech ? rnl_speech_bits_per_sample(nll, d->output, d->std) : text ? nll / log(2.0) : 0;
        if (json) {
            rnl_buf b = {0};
            rnl_buf_printf(&b, "{\"nll\": ");
            rnl_buf_json_number(&b, nll);
            rnl_buf_printf(&b, ", \"nll_seq_mean\": ");
            rnl_buf_json_number(&b, seq_mean);
            rnl_buf_printf(&b, ", \"frames\": %.0f, \"split\": \"%s\", \"data\": ", frames, split);
            rnl_buf_json_string(&b, data);
            if (speech || text) {
                rnl_buf_printf(&b, speech ? ", \"bits_per_sample\": " : ", \"bits_per_char\": ");
                rnl_buf_json_number(&b, bits);
            }
            rnl_buf_printf(&b, "}\n");
            fputs(b.p, stdout);
            rnl_buf_free(&b);
        } else if (speech) {
            printf("%s %s: NLL %.6f nats per step (%d standardised samples) = %.4f bits per sample of the 16-bit signal, over %.0f steps; "
                   "mean over sequences of their NLL per step %.6f\n",
                   data, split, nll, d->output, bits, frames, seq_mean);
        } else if (text) {
            printf("%s %s: NLL %.6f nats per character = %.4f bits per character, over %.0f characters\n", data, split,
                   nll, bits, frames);
        } else {
            printf("%s %s: NLL %.6f nats per predicted frame over %.0f frames (pooled); mean over sequences of their NLL per frame %.6f\n",
                   data, split, nll, frames, seq_mean);
        }
    }
    rnl_workspace_free(ws);
    rnl_dataset_free(d);
    rnl_model_free(m);
    return st ? cli_fail(st) : 0;
}

int cmd_gradcheck(int argc, char **argv) {
    rnl_cell cell = RNL_CELL_GRU;
    rnl_variant var = RNL_VARIANT_PAPER;
    int layers = 1, hidden = 4, input = 3, output = 5;
    uint64_t seed = 1;
    double tol = 2e-2;
    const opt opts[] = {
        {"--cell", OPT_CELL, &cell, 0, 0, "recurrent unit: tanh, gru, lstm"},
        {"--variant", OPT_VARIANT, &var, 0, 0, "paper or pytorch"},
        {"--layers", OPT_INT, &layers, 1, 4, "stacked layers"},
        {"--hidden", OPT_INT, &hidden, 1, 64, "hidden units"},
        {"--input", OPT_INT, &input, 1, 64, "inputs"},
        {"--output", OPT_INT, &output, 1, 64, "outputs"},
        {"--seed", OPT_U64, &seed, 0, 0, "seed of the random model and batch"},
        {"--tolerance", OPT_DOUBLE, &tol, 1e-12, 1, "largest accepted relative error (float32 build)"},
    };
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "gradcheck",
                  "--cell tanh|gru|lstm [--variant paper|pytorch] [options]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    rnl_config c = {cell, var, RNL_HEAD_BERNOULLI, layers, input, hidden, output, 0};
    static const int len[] = {6, 4, 1};
    rnl_gradcheck_result res;
    /* float32: eps 1e-2 keeps rounding noise (~1e-7 * loss / eps) well below the tolerance;
     * the relative error is floored at 1e-2 for gradients smaller than that. */
    rnl_status st = rnl_gradcheck(&c, 3, len, seed, 1e-2, 1e-2, NULL, &res);
    if (st) return cli_fail(st);
    printf("gradcheck %s/%s, %d layer(s), H=%d: %zu parameters, largest relative error %.3e at %s (tolerance %g)\n",
           rnl_cell_name(cell), rnl_variant_name(var), layers, hidden, res.checked, res.max_rel, res.worst, tol);
    if (!(res.max_rel <= tol)) return cli_fail(rnl_fail(RNL_ERR_NUMERIC, "gradcheck failed: %.3e > %g", res.max_rel, tol));
    return 0;
}

int cmd_data(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[2], "import-midi") == 0) return cmd_import_midi(argc, argv);
    char root[4096] = "";
    const char *pos[2];
    int npos = 0;
    const opt opts[] = {{"--data-root", OPT_STRING, root, 0, 0, "where to put the data (else $RNNLAB_DATA, else ./data)"}};
    int r = cli_parse(argc, argv, 2, opts, 1, "data", "fetch NAME [--data-root DIR]  |  import-midi DIR --out FILE.mat (see data import-midi --help)", pos, 2, &npos);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    if (npos != 2 || strcmp(pos[0], "fetch") != 0)
        return cli_fail(rnl_data_command_error(npos ? pos[0] : NULL));
    rnl_status st = rnl_data_fetch(pos[1], root[0] ? root : NULL);
    return st ? cli_fail(st) : 0;
}

