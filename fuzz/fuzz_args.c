/* fuzz_args.c — libFuzzer harness for the command line: the input, split at newlines, is an
 * argv for the tool's option parser (every option type: integers, doubles, seeds, strings,
 * flags, cell and variant names), and each word also goes through the checked number
 * parsers. Nothing may crash, and a parsed number must lie in its range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "io/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 4096) return 0;
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    char *argv[66] = {"rnnlab", "train"};
    int argc = 2;
    for (char *p = text; argc < 64 && p <= text + size;) {
        char *nl = memchr(p, '\n', (size_t)(text + size - p));
        if (nl) *nl = 0;
        argv[argc++] = p;
        if (!nl) break;
        p = nl + 1;
    }
    int i_val = 0, flag = 0;
    double d_val = 0;
    uint64_t seed = 0;
    static char s_val[4096];
    rnl_cell cell = RNL_CELL_GRU;
    rnl_variant var = RNL_VARIANT_PAPER;
    const opt opts[] = {
        {"--hidden", OPT_INT, &i_val, 0, 65536, "int"},
        {"--lr", OPT_DOUBLE, &d_val, 1e-12, 10, "double"},
        {"--seed", OPT_U64, &seed, 0, 0, "seed"},
        {"--out", OPT_STRING, s_val, 0, 0, "string"},
        {"--quiet", OPT_FLAG, &flag, 0, 0, "flag"},
        {"--cell", OPT_CELL, &cell, 0, 0, "cell"},
        {"--variant", OPT_VARIANT, &var, 0, 0, "variant"},
    };
    const char *pos[4];
    int npos = 0;
    if (cli_parse(argc, argv, 2, opts, 7, "train", "fuzz", pos, 4, &npos) == 0) {
        if (i_val < 0 || i_val > 65536 || (d_val != 0 && (d_val < 1e-12 || d_val > 10))) abort();
    }
    for (int k = 2; k < argc; k++) {
        long l;
        double d;
        if (rnl_parse_long(argv[k], -5, 5, "x", &l) == RNL_OK && (l < -5 || l > 5)) abort();
        if (rnl_parse_double(argv[k], -1, 1, "x", &d) == RNL_OK && !(d >= -1 && d <= 1)) abort();
    }
    free(text);
    return 0;
}
