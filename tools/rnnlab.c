/* rnnlab — the command-line tool: parse options, call the library, print, exit.
 * Exit codes are the library's status values (docs/ERRORS.md): 0 ok, 2 usage, 3 data,
 * 4 I/O, 5 numeric, 6 out of memory, 7 internal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dataroot.h"
#include "gradcheck.h"
#include "rnnlab.h"
#include "train.h"
#include "util.h"

/* ================================================================ option tables ===== */

typedef enum { OPT_INT, OPT_DOUBLE, OPT_STRING, OPT_FLAG, OPT_CELL, OPT_VARIANT, OPT_U64 } opt_type;

typedef struct {
    const char *name;   /* "--lr" */
    opt_type type;
    void *ptr;          /* int*, double*, char[4096], int* (flag), rnl_cell*, rnl_variant*, uint64_t* */
    double lo, hi;      /* accepted range (numbers) */
    const char *help;
} opt;

static void print_default(const opt *o) {
    switch (o->type) {
    case OPT_INT: printf("%d", *(int *)o->ptr); break;
    case OPT_DOUBLE: printf("%g", *(double *)o->ptr); break;
    case OPT_STRING: printf("%s", *(char *)o->ptr ? (char *)o->ptr : "none"); break;
    case OPT_FLAG: printf("%s", *(int *)o->ptr ? "on" : "off"); break;
    case OPT_CELL: printf("%s", rnl_cell_name(*(rnl_cell *)o->ptr)); break;
    case OPT_VARIANT: printf("%s", rnl_variant_name(*(rnl_variant *)o->ptr)); break;
    case OPT_U64: printf("%llu", (unsigned long long)*(uint64_t *)o->ptr); break;
    }
}

static void usage(const char *cmd, const char *synopsis, const opt *opts, int n) {
    printf("usage: rnnlab %s %s\n\noptions (default in brackets):\n", cmd, synopsis);
    for (int i = 0; i < n; i++) {
        printf("  %-18s %s [", opts[i].name, opts[i].help);
        print_default(&opts[i]);
        printf("]\n");
    }
    printf("  %-18s show this help\n", "--help");
}

static rnl_status set_opt(const opt *o, const char *v) {
    long l;
    double d;
    rnl_status st = RNL_OK;
    switch (o->type) {
    case OPT_INT:
        if (!(st = rnl_parse_long(v, (long)o->lo, (long)o->hi, o->name, &l))) *(int *)o->ptr = (int)l;
        break;
    case OPT_DOUBLE:
        if (!(st = rnl_parse_double(v, o->lo, o->hi, o->name, &d))) *(double *)o->ptr = d;
        break;
    case OPT_U64:
        if (!(st = rnl_parse_long(v, 0, 2147483647L * 2L, o->name, &l))) *(uint64_t *)o->ptr = (uint64_t)l;
        break;
    case OPT_STRING:
        if (strlen(v) >= 4096) return rnl_fail(RNL_ERR_USAGE, "%s: value too long", o->name);
        snprintf((char *)o->ptr, 4096, "%s", v);
        break;
    case OPT_CELL: st = rnl_cell_parse(v, (rnl_cell *)o->ptr); break;
    case OPT_VARIANT: st = rnl_variant_parse(v, (rnl_variant *)o->ptr); break;
    case OPT_FLAG: *(int *)o->ptr = 1; break;
    }
    return st;
}

/* Parse argv[first..] against the table. Returns 1 if --help was given (help printed),
 * 0 on success, -1 on error (message set). positional receives the non-option words. */
static int parse(int argc, char **argv, int first, const opt *opts, int n, const char *cmd,
                 const char *synopsis, const char **positional, int max_pos, int *npos) {
    if (npos) *npos = 0;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(cmd, synopsis, opts, n);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (!npos || *npos >= max_pos) {
                rnl_fail(RNL_ERR_USAGE, "%s: unexpected argument '%s'", cmd, a);
                return -1;
            }
            positional[(*npos)++] = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const opt *o = NULL;
        for (int k = 0; k < n; k++)
            if (strlen(opts[k].name) == len && strncmp(opts[k].name, a, len) == 0) o = &opts[k];
        if (!o) {
            rnl_fail(RNL_ERR_USAGE, "%s: unknown option '%.*s' (see 'rnnlab %s --help')", cmd, (int)len, a, cmd);
            return -1;
        }
        const char *v = NULL;
        if (o->type != OPT_FLAG) {
            if (eq) v = eq + 1;
            else if (i + 1 < argc) v = argv[++i];
            else {
                rnl_fail(RNL_ERR_USAGE, "%s: option %s needs a value", cmd, o->name);
                return -1;
            }
        }
        if (set_opt(o, v ? v : "")) return -1;
    }
    return 0;
}

static int fail(rnl_status st) {
    fprintf(stderr, "rnnlab: %s\n", rnl_last_error());
    return (int)st;
}

/* ================================================================ commands ========== */

static int cmd_train(int argc, char **argv) {
    rnl_train_opts o;
    rnl_train_defaults(&o);
    char resume[4096] = "";
    const opt opts[] = {
        {"--data", OPT_STRING, o.data, 0, 0, "data set: jsb, nottingham, musedata, piano, or a .mat path"},
        {"--data-root", OPT_STRING, o.data_root, 0, 0, "where named data sets live (else $RNNLAB_DATA, ./data, ../shared/data)"},
        {"--cell", OPT_CELL, &o.cell, 0, 0, "recurrent unit: tanh, gru, lstm"},
        {"--variant", OPT_VARIANT, &o.variant, 0, 0, "unit equations: paper or pytorch"},
        {"--layers", OPT_INT, &o.layers, 1, 16, "stacked recurrent layers"},
        {"--hidden", OPT_INT, &o.hidden, 0, 65536, "hidden units (0 = Table 1: tanh 100, gru 46, lstm 36)"},
        {"--lr", OPT_DOUBLE, &o.lr, 1e-12, 10, "RMSProp learning rate"},
        {"--batch", OPT_INT, &o.batch, 1, 100000, "sequences per update"},
        {"--max-epochs", OPT_INT, &o.max_epochs, 1, 100000000, "epoch budget"},
        {"--patience", OPT_INT, &o.patience, 1, 100000000, "epochs without a better validation NLL before stopping"},
        {"--weight-noise", OPT_DOUBLE, &o.weight_noise, 0, 10, "std of Gaussian noise on W and U, drawn per update (0 = off)"},
        {"--clip", OPT_DOUBLE, &o.clip, 0, 1e30, "global gradient-norm threshold (0 = off)"},
        {"--decay", OPT_DOUBLE, &o.decay, 0, 0.999999, "RMSProp decay of the mean square"},
        {"--momentum", OPT_DOUBLE, &o.momentum, 0, 0.999999, "RMSProp momentum"},
        {"--eps", OPT_DOUBLE, &o.eps, 1e-30, 1, "RMSProp epsilon added to the root mean square"},
        {"--forget-bias", OPT_DOUBLE, &o.forget_bias, -100, 100, "initial LSTM forget-gate bias"},
        {"--bptt", OPT_INT, &o.bptt, 0, 100000000, "truncated BPTT window in steps (0 = whole sequences)"},
        {"--seed", OPT_U64, &o.seed, 0, 0, "seed of initialisation, shuffling and noise"},
        {"--threads", OPT_INT, &o.threads, 1, 1024, "BLAS threads"},
        {"--out", OPT_STRING, o.out, 0, 0, "output directory (required)"},
        {"--resume", OPT_STRING, resume, 0, 0, "continue the run in this directory"},
        {"--quiet", OPT_FLAG, &o.quiet, 0, 0, "no progress line"},
    };
    int r = parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "train",
                  "--data NAME --cell tanh|gru|lstm --out DIR [options]  |  --resume DIR", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : fail(RNL_ERR_USAGE);
    if (resume[0]) {
        snprintf(o.out, sizeof o.out, "%s", resume);
        rnl_status st = rnl_train(&o, 1);
        return st ? fail(st) : 0;
    }
    if (!o.data[0]) return fail(rnl_fail(RNL_ERR_USAGE, "train: --data is required (%s)", rnl_data_names_help()));
    if (!o.out[0]) return fail(rnl_fail(RNL_ERR_USAGE, "train: --out DIR is required"));
    rnl_status st = rnl_train(&o, 0);
    return st ? fail(st) : 0;
}

static int cmd_eval(int argc, char **argv) {
    char model[4096] = "", data[4096] = "", root[4096] = "", split[4096] = "test";
    int json = 0;
    const opt opts[] = {
        {"--model", OPT_STRING, model, 0, 0, "checkpoint (.safetensors) to evaluate (required)"},
        {"--data", OPT_STRING, data, 0, 0, "data set name or .mat path (required)"},
        {"--data-root", OPT_STRING, root, 0, 0, "where named data sets live"},
        {"--split", OPT_STRING, split, 0, 0, "train, valid or test"},
        {"--json", OPT_FLAG, &json, 0, 0, "print one JSON object"},
    };
    int r = parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "eval",
                  "--model FILE --data NAME [--split train|valid|test] [--json]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : fail(RNL_ERR_USAGE);
    if (!model[0] || !data[0]) return fail(rnl_fail(RNL_ERR_USAGE, "eval: --model and --data are required"));
    int sp = rnl_split_parse(split);
    if (sp < 0) return fail(rnl_fail(RNL_ERR_USAGE, "--split: expected train, valid or test, got '%s'", split));
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    rnl_dataset *d = NULL;
    double sum = 0, frames = 0;
    rnl_status st = rnl_model_load(model, &m);
    if (!st) st = rnl_dataset_open(data, root[0] ? root : NULL, NULL, &d);
    if (!st) st = rnl_workspace_create(&ws);
    if (!st) st = rnl_eval_split(m, ws, rnl_model_params(m), d, sp, &sum, &frames);
    if (!st && frames == 0) st = rnl_fail(RNL_ERR_DATA, "%s: the %s split has no predicted frames", d->path, split);
    if (!st) {
        double nll = sum / frames;
        if (json) {
            rnl_buf b = {0};
            rnl_buf_printf(&b, "{\"nll\": ");
            rnl_buf_json_number(&b, nll);
            rnl_buf_printf(&b, ", \"frames\": %.0f, \"split\": \"%s\", \"data\": ", frames, split);
            rnl_buf_json_string(&b, data);
            rnl_buf_printf(&b, "}\n");
            fputs(b.p, stdout);
            rnl_buf_free(&b);
        } else {
            printf("%s %s: NLL %.6f nats per predicted frame over %.0f frames\n", data, split, nll, frames);
        }
    }
    rnl_workspace_free(ws);
    rnl_dataset_free(d);
    rnl_model_free(m);
    return st ? fail(st) : 0;
}

static int cmd_gradcheck(int argc, char **argv) {
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
    int r = parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "gradcheck",
                  "--cell tanh|gru|lstm [--variant paper|pytorch] [options]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : fail(RNL_ERR_USAGE);
    rnl_config c = {cell, var, RNL_HEAD_BERNOULLI, layers, input, hidden, output, 0};
    static const int len[] = {6, 4, 1};
    rnl_gradcheck_result res;
    /* float32: eps 1e-2 keeps rounding noise (~1e-7 * loss / eps) well below the tolerance;
     * the relative error is floored at 1e-2 for gradients smaller than that. */
    rnl_status st = rnl_gradcheck(&c, 3, len, seed, 1e-2, 1e-2, &res);
    if (st) return fail(st);
    printf("gradcheck %s/%s, %d layer(s), H=%d: %zu parameters, largest relative error %.3e at %s (tolerance %g)\n",
           rnl_cell_name(cell), rnl_variant_name(var), layers, hidden, res.checked, res.max_rel, res.worst, tol);
    if (!(res.max_rel <= tol)) return fail(rnl_fail(RNL_ERR_NUMERIC, "gradcheck failed: %.3e > %g", res.max_rel, tol));
    return 0;
}

static int cmd_data(int argc, char **argv) {
    char root[4096] = "";
    const char *pos[2];
    int npos = 0;
    const opt opts[] = {{"--data-root", OPT_STRING, root, 0, 0, "where to put the data (else $RNNLAB_DATA, else ./data)"}};
    int r = parse(argc, argv, 2, opts, 1, "data", "fetch NAME [--data-root DIR]", pos, 2, &npos);
    if (r) return r > 0 ? 0 : fail(RNL_ERR_USAGE);
    if (npos != 2 || strcmp(pos[0], "fetch") != 0)
        return fail(rnl_fail(RNL_ERR_USAGE, "data: expected 'rnnlab data fetch NAME' (%s)", rnl_data_names_help()));
    rnl_status st = rnl_data_fetch(pos[1], root[0] ? root : NULL);
    return st ? fail(st) : 0;
}

static void main_help(void) {
    printf("rnnlab %s — tanh RNN, LSTM and GRU sequence models (Chung et al. 2014)\n\n"
           "usage: rnnlab COMMAND [options]      rnnlab COMMAND --help for its options\n\n"
           "commands:\n"
           "  train       train a model on a piano-roll data set (early stopping, resumable)\n"
           "  eval        NLL per predicted frame of a saved model on a split\n"
           "  gradcheck   finite-difference check of a unit's gradients\n"
           "  data        data fetch NAME: download a data set into the data root\n\n"
           "  --version   print the version\n",
           RNL_VERSION);
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        main_help();
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("rnnlab %s\n", RNL_VERSION);
        return 0;
    }
    rnl_set_threads(1);
    if (strcmp(argv[1], "train") == 0) return cmd_train(argc, argv);
    if (strcmp(argv[1], "eval") == 0) return cmd_eval(argc, argv);
    if (strcmp(argv[1], "gradcheck") == 0) return cmd_gradcheck(argc, argv);
    if (strcmp(argv[1], "data") == 0) return cmd_data(argc, argv);
    fprintf(stderr, "rnnlab: unknown command '%s' (see 'rnnlab --help')\n", argv[1]);
    return 2;
}
