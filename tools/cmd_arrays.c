/* cmd_arrays.c — `sample` for a real-valued (Gaussian-mixture) model, called by cmd_sample:
 * the drawn sequence as one .npy array of shape (steps, D), float32. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "data/npz.h"
#include "sample/sample.h"

int cmd_sample_arrays(int argc, char **argv) {
    char model[4096] = "", out[4096] = "";
    int steps = 0; /* 0: not given */
    uint64_t seed = 1;
    double temperature = 1.0;
    const opt opts[] = {
        {"--model", OPT_STRING, model, 0, 0, "checkpoint of a real-valued (.npz, Gaussian-mixture) model (required)"},
        {"--steps", OPT_INT, &steps, 1, RNL_ARRAY_MAX_SAMPLE, "steps to draw (required)"},
        {"--temperature", OPT_DOUBLE, &temperature, 1e-3, 1e3,
         "mixture weights softmax(logits / T), each Gaussian's variance times T"},
        {"--seed", OPT_U64, &seed, 0, 0, "seed of the draws: the same seed gives the same values"},
        {"--out", OPT_STRING, out, 0, 0, "FILE.npy to write: float32, shape (steps, D) (required)"},
    };
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "sample",
                      "--model FILE --steps N --out FILE.npy [--temperature T] [--seed S]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    if (!model[0] || steps < 1 || !out[0])
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "sample: --model, --steps and --out FILE.npy are required"));
    const size_t n = strlen(out);
    if (n < 4 || strcmp(out + n - 4, ".npy") != 0)
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "sample --out %s: %s is a real-valued model, which writes one .npy "
                                 "array: give --out FILE.npy", out, model));
    rnl_model *m = NULL;
    float *v = NULL;
    rnl_status st = rnl_model_load(model, &m);
    if (!st) st = rnl_array_sample(m, steps, temperature, seed, &v);
    const int D = st ? 0 : rnl_model_config(m)->output;
    if (!st) st = rnl_npy_write_f32(out, v, (size_t)steps, (size_t)D);
    if (!st)
        printf("wrote %s: %d steps of %d values (float32), temperature %g, seed %llu\n", out, steps, D, temperature,
               (unsigned long long)seed);
    free(v);
    rnl_model_free(m);
    return st ? cli_fail(st) : 0;
}
