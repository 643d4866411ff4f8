/* cmd_search.c — `search` (the paper's random search over the learning rate, on this machine
 * or over the ranks of an MPI job) and `reproduce` (the paper's grid: Tables 1-2, Figures
 * 2-3). Every trial is a child process running `rnnlab train --resume TRIAL` from the options
 * the search wrote there: see src/run/pool.h. The options are the rows of the option table
 * (src/run/options.h): a search takes every train option except those it sets itself (lr,
 * seed, threads), the grid also those it sets per data set and unit (data, cell).
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
#include "io/lock.h"
#include "io/util.h"
#include "run/grid.h"
#include "run/search.h"
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

/* ================================================================ printing ========== */

/* The tool's printer of a pool's events: on stderr a line per finished run and, on a
 * terminal, a status line rewritten in place every second; notes unless quiet, warnings
 * always. */
typedef struct {
    int quiet;  /* --quiet: warnings only */
    int tty;    /* stderr is a terminal and not quiet */
    int shown;  /* a status line is on the terminal */
} runs_printer;

static void fmt_duration(double s, char *out, size_t size) {
    if (!(s >= 0) || !isfinite(s)) {
        snprintf(out, size, "?");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(out, size, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
    else if (t >= 60) snprintf(out, size, "%ldm%02lds", t / 60, t % 60);
    else snprintf(out, size, "%lds", t);
}

static void clock_prefix(char *out, size_t size) {
    time_t now = time(NULL);
    struct tm tmv;
    localtime_r(&now, &tmv);
    strftime(out, size, "%H:%M:%S", &tmv);
}

static void clear_status(runs_printer *p) {
    if (!p->shown) return;
    fprintf(stderr, "\r\033[K");
    p->shown = 0;
}

static void print_runs_event(void *ctx, const rnl_runs_event *e) {
    runs_printer *p = ctx;
    char s[256], t[32], clk[16];
    if (e->kind == RNL_RUNS_FINISHED || e->kind == RNL_RUNS_STATUS) {
        fmt_duration(e->seconds_left, t, sizeof t);
        snprintf(s, sizeof s, "%d/%d runs done (%d failed), %d running, %d waiting, ~%s left", e->done, e->total,
                 e->failed, e->running, e->waiting, t);
        clock_prefix(clk, sizeof clk);
    }
    switch (e->kind) {
    case RNL_RUNS_FINISHED: {
        if (p->quiet) break;
        const rnl_run *r = e->run;
        if (r->state == RNL_RUN_OK)
            fprintf(stderr, "%s[%s] %s: valid %.4f test %.4f (lr %.3g, best epoch %d of %d, %.0f s) | %s\n",
                    p->tty ? "\r\033[K" : "", clk, r->label, r->valid_nll, r->test_nll, r->o.lr, r->best_epoch,
                    r->epochs, r->seconds, s);
        else
            fprintf(stderr, "%s[%s] %s: failed (lr %.3g): %s | %s\n", p->tty ? "\r\033[K" : "", clk, r->label,
                    r->o.lr, r->error, s);
        p->shown = 0;
        break;
    }
    case RNL_RUNS_STATUS:
        if (!p->tty) break;
        fprintf(stderr, "\r\033[K[%s] %s", clk, s);
        p->shown = 1;
        break;
    case RNL_RUNS_NOTE:
        if (p->quiet) break;
        clear_status(p);
        fprintf(stderr, "rnnlab %s\n", e->text);
        break;
    case RNL_RUNS_WARNING:
        clear_status(p);
        fprintf(stderr, "rnnlab: %s\n", e->text);
        break;
    }
}

#ifdef RNL_MPI
/* One trial's result as sent from a rank to rank 0 (ranks share one architecture). */
typedef struct {
    int k, state, epochs, best_epoch, error;  /* error: the rank's status if it failed */
    long hidden, params_recurrent, params_total;
    double seconds, train_nll, valid_nll, test_nll, train_seq, valid_seq, test_seq;
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
    m->train_seq = r->train_seq;
    m->valid_seq = r->valid_seq;
    m->test_seq = r->test_seq;
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
    r->train_seq = m->train_seq;
    r->valid_seq = m->valid_seq;
    r->test_seq = m->test_seq;
    snprintf(r->error, sizeof r->error, "%s", m->text);
}

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
    rnl_lock *lock = NULL;
    rnl_status st = runs ? RNL_OK : rnl_fail(RNL_ERR_NOMEM, "out of memory for %d trials", N);
    if (!st && rank == 0) st = rnl_dir_lock(s->out, "search", &lock);
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
                if (!st && !rnl_run_finished(&runs[k])) st = run_blocking(exe, &runs[k]);
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
                    if (first_err || rnl_run_finished(r)) {
                        known++;
                        if (rnl_run_finished(r)) mpi_report(s, r, 0, known);
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
    rnl_dir_unlock(lock);
    MPI_Finalize();
    return st;
}
#endif

/* ================================================================ commands ========== */

#define MAX_OPTS 96

int cmd_search(int argc, char **argv) {
    rnl_search_opts s;
    rnl_search_defaults(&s);
    opt opts[MAX_OPTS];
    cli_row rows[MAX_OPTS];
    int n = 0;
    cli_add_rows(opts, rows, &n, MAX_OPTS, rnl_train_options, rnl_train_noptions, &s.train, &s.train.given,
                 RNL_SET_BY_SEARCH, NULL);
    cli_add_rows(opts, rows, &n, MAX_OPTS, rnl_search_options, rnl_search_noptions, &s, &s.given, 0, NULL);
    int r = cli_parse(argc, argv, 2, opts, n, "search",
                      "--data NAME --cell tanh|gru|lstm --out DIR [--trials N] [--lr-log-range LO:HI] [--jobs J] [options]",
                      NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    rnl_status st = rnl_train_options_resolve(&s.train); /* the trials' --protocol defaults */
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
    runs_printer pr = {s.quiet, !s.quiet && isatty(2), 0};
    const rnl_runs_sink sink = {print_runs_event, &pr};
    rnl_run *best = malloc(sizeof *best);
    if (!best) return cli_fail(rnl_fail(RNL_ERR_NOMEM, "out of memory"));
    st = rnl_search(&s, self_exe(argv[0]), &sink, best);
    clear_status(&pr);
    if (!st && !s.quiet)
        printf("search: best %s of %d: lr %.6g, valid %.4f, test %.4f, train %.4f (%s/search.json)\n", best->label,
               s.trials, best->o.lr, best->valid_nll, best->test_nll, best->train_nll, s.out);
    free(best);
    return st ? cli_fail(st) : 0;
}

int cmd_reproduce(int argc, char **argv) {
    rnl_reproduce_opts o;
    rnl_reproduce_defaults(&o);
    rnl_search_opts *s = &o.search;
    opt opts[MAX_OPTS];
    cli_row rows[MAX_OPTS];
    int n = 0;
    cli_add_rows(opts, rows, &n, MAX_OPTS, rnl_train_options, rnl_train_noptions, &s->train, &s->train.given,
                 RNL_SET_BY_SEARCH | RNL_SET_BY_GRID, NULL);
    cli_add_rows(opts, rows, &n, MAX_OPTS, rnl_search_options, rnl_search_noptions, s, &s->given, RNL_SET_BY_GRID, NULL);
    cli_add_rows(opts, rows, &n, MAX_OPTS, rnl_grid_options, rnl_grid_noptions, &o, &o.given, 0, NULL);
    int r = cli_parse(argc, argv, 2, opts, n, "reproduce",
                      "--out DIR [--datasets jsb,nottingham,musedata,piano] [--cells tanh,gru,lstm] [--trials N] "
                      "[--seeds K] [--jobs J] [options]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    if (mpi_world_size() > 1)
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "reproduce runs on one machine (use --jobs); under mpirun use "
                                 "`search` for each data set and unit"));
    rnl_status rs = rnl_train_options_resolve(&s->train); /* the runs' --protocol defaults */
    if (rs) return cli_fail(rs);
    runs_printer pr = {s->quiet, !s->quiet && isatty(2), 0};
    const rnl_runs_sink sink = {print_runs_event, &pr};
    int figures = 0;
    const double t0 = rnl_now();
    rnl_status st = rnl_reproduce(&o, self_exe(argv[0]), &sink, &figures);
    clear_status(&pr);
    if (!st && !s->quiet)
        printf("reproduce: done: %s/table1.md, table2.md, table2.csv%s; %.0f s wall in this session\n", o.out,
               figures ? ", fig-<data>.png/.svg" : " (no figures: gnuplot missing)", rnl_now() - t0);
    return st ? cli_fail(st) : 0;
}
