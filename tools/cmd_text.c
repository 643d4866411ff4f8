/* cmd_text.c — `sample` for a text (softmax over bytes) model, called by cmd_sample. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io/util.h"
#include "sample/sample.h"

int cmd_sample_text(int argc, char **argv) {
    char model[4096] = "", out[4096] = "", prime[4096] = "";
    int chars = 0; /* 0: not given */
    uint64_t seed = 1;
    double temperature = 1.0;
    const opt opts[] = {
        {"--model", OPT_STRING, model, 0, 0, "checkpoint of a text (softmax over bytes) model (required)"},
        {"--chars", OPT_INT, &chars, 1, RNL_TEXT_MAX_SAMPLE, "characters (bytes) to draw after the prime (required)"},
        {"--prime", OPT_STRING, prime, 0, 0, "text the model runs over first, written before the drawn text"},
        {"--temperature", OPT_DOUBLE, &temperature, 1e-3, 1e3, "a byte's probability is softmax(logits / temperature)"},
        {"--seed", OPT_U64, &seed, 0, 0, "seed of the draws: the same seed gives the same bytes"},
        {"--out", OPT_STRING, out, 0, 0, "file to write (atomically; none: standard output)"},
    };
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "sample",
                      "--model FILE --chars N [--prime TEXT] [--temperature T] [--seed S] [--out FILE]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    if (!model[0] || chars < 1) return cli_fail(rnl_fail(RNL_ERR_USAGE, "sample: --model and --chars are required"));
    rnl_model *m = NULL;
    unsigned char *txt = NULL;
    size_t n = 0;
    rnl_status st = rnl_model_load(model, &m);
    if (!st)
        st = rnl_text_sample(m, (const unsigned char *)prime, strlen(prime), chars, temperature, seed, &txt, &n);
    if (!st && out[0]) st = rnl_write_file_atomic(out, txt, n);
    if (!st && !out[0] && (fwrite(txt, 1, n, stdout) != n || fflush(stdout) != 0))
        st = rnl_fail(RNL_ERR_IO, "sample: cannot write to standard output");
    if (!st && out[0])
        printf("wrote %s: %zu bytes of prime and %d drawn, temperature %g, seed %llu\n", out, strlen(prime), chars,
               temperature, (unsigned long long)seed);
    free(txt);
    rnl_model_free(m);
    return st ? cli_fail(st) : 0;
}
