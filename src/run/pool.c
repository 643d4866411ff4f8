/* pool.c — training runs as child processes and the pool that runs them J at a time: read a
 * run back (its options checked through the option table), start it, account for its exit,
 * and report what happens through the caller's sink. See pool.h. */
#include "run/pool.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "data/dataroot.h"
#include "data/dataset.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "io/util.h"

int rnl_run_finished(const rnl_run *r) { return r->state == RNL_RUN_OK || r->state == RNL_RUN_FAILED; }

int rnl_runs_finished(const rnl_run *runs, int n) {
    for (int i = 0; i < n; i++)
        if (!rnl_run_finished(&runs[i])) return 0;
    return 1;
}

/* ================================================================ one run =========== */

/* The results of a finished run from its summary.json (its options were checked before). */
static rnl_status read_summary(rnl_run *r, const char *path) {
    rnl_json_doc *doc = NULL;
    rnl_status st = rnl_json_read(path, &doc);
    if (st) return st;
    const rnl_json *root = rnl_json_root(doc);
    const char *status = rnl_json_string(rnl_json_get(root, "status"));
    double v;
    if (!status || (strcmp(status, "ok") != 0 && strcmp(status, "diverged") != 0))
        st = rnl_fail(RNL_ERR_DATA, "%s: no \"status\" of \"ok\" or \"diverged\"", path);
    if (!st) {
        r->state = strcmp(status, "ok") == 0 ? RNL_RUN_OK : RNL_RUN_FAILED;
        r->epochs = rnl_json_number(rnl_json_get(root, "epochs"), &v) ? (int)v : 0;
        r->best_epoch = rnl_json_number(rnl_json_get(root, "best_epoch"), &v) ? (int)v : 0;
        r->hidden = rnl_json_number(rnl_json_get(root, "hidden"), &v) ? (long)v : 0;
        r->params_recurrent = rnl_json_number(rnl_json_get(root, "params_recurrent"), &v) ? (long)v : 0;
        r->params_total = rnl_json_number(rnl_json_get(root, "params_total"), &v) ? (long)v : 0;
#define NUM(key, field) r->field = rnl_json_number(rnl_json_get(root, key), &v) ? v : NAN;
        NUM("seconds", seconds)
        NUM("train_nll", train_nll)
        NUM("valid_nll", valid_nll)
        NUM("test_nll", test_nll)
        NUM("train_nll_seq_mean", train_seq)
        NUM("valid_nll_seq_mean", valid_seq)
        NUM("test_nll_seq_mean", test_seq)
#undef NUM
        const char *err = rnl_json_string(rnl_json_get(root, "error"));
        snprintf(r->error, sizeof r->error, "%s", err ? err : (r->state == RNL_RUN_OK ? "" : "diverged"));
    }
    rnl_json_free(doc);
    return st;
}

/* Table 1's size for o's unit and task (the task from the data: a directory is speech, a text
 * file text, the rest music). */
static rnl_status table1_hidden(const rnl_train_opts *o, int *hidden) {
    char path[4200];
    struct stat sb;
    const char *root = o->data_root[0] ? o->data_root : NULL;
    rnl_status st = rnl_data_resolve(o->data, root, path, sizeof path);
    if (st) return st;
    const int speech = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
    const unsigned task = speech ? RNL_APPLY_SPEECH : rnl_dataset_is_text(o->data, root) ? RNL_APPLY_TEXT : RNL_APPLY_MUSIC;
    if (!(*hidden = rnl_default_hidden(o->cell, task)))
        return rnl_fail(RNL_ERR_INTERNAL, "%s: no Table 1 size for unit %d", o->out, (int)o->cell);
    return RNL_OK;
}

/* The options a run was made with (had, read from `path`) against what is asked for. */
static rnl_status check_options(const rnl_run *r, const rnl_train_opts *had, const char *path) {
    char a[RNL_OPT_TEXT_MAX + 64], b[RNL_OPT_TEXT_MAX + 64], name[160];
    rnl_train_opts want = r->o;
    const rnl_option *d = rnl_options_diff(rnl_train_options, rnl_train_noptions, had, &want, RNL_ROLES_STORED,
                                           a, b, sizeof a);
    /* train stores hidden 0 as the size it resolved to. */
    if (d && strcmp(d->key, "hidden") == 0 && want.hidden == 0) {
        int h = 0;
        rnl_status st = table1_hidden(&want, &h);
        if (st) return st;
        if (had->hidden == h) {
            want.hidden = h;
            d = rnl_options_diff(rnl_train_options, rnl_train_noptions, had, &want, RNL_ROLES_STORED, a, b, sizeof a);
        }
    }
    if (!d) return RNL_OK;
    return rnl_fail(RNL_ERR_USAGE,
                    "%s: this run was made with %s %s, the command asks for %s (rerun with the original options "
                    "or choose a new --out)", path, rnl_option_cli_name(d, name, sizeof name), a, b);
}

/* A run made before options.json existed: its options from its resume state. */
static rnl_status read_state_options(const char *path, rnl_train_opts *o) {
    rnl_st_file *f = NULL;
    rnl_status st = rnl_st_read(path, &f);
    if (st) return st;
    rnl_train_defaults(o);
    st = rnl_options_from_meta(rnl_train_options, rnl_train_noptions, o, RNL_ROLES_STORED, f, "opt.");
    rnl_st_free(f);
    return st;
}

rnl_status rnl_run_load(rnl_run *r) {
    char opts[4200], state[4200], summary[4200];
    rnl_status st = rnl_path_join(opts, sizeof opts, r->o.out, "options.json");
    if (!st) st = rnl_path_join(state, sizeof state, r->o.out, "state.safetensors");
    if (!st) st = rnl_path_join(summary, sizeof summary, r->o.out, "summary.json");
    if (st) return st;
    r->state = RNL_RUN_PENDING;
    rnl_train_opts had;
    if (rnl_file_exists(opts)) {
        if ((st = rnl_train_options_read(opts, &had)) || (st = check_options(r, &had, opts))) return st;
    } else if (rnl_file_exists(state)) {
        if ((st = read_state_options(state, &had)) || (st = check_options(r, &had, state))) return st;
    } else if (rnl_file_exists(summary)) {
        return rnl_fail(RNL_ERR_DATA, "%s: a finished run without options.json or state.safetensors, so how it "
                        "was trained is not known (move it away or choose a new --out)", r->o.out);
    }
    return rnl_file_exists(summary) ? read_summary(r, summary) : RNL_OK;
}

rnl_status rnl_run_spawn(const char *exe, rnl_run *r) {
    char state[4200], logp[4200], opath[4200];
    rnl_status st = rnl_mkdir_p(r->o.out);
    if (!st) st = rnl_path_join(state, sizeof state, r->o.out, "state.safetensors");
    if (!st) st = rnl_path_join(logp, sizeof logp, r->o.out, "train.log");
    if (!st) st = rnl_path_join(opath, sizeof opath, r->o.out, "options.json");
    /* The run's options go into its directory through the option table; the child starts
     * (or continues) from there. A run with a state continues from the state's options. */
    if (!st && !rnl_file_exists(state)) st = rnl_train_options_write(opath, &r->o);
    if (st) return st;
    char *argv[] = {"rnnlab", "train", "--resume", r->o.out, "--quiet", NULL};
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return rnl_fail(RNL_ERR_IO, "%s: cannot start a training process: %s", r->label, strerror(errno));
    if (pid == 0) {
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(127);
#else
        (void)parent;
#endif
        int fd = open(logp, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0) {
            dup2(nul, 0);
            close(nul);
        }
        execv(exe, argv);
        /* The child's own stderr is the run's train.log. */
        dprintf(2, "rnnlab: cannot run %s: %s\n", exe, strerror(errno));
        _exit(127);
    }
    r->pid = (long)pid;
    r->state = RNL_RUN_RUNNING;
    r->started = rnl_now();
    return RNL_OK;
}

/* The last non-empty line of a run's train.log, without the "rnnlab: " prefix. */
static void last_log_line(const rnl_run *r, char *out, size_t size) {
    char path[4200];
    unsigned char *txt = NULL;
    size_t n = 0;
    snprintf(out, size, "no message");
    if (rnl_path_join(path, sizeof path, r->o.out, "train.log") || rnl_read_file(path, &txt, &n)) return;
    while (n > 0 && (txt[n - 1] == '\n' || txt[n - 1] == '\r')) n--;
    size_t b = n;
    while (b > 0 && txt[b - 1] != '\n') b--;
    const char *line = (const char *)txt + b;
    if (strncmp(line, "rnnlab: ", 8) == 0) line += 8;
    snprintf(out, size, "%.*s", (int)(n - (size_t)(line - (const char *)txt)), line);
    free(txt);
}

rnl_status rnl_run_reap(rnl_run *r, int ws) {
    char path[4200];
    r->pid = 0;
    r->state = RNL_RUN_PENDING;
    rnl_status st = rnl_path_join(path, sizeof path, r->o.out, "summary.json");
    if (st) return st;
    if (WIFEXITED(ws) && (WEXITSTATUS(ws) == 0 || WEXITSTATUS(ws) == RNL_ERR_NUMERIC)) {
        if (rnl_file_exists(path)) return read_summary(r, path);
        if (WEXITSTATUS(ws) == RNL_ERR_NUMERIC) {
            r->state = RNL_RUN_FAILED;
            last_log_line(r, r->error, sizeof r->error);
            return RNL_OK;
        }
        return rnl_fail(RNL_ERR_INTERNAL, "%s: train exited 0 but wrote no summary.json", r->label);
    }
    char msg[512];
    last_log_line(r, msg, sizeof msg);
    if (WIFEXITED(ws)) {
        int code = WEXITSTATUS(ws);
        if (code == 127) return rnl_fail(RNL_ERR_INTERNAL, "%s: could not run the training process: %s", r->label, msg);
        return rnl_fail(code >= 2 && code <= 7 ? (rnl_status)code : RNL_ERR_INTERNAL,
                        "%s: train exited %d: %s", r->label, code, msg);
    }
    return rnl_fail(RNL_ERR_INTERNAL, "%s: train was killed by signal %d", r->label,
                    WIFSIGNALED(ws) ? WTERMSIG(ws) : 0);
}

int rnl_runs_best(const rnl_run *runs, int n) {
    int best = -1;
    for (int i = 0; i < n; i++)
        if (runs[i].state == RNL_RUN_OK && isfinite(runs[i].valid_nll) &&
            (best < 0 || runs[i].valid_nll < runs[best].valid_nll))
            best = i;
    return best;
}

/* ================================================================ reporting ========= */

void rnl_runs_say(const rnl_runs_sink *sink, rnl_runs_event_kind kind, const char *fmt, ...) {
    if (!sink || !sink->fn) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    rnl_runs_event e = {.kind = kind, .seconds_left = NAN, .text = line};
    sink->fn(sink->ctx, &e);
}

/* Expected seconds of a run: the mean training time of the finished runs on the same data
 * set, else of all finished runs; NAN if nothing has finished. */
static double expected_seconds(const rnl_run *runs, int n, const rnl_run *r) {
    double same = 0, all = 0;
    int ns = 0, na = 0;
    for (int i = 0; i < n; i++) {
        if (runs[i].state != RNL_RUN_OK || !isfinite(runs[i].seconds)) continue;
        all += runs[i].seconds;
        na++;
        if (strcmp(runs[i].o.data, r->o.data) == 0) {
            same += runs[i].seconds;
            ns++;
        }
    }
    return ns ? same / ns : na ? all / na : NAN;
}

/* The pool's counts and the expected time left: the remaining expected seconds of every
 * unfinished run, shared by the `jobs` slots. */
static void report(const rnl_runs_sink *sink, rnl_runs_event_kind kind, const rnl_run *runs, int n, int jobs,
                   const rnl_run *r) {
    if (!sink || !sink->fn) return;
    rnl_runs_event e = {.kind = kind, .run = r, .total = n};
    double left = 0, now = rnl_now();
    for (int i = 0; i < n; i++) {
        const rnl_run *x = &runs[i];
        if (rnl_run_finished(x)) {
            e.done++;
            e.failed += x->state == RNL_RUN_FAILED;
            continue;
        }
        double t = expected_seconds(runs, n, x);
        if (x->state == RNL_RUN_RUNNING) {
            e.running++;
            double rem = t - (now - x->started);
            left += rem > 0 ? rem : 0;
        } else {
            e.waiting++;
            left += t;
        }
    }
    e.seconds_left = left / (jobs > 0 ? jobs : 1);
    sink->fn(sink->ctx, &e);
}

/* ================================================================ the pool ========== */

static void terminate_all(rnl_run *runs, int n) {
    for (int i = 0; i < n; i++)
        if (runs[i].state == RNL_RUN_RUNNING && runs[i].pid > 0) kill((pid_t)runs[i].pid, SIGTERM);
    for (int i = 0; i < n; i++)
        if (runs[i].state == RNL_RUN_RUNNING && runs[i].pid > 0) {
            int ws;
            while (waitpid((pid_t)runs[i].pid, &ws, 0) < 0 && errno == EINTR) {}
            runs[i].pid = 0;
            runs[i].state = RNL_RUN_PENDING;
        }
}

rnl_status rnl_runs_execute(const char *exe, rnl_run *runs, int n, int jobs, rnl_runs_cb cb, void *ctx,
                            const rnl_runs_sink *sink) {
    int running = 0, finished = -1;
    double last_status = 0;
    rnl_status st = cb ? cb(ctx, runs, n, -1) : RNL_OK;
    while (!st) {
        for (int i = 0; i < n && running < jobs && !st; i++)
            if (runs[i].state == RNL_RUN_PENDING && !runs[i].blocked) {
                st = rnl_run_spawn(exe, &runs[i]);
                running += !st;
            }
        /* Reported once the freed slots are refilled, so "running" counts them. */
        if (finished >= 0) report(sink, RNL_RUNS_FINISHED, runs, n, jobs, &runs[finished]);
        finished = -1;
        if (st || running == 0) break;
        int ws;
        pid_t p = waitpid(-1, &ws, WNOHANG);
        if (p == 0) {
            if (rnl_now() - last_status >= 1.0) {
                report(sink, RNL_RUNS_STATUS, runs, n, jobs, NULL);
                last_status = rnl_now();
            }
            struct timespec ts = {0, 100000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        if (p < 0) {
            if (errno == EINTR) continue;
            st = rnl_fail(RNL_ERR_INTERNAL, "waiting for the training processes: %s", strerror(errno));
            break;
        }
        int i = 0;
        while (i < n && !(runs[i].state == RNL_RUN_RUNNING && runs[i].pid == (long)p)) i++;
        if (i == n) continue;
        running--;
        if ((st = rnl_run_reap(&runs[i], ws))) break;
        finished = i;
        if (cb) st = cb(ctx, runs, n, i);
    }
    if (st) {
        terminate_all(runs, n);
        return st;
    }
    for (int i = 0; i < n; i++)
        if (runs[i].state == RNL_RUN_PENDING)
            return rnl_fail(RNL_ERR_INTERNAL, "%s: never became ready to run", runs[i].label);
    return RNL_OK;
}
