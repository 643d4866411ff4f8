/* cmd_search.c — `search` (the paper's random search over the learning rate, on this machine
 * or over the ranks of an MPI job) and `reproduce` (the paper's grid: Tables 1-2, Figures
 * 2-3). Every trial is a child process running `rnnlab train`: see src/search.h.
 *
 * MPI (build/rnnlab-mpi, compiled with -DRNL_MPI): when started by mpirun, trial k runs on
 * rank k mod P, one at a time; each rank sends its results to rank 0, which writes
 * search.json after every finished trial. Without MPI_Init-capable launch (no mpirun) the
 * MPI binary behaves exactly like the plain one. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "data/dataroot.h"
#include "run/search.h"
#include "io/util.h"
#ifdef RNL_MPI
#include <mpi.h>
#endif

/* The binary to run trials with: this very executable (even if the file was replaced since). */
static const char *self_exe(const char *argv0) {
    return access("/proc/self/exe", X_OK) == 0 ? "/proc/self/exe" : argv0;
}

/* Number of processes of the MPI job that started this one (1 when not under mpirun). */
static long mpi_world_size(void) {
    static const char *vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        long n;
        if (v && !rnl_parse_long(v, 1, 1L << 30, vars[i], &n)) return n;
    }
    return 1;
}

static rnl_status parse_range(const char *s, double *lo, double *hi) {
    const char *c = strchr(s, ':');
    char a[128];
    if (!c || (size_t)(c - s) >= sizeof a)
        return rnl_fail(RNL_ERR_USAGE, "--lr-log-range: expected LO:HI (natural log), e.g. -12:-6, got '%s'", s);
    memcpy(a, s, (size_t)(c - s));
    a[c - s] = 0;
    rnl_status st = rnl_parse_double(a, -1e3, 1e3, "--lr-log-range (low end)", lo);
    if (!st) st = rnl_parse_double(c + 1, -1e3, 1e3, "--lr-log-range (high end)", hi);
    return st;
}

#ifdef RNL_MPI
/* One trial's result as sent from a rank to rank 0 (ranks share one architecture). */
typedef struct {
    int k, state, epochs, best_epoch, error;  /* error: the rank's status if it failed */
    long hidden, params_recurrent, params_total;
    double seconds, train_nll, valid_nll, test_nll;
    char text[256];
} mpi_result;

enum { TAG_RESULT = 17 };

static void pack(const rnl_run *r, int k, int err, mpi_result *m) {
    memset(m, 0, sizeof *m);
    m->k = k;
    m->state = (int)r->state;
    m->epochs = r->epochs;
    m->best_epoch = r->best_epoch;
    m->error = err;
    m->hidden = r->hidden;
    m->params_recurrent = r->params_recurrent;
    m->params_total = r->params_total;
    m->seconds = r->seconds;
    m->train_nll = r->train_nll;
    m->valid_nll = r->valid_nll;
    m->test_nll = r->test_nll;
    snprintf(m->text, sizeof m->text, "%s", r->error);
}

static void unpack(const mpi_result *m, rnl_run *r) {
    r->state = (rnl_run_state)m->state;
    r->epochs = m->epochs;
    r->best_epoch = m->best_epoch;
    r->hidden = m->hidden;
    r->params_recurrent = m->params_recurrent;
    r->params_total = m->params_total;
    r->seconds = m->seconds;
    r->train_nll = m->train_nll;
    r->valid_nll = m->valid_nll;
    r->test_nll = m->test_nll;
    snprintf(r->error, sizeof r->error, "%s", m->text);
}

static int finished(const rnl_run *r) { return r->state == RNL_RUN_OK || r->state == RNL_RUN_FAILED; }

static void mpi_report(const rnl_search_opts *s, const rnl_run *r, int rank, int known) {
    if (s->quiet) return;
    if (r->state == RNL_RUN_OK)
        fprintf(stderr, "search: %s (rank %d): valid %.4f test %.4f (lr %.3g, best epoch %d of %d) | %d/%d known\n",
                r->label, rank, r->valid_nll, r->test_nll, r->o.lr, r->best_epoch, r->epochs, known, s->trials);
    else
        fprintf(stderr, "search: %s (rank %d): failed (lr %.3g): %s | %d/%d known\n", r->label, rank, r->o.lr,
                r->error, known, s->trials);
}

/* Run trial r to its end in a child, blocking. */
static rnl_status run_blocking(const char *exe, rnl_run *r) {
    rnl_status st = rnl_run_spawn(exe, r);
    if (st) return st;
    int ws;
    while (waitpid((pid_t)r->pid, &ws, 0) < 0)
        if (errno != EINTR) return rnl_fail(RNL_ERR_INTERNAL, "%s: waitpid: %s", r->label, strerror(errno));
    return rnl_run_reap(r, ws);
}

static rnl_status search_mpi(const rnl_search_opts *s, const char *exe) {
    int rank = 0, size = 1;
    MPI_Init(NULL, NULL);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    const int N = s->trials;
    rnl_run *runs = calloc((size_t)N, sizeof *runs);
    rnl_status st = runs ? RNL_OK : rnl_fail(RNL_ERR_NOMEM, "out of memory for %d trials", N);
    if (!st && rank == 0) st = rnl_search_lock(s->out);
    if (!st) st = rnl_search_prepare(s, runs, size, rank);
    if (!st && rank == 0) st = rnl_search_write(s, runs);
    int setup = (int)st, any = 0;
    MPI_Allreduce(&setup, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (any && !st) st = rnl_fail((rnl_status)any, "search: another rank could not set up (see its message)");
    if (!any) {
        if (rank == 0 && !s->quiet)
            fprintf(stderr, "search: %d trials over %d MPI ranks (trial k on rank k mod %d)\n", N, size, size);
        if (rank != 0) {
            /* Each own trial in turn; after an error the rest are reported as not run. */
            for (int k = rank; k < N; k += size) {
                if (!st && !finished(&runs[k])) st = run_blocking(exe, &runs[k]);
                mpi_result m;
                pack(&runs[k], k, (int)st, &m);
                MPI_Send(&m, (int)sizeof m, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD);
            }
        } else {
            int known = 0, next = 0, first_err = 0;
            rnl_run *mine = NULL; /* rank 0's trial running now */
            while (known < N) {
                int progressed = 0;
                if (!mine && next < N) {
                    rnl_run *r = &runs[next];
                    next += size;
                    progressed = 1;
                    if (first_err || finished(r)) {
                        known++;
                        if (finished(r)) mpi_report(s, r, 0, known);
                    } else if ((st = rnl_run_spawn(exe, r))) {
                        first_err = first_err ? first_err : (int)st;
                        known++;
                    } else {
                        mine = r;
                    }
                }
                int flag = 0;
                MPI_Status ms;
                MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &ms);
                if (flag) {
                    mpi_result m;
                    MPI_Recv(&m, (int)sizeof m, MPI_BYTE, ms.MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                    known++;
                    progressed = 1;
                    if (m.k >= 0 && m.k < N) {
                        if (m.error) {
                            if (!first_err) {
                                first_err = m.error;
                                rnl_fail((rnl_status)m.error, "search: %s on rank %d failed with status %d (see its message)",
                                         runs[m.k].label, ms.MPI_SOURCE, m.error);
                                fprintf(stderr, "rnnlab: %s\n", rnl_last_error());
                            }
                        } else {
                            unpack(&m, &runs[m.k]);
                            mpi_report(s, &runs[m.k], ms.MPI_SOURCE, known);
                        }
                    }
                }
                if (mine) {
                    int ws;
                    pid_t p = waitpid((pid_t)mine->pid, &ws, WNOHANG);
                    if (p == (pid_t)mine->pid) {
                        rnl_status rs = rnl_run_reap(mine, ws);
                        known++;
                        progressed = 1;
                        if (rs) {
                            fprintf(stderr, "rnnlab: %s\n", rnl_last_error());
                            first_err = first_err ? first_err : (int)rs;
                        } else {
                            mpi_report(s, mine, 0, known);
                        }
                        mine = NULL;
                    }
                }
                if (progressed) {
                    rnl_status ws = rnl_search_write(s, runs);
                    if (ws && !first_err) {
                        fprintf(stderr, "rnnlab: %s\n", rnl_last_error());
                        first_err = (int)ws;
                    }
                } else {
                    struct timespec ts = {0, 50000000L};
                    nanosleep(&ts, NULL);
                }
            }
            st = (rnl_status)first_err;
            if (first_err) rnl_fail(st, "search: stopped after an error (rerun the same command to resume)");
            if (!st) {
                int best = rnl_runs_best(runs, N);
                if (best < 0) st = rnl_fail(RNL_ERR_NUMERIC, "search: all %d trials diverged (see %s/search.json)", N, s->out);
                else if (!s->quiet)
                    printf("search: best %s of %d: lr %.6g, valid %.4f, test %.4f, train %.4f (%s/search.json)\n",
                           runs[best].label, N, runs[best].o.lr, runs[best].valid_nll, runs[best].test_nll,
                           runs[best].train_nll, s->out);
            }
        }
    }
    free(runs);
    MPI_Finalize();
    return st;
}
#endif

int cmd_search(int argc, char **argv) {
    rnl_search_opts s;
    rnl_search_defaults(&s);
    char range[4096] = "-12:-6";
    const opt opts[] = {
        {"--data", OPT_STRING, s.train.data, 0, 0, "data set: jsb, nottingham, musedata, piano, or a .mat path (required)"},
        {"--data-root", OPT_STRING, s.train.data_root, 0, 0, "where named data sets live"},
        {"--cell", OPT_CELL, &s.train.cell, 0, 0, "recurrent unit: tanh, gru, lstm"},
        {"--variant", OPT_VARIANT, &s.train.variant, 0, 0, "unit equations: paper or pytorch"},
        {"--hidden", OPT_INT, &s.train.hidden, 0, 65536, "hidden units (0 = Table 1's size)"},
        {"--layers", OPT_INT, &s.train.layers, 1, 16, "stacked recurrent layers"},
        {"--batch", OPT_INT, &s.train.batch, 1, 100000, "sequences per update"},
        {"--max-epochs", OPT_INT, &s.train.max_epochs, 1, 100000000, "epoch budget of each trial"},
        {"--patience", OPT_INT, &s.train.patience, 1, 100000000, "early-stopping patience of each trial (epochs)"},
        {"--weight-noise", OPT_DOUBLE, &s.train.weight_noise, 0, 10, "std of the weight noise"},
        {"--bptt", OPT_INT, &s.train.bptt, 0, 100000000, "truncated BPTT window (0 = whole sequences)"},
        {"--lr-decay-epochs", OPT_INT, &s.train.lr_decay_epochs, 0, 100000000, "decay each trial's lr linearly over this many epochs (0 = constant)"},
        {"--lr-final", OPT_DOUBLE, &s.train.lr_final, 0, 1, "with --lr-decay-epochs: final lr as a fraction of the trial's lr"},
        {"--trials", OPT_INT, &s.trials, 1, 100000, "learning rates tried"},
        {"--lr-log-range", OPT_STRING, range, 0, 0, "LO:HI: learning rates log-uniform, exp(U(LO, HI)), natural log"},
        {"--seed", OPT_U64, &s.seed, 0, 0, "seed of the learning-rate draws and of the trials' training seeds"},
        {"--jobs", OPT_INT, &s.jobs, 1, 1024, "trials run at once (one thread each; under mpirun: one per rank)"},
        {"--out", OPT_STRING, s.out, 0, 0, "output directory (required): search.json, trial-NN/"},
        {"--quiet", OPT_FLAG, &s.quiet, 0, 0, "no progress lines"},
    };
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "search",
                      "--data NAME --cell tanh|gru|lstm --out DIR [--trials N] [--lr-log-range LO:HI] [--jobs J] [options]",
                      NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    rnl_status st = parse_range(range, &s.log_lo, &s.log_hi);
    if (st) return cli_fail(st);
    long world = mpi_world_size();
#ifdef RNL_MPI
    if (world > 1) {
        st = search_mpi(&s, self_exe(argv[0]));
        return st ? cli_fail(st) : 0;
    }
#else
    if (world > 1)
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "search: started by mpirun with %ld processes, but this rnnlab was built "
                                 "without MPI: run build/rnnlab-mpi (made when mpicc is installed) under mpirun", world));
#endif
    st = rnl_search(&s, self_exe(argv[0]));
    return st ? cli_fail(st) : 0;
}

int cmd_reproduce(int argc, char **argv) {
    rnl_reproduce_opts o;
    rnl_reproduce_defaults(&o);
    char range[4096] = "-12:-6";
    rnl_search_opts *s = &o.search;
    const opt opts[] = {
        {"--out", OPT_STRING, o.out, 0, 0, "output directory (required)"},
        {"--datasets", OPT_STRING, o.datasets, 0, 0, "comma-separated data sets"},
        {"--cells", OPT_STRING, o.cells, 0, 0, "comma-separated units"},
        {"--trials", OPT_INT, &s->trials, 1, 100000, "learning rates tried per data set and unit"},
        {"--seeds", OPT_INT, &o.seeds, 1, 1000, "further runs at each best learning rate (Table 2's mean and std)"},
        {"--jobs", OPT_INT, &s->jobs, 1, 1024, "runs at once (one thread each)"},
        {"--max-epochs", OPT_INT, &s->train.max_epochs, 1, 100000000, "epoch budget of every run"},
        {"--patience", OPT_INT, &s->train.patience, 1, 100000000, "early-stopping patience of every run (epochs)"},
        {"--lr-log-range", OPT_STRING, range, 0, 0, "LO:HI: learning rates exp(U(LO, HI)), natural log"},
        {"--seed", OPT_U64, &s->seed, 0, 0, "seed of the learning rates and of every run's training seed"},
        {"--hidden", OPT_INT, &s->train.hidden, 0, 65536, "hidden units of every unit (0 = Table 1's sizes)"},
        {"--data-root", OPT_STRING, s->train.data_root, 0, 0, "where named data sets live"},
        {"--quiet", OPT_FLAG, &s->quiet, 0, 0, "no progress lines"},
    };
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "reproduce",
                      "--out DIR [--datasets jsb,nottingham,musedata,piano] [--cells tanh,gru,lstm] [--trials N] "
                      "[--seeds K] [--jobs J] [options]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    rnl_status st = parse_range(range, &s->log_lo, &s->log_hi);
    if (st) return cli_fail(st);
    if (mpi_world_size() > 1)
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "reproduce runs on one machine (use --jobs); under mpirun use "
                                 "`search` for each data set and unit"));
    snprintf(s->out, sizeof s->out, "%s", o.out);
    st = rnl_reproduce(&o, self_exe(argv[0]));
    return st ? cli_fail(st) : 0;
}
