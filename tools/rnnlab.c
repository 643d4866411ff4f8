/* rnnlab — the command-line tool: parse options, call the library, print, exit.
 * Exit codes are the library's status values (docs/ERRORS.md): 0 ok, 2 usage, 3 data,
 * 4 I/O, 5 numeric, 6 out of memory, 7 internal. Each command lives in tools/cmd_*.c. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "core/kset.h"

typedef struct {
    const char *name;                   /* argv[1] */
    int (*run)(int argc, char **argv);  /* the command */
    const char *help;                   /* one line for rnnlab --help */
} command;

static const command COMMANDS[] = {
    {"train", cmd_train, "train a model (early stopping, resumable with --resume)"},
    {"eval", cmd_eval, "NLL per predicted frame of a saved model on a split"},
    {"gradcheck", cmd_gradcheck, "finite-difference check of a unit's gradients"},
    {"data", cmd_data, "data fetch NAME (download a data set) or data import-midi DIR (MIDI folder to .mat)"},
    {"baseline", cmd_baseline, "linear-prediction baseline of the speech task: NLL on every split"},
    {"sample", cmd_sample, "generate from a model: audio (speech), a piano roll (music) or text"},
    {"bench", cmd_bench, "training and inference throughput (steps/s, GFLOP/s)"},
    {"search", cmd_search, "random search of the learning rate (parallel, resumable, MPI with rnnlab-mpi)"},
    {"reproduce", cmd_reproduce, "the paper's grid: searches, seed runs, Tables 1-2, Figures 2-3"},
    {"plot", cmd_plot, "learning curves of run directories (metrics.csv) into a PNG or SVG (gnuplot)"},
};
#define NCOMMANDS ((int)(sizeof COMMANDS / sizeof *COMMANDS))

static void main_help(FILE *f) {
    fprintf(f, "rnnlab %s — tanh RNN, LSTM and GRU sequence models (Chung et al. 2014)\n\n"
           "usage: rnnlab COMMAND [options]      rnnlab COMMAND --help for its options\n\n"
           "commands:\n", RNL_VERSION);
    for (int i = 0; i < NCOMMANDS; i++) fprintf(f, "  %-11s %s\n", COMMANDS[i].name, COMMANDS[i].help);
    fprintf(f, "\n  --version   print the version and the kernel set in use (RNNLAB_CPU=plain|avx2|avx512\n"
               "              forces one; the default is the best this CPU supports)\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        main_help(argc < 2 ? stderr : stdout); /* no command is a usage error */
        return argc < 2 ? 2 : 0;
    }
    /* The kernel set, chosen once from the CPU or RNNLAB_CPU: a bad value stops every command
     * here, before any work, in one line. */
    rnl_status st = rnl_cpu_init();
    if (st != RNL_OK) return cli_fail(st);
    if (strcmp(argv[1], "--version") == 0) {
        printf("rnnlab %s (kernels %s; this CPU supports", RNL_VERSION, rnl_cpu_name());
        for (int k = RNL_KSET_COUNT - 1; k >= 0; k--)
            if (rnl_kset_supported((rnl_kset)k)) printf(" %s", rnl_kset_table((rnl_kset)k)->name);
        printf(")\n");
        return 0;
    }
    rnl_set_threads(1);
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(argv[1], COMMANDS[i].name) == 0) return COMMANDS[i].run(argc, argv);
    fprintf(stderr, "rnnlab: unknown command '%s' (see 'rnnlab --help')\n", argv[1]);
    return 2;
}
