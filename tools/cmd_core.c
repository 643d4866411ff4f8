/* cmd_core.c — train, eval, gradcheck, data: the music task's commands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "data/dataroot.h"
#include "core/gradcheck.h"
#include "data/speech.h"
#include "run/train.h"
#include "io/util.h"

/* ================================================================ commands ========== */

int cmd_train(int argc, char **argv) {
    rnl_train_opts o;
    rnl_train_defaults(&o);
    char resume[4096] = "";
    const opt opts[] = {
        {"--data", OPT_STRING, o.data, 0, 0, "data set: jsb, nottingham, musedata, piano, or a .mat path"},
        {"--data-root", OPT_STRING, o.data_root, 0, 0, "where named data sets live (else $RNNLAB_DATA, ./data, ../shared/data)"},
        {"--cell", OPT_CELL, &o.cell, 0, 0, "recurrent unit: tanh, gru, lstm"},
        {"--variant", OPT_VARIANT, &o.variant, 0, 0, "unit equations: paper or pytorch"},
        {"--layers", OPT_INT, &o.layers, 1, 16, "stacked recurrent layers"},
        {"--hidden", OPT_INT, &o.hidden, 0, 65536, "hidden units (0 = Table 1: music tanh 100, gru 46, lstm 36; speech 400, 227, 195)"},
        {"--split-scheme", OPT_STRING, o.split_scheme, 0, 0, "speech split: index (FSDD takes 0-4 test, 5-9 valid) or speaker"},
        {"--lr", OPT_DOUBLE, &o.lr, 1e-12, 10, "RMSProp learning rate"},
        {"--lr-decay-epochs", OPT_INT, &o.lr_decay_epochs, 0, 100000000, "decay lr linearly over this many epochs (0 = constant)"},
        {"--lr-final", OPT_DOUBLE, &o.lr_final, 0, 1, "with --lr-decay-epochs: final lr as a fraction of --lr"},
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
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "train",
                  "--data NAME --cell tanh|gru|lstm --out DIR [options]  |  --resume DIR", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    if (resume[0]) {
        /* The run's options come from its state; only the stopping rules may change (they
         * do not affect the parameters of the epochs both runs train). */
        static const char *const allowed[] = {"--resume", "--quiet", "--max-epochs", "--patience"};
        for (size_t i = 0; i < sizeof opts / sizeof *opts; i++) {
            int ok = 0;
            for (size_t k = 0; k < sizeof allowed / sizeof *allowed; k++) ok |= strcmp(opts[i].name, allowed[k]) == 0;
            if (!ok && cli_given(argc, argv, 2, opts[i].name))
                return cli_fail(rnl_fail(RNL_ERR_USAGE,
                                         "train --resume: %s cannot change (the run's options are saved; only --max-epochs and --patience can)",
                                         opts[i].name));
        }
        snprintf(o.out, sizeof o.out, "%s", resume);
        o.resume_max_epochs = cli_given(argc, argv, 2, "--max-epochs") ? o.max_epochs : 0;
        o.resume_patience = cli_given(argc, argv, 2, "--patience") ? o.patience : 0;
        rnl_status st = rnl_train(&o, 1);
        return st ? cli_fail(st) : 0;
    }
    if (!o.data[0]) return cli_fail(rnl_fail(RNL_ERR_USAGE, "train: --data is required (jsb, nottingham, musedata, piano, fsdd, or a .mat path)"));
    if (!o.out[0]) return cli_fail(rnl_fail(RNL_ERR_USAGE, "train: --out DIR is required"));
    rnl_status st = rnl_train(&o, 0);
    return st ? cli_fail(st) : 0;
}

int cmd_eval(int argc, char **argv) {
    char model[4096] = "", data[4096] = "", root[4096] = "", split[4096] = "test", scheme[4096] = "";
    int json = 0;
    const opt opts[] = {
        {"--model", OPT_STRING, model, 0, 0, "checkpoint (.safetensors) to evaluate (required)"},
        {"--data", OPT_STRING, data, 0, 0, "data set name or .mat path (required)"},
        {"--data-root", OPT_STRING, root, 0, 0, "where named data sets live"},
        {"--split", OPT_STRING, split, 0, 0, "train, valid or test"},
        {"--split-scheme", OPT_STRING, scheme, 0, 0, "speech split: index or speaker"},
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
    double sum = 0, frames = 0;
    rnl_status st = rnl_model_load(model, &m);
    if (!st) st = rnl_dataset_open(data, root[0] ? root : NULL, scheme[0] ? scheme : NULL, &d);
    if (!st) st = rnl_workspace_create(&ws);
    if (!st) st = rnl_eval_split(m, ws, rnl_model_params(m), d, sp, &sum, &frames);
    if (!st && frames == 0) st = rnl_fail(RNL_ERR_DATA, "%s: the %s split has no predicted frames", d->path, split);
    if (!st) {
        double nll = sum / frames;
        /* Speech: also bits per sample of the 16-bit signal (docs/SPEECH.md, "Units"). */
        int speech = strcmp(d->kind, "speech") == 0;
        double bits = speech ? rnl_speech_bits_per_sample(nll, d->output, d->std) : 0;
        if (json) {
            rnl_buf b = {0};
            rnl_buf_printf(&b, "{\"nll\": ");
            rnl_buf_json_number(&b, nll);
            rnl_buf_printf(&b, ", \"frames\": %.0f, \"split\": \"%s\", \"data\": ", frames, split);
            rnl_buf_json_string(&b, data);
            if (speech) {
                rnl_buf_printf(&b, ", \"bits_per_sample\": ");
                rnl_buf_json_number(&b, bits);
            }
            rnl_buf_printf(&b, "}\n");
            fputs(b.p, stdout);
            rnl_buf_free(&b);
        } else if (speech) {
            printf("%s %s: NLL %.6f nats per step (%d standardised samples) = %.4f bits per sample of the 16-bit signal, over %.0f steps\n",
                   data, split, nll, d->output, bits, frames);
        } else {
            printf("%s %s: NLL %.6f nats per predicted frame over %.0f frames\n", data, split, nll, frames);
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
    rnl_status st = rnl_gradcheck(&c, 3, len, seed, 1e-2, 1e-2, &res);
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
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "data: expected 'rnnlab data fetch NAME' (%s)", rnl_data_names_help()));
    rnl_status st = rnl_data_fetch(pos[1], root[0] ? root : NULL);
    return st ? cli_fail(st) : 0;
}

