/* search.c — random search over the learning rate, run scheduling, and the reproduction
 * grid with its tables and figures. See search.h. */
#include "run/search.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "data/dataroot.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "io/util.h"

/* ================================================================ draws ============= */

static uint64_t splitmix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

double rnl_search_lr(uint64_t seed, int k, double lo, double hi) {
    rnl_rng g;
    rnl_rng_seed(&g, seed ^ 0x1ea52a7e5ea4c4ULL);
    double u = 0;
    for (int i = 0; i <= k; i++) u = rnl_rng_uniform(&g);
    return exp(lo + (hi - lo) * u);
}

uint64_t rnl_search_run_seed(uint64_t seed, int stream, int k) {
    return splitmix64(splitmix64(seed) ^ splitmix64(((uint64_t)stream << 32) | (uint64_t)(unsigned)k)) >> 33;
}

void rnl_search_trial_name(int k, int n, char *out, size_t size) {
    int digits = 2;
    for (long lim = 100; n >= lim && digits < 10; lim *= 10) digits++;
    snprintf(out, size, "trial-%0*d", digits & 15, k + 1);
}

/* ================================================================ one run =========== */

static rnl_status mismatch(const char *where, const char *what, const char *had, const char *want) {
    return rnl_fail(RNL_ERR_USAGE,
                    "%s was trained with %s %s, this run asks for %s (rerun with the original "
                    "arguments or choose a new --out)", where, what, had, want);
}

static rnl_status check_double(const char *where, const char *what, double had, double want) {
    if (had == want) return RNL_OK;
    char a[40], b[40];
    snprintf(a, sizeof a, "%.17g", had);
    snprintf(b, sizeof b, "%.17g", want);
    return mismatch(where, what, a, b);
}

static rnl_status check_string(const char *where, const char *what, const char *had, const char *want) {
    if (had && strcmp(had, want) == 0) return RNL_OK;
    return mismatch(where, what, had ? had : "(none)", want);
}

static rnl_status read_summary(rnl_run *r, const char *path) {
    unsigned char *txt = NULL;
    size_t len = 0;
    rnl_json_doc *doc = NULL;
    rnl_status st = rnl_read_file(path, &txt, &len);
    if (!st) st = rnl_json_parse((const char *)txt, len, path, &doc);
    free(txt);
    if (st) return st;
    const rnl_json *root = rnl_json_root(doc), *cfg = rnl_json_get(root, "config");
    const char *status = rnl_json_string(rnl_json_get(root, "status"));
    double lr = NAN, seed = NAN, me = NAN, pa = NAN, v;
    rnl_json_number(rnl_json_get(cfg, "lr"), &lr);
    rnl_json_number(rnl_json_get(root, "seed"), &seed);
    rnl_json_number(rnl_json_get(cfg, "max_epochs"), &me);
    rnl_json_number(rnl_json_get(cfg, "patience"), &pa);
    if (!status || (strcmp(status, "ok") != 0 && strcmp(status, "diverged") != 0))
        st = rnl_fail(RNL_ERR_DATA, "%s: no \"status\" of \"ok\" or \"diverged\"", path);
    if (!st) st = check_string(path, "data", rnl_json_string(rnl_json_get(root, "data")), r->o.data);
    if (!st) st = check_string(path, "unit", rnl_json_string(rnl_json_get(root, "cell")), rnl_cell_name(r->o.cell));
    if (!st) st = check_double(path, "lr", lr, r->o.lr);
    if (!st) st = check_double(path, "seed", seed, (double)r->o.seed);
    if (!st) st = check_double(path, "max_epochs", me, r->o.max_epochs);
    if (!st) st = check_double(path, "patience", pa, r->o.patience);
    if (!st && rnl_json_number(rnl_json_get(root, "hidden"), &v) && r->o.hidden)
        st = check_double(path, "hidden", v, r->o.hidden);
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
#undef NUM
        const char *err = rnl_json_string(rnl_json_get(root, "error"));
        snprintf(r->error, sizeof r->error, "%s", err ? err : (r->state == RNL_RUN_OK ? "" : "diverged"));
    }
    rnl_json_free(doc);
    return st;
}

/* A resume state must hold the same settings as the run asks for. */
static rnl_status check_state(const rnl_run *r, const char *path) {
    rnl_st_file *f = NULL;
    rnl_status st = rnl_st_read(path, &f);
    if (st) return st;
    char want[64];
    const char *s;
    double had;
    st = check_string(path, "data", rnl_st_meta(f, "opt.data"), r->o.data);
    if (!st) st = check_string(path, "unit", rnl_st_meta(f, "opt.cell"), rnl_cell_name(r->o.cell));
    if (!st && (s = rnl_st_meta(f, "opt.lr")) && !rnl_parse_double(s, 0, 1e6, "opt.lr", &had))
        st = check_double(path, "lr", had, r->o.lr);
    snprintf(want, sizeof want, "%llu", (unsigned long long)r->o.seed);
    if (!st) st = check_string(path, "seed", rnl_st_meta(f, "opt.seed"), want);
    snprintf(want, sizeof want, "%d", r->o.max_epochs);
    if (!st) st = check_string(path, "max_epochs", rnl_st_meta(f, "opt.max_epochs"), want);
    snprintf(want, sizeof want, "%d", r->o.patience);
    if (!st) st = check_string(path, "patience", rnl_st_meta(f, "opt.patience"), want);
    rnl_st_free(f);
    return st;
}

rnl_status rnl_run_load(rnl_run *r) {
    char path[4200];
    rnl_status st = rnl_path_join(path, sizeof path, r->o.out, "summary.json");
    if (st) return st;
    r->state = RNL_RUN_PENDING;
    if (rnl_file_exists(path)) return read_summary(r, path);
    if ((st = rnl_path_join(path, sizeof path, r->o.out, "state.safetensors"))) return st;
    if (rnl_file_exists(path)) return check_state(r, path);
    return RNL_OK;
}

rnl_status rnl_run_spawn(const char *exe, rnl_run *r) {
    char state[4200], logp[4200];
    rnl_status st = rnl_mkdir_p(r->o.out);
    if (!st) st = rnl_path_join(state, sizeof state, r->o.out, "state.safetensors");
    if (!st) st = rnl_path_join(logp, sizeof logp, r->o.out, "train.log");
    if (st) return st;
    /* The trial's options go into its directory through the option table; the child
     * starts (or continues) from there. */
    char opath[4200];
    if ((st = rnl_path_join(opath, sizeof opath, r->o.out, "options.json"))) return st;
    if (!rnl_file_exists(state)) {
        rnl_train_opts o = r->o;
        o.threads = 1;
        if ((st = rnl_train_options_write(opath, &o))) return st;
    }
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

/* ================================================================ scheduling ======== */

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

static void status_text(const rnl_run *runs, int n, int jobs, char *out, size_t size) {
    int done = 0, failed = 0, running = 0, waiting = 0;
    double left = 0;
    double now = rnl_now();
    for (int i = 0; i < n; i++) {
        const rnl_run *r = &runs[i];
        if (r->state == RNL_RUN_OK || r->state == RNL_RUN_FAILED) {
            done++;
            failed += r->state == RNL_RUN_FAILED;
            continue;
        }
        double e = expected_seconds(runs, n, r);
        if (r->state == RNL_RUN_RUNNING) {
            running++;
            double rem = e - (now - r->started);
            left += rem > 0 ? rem : 0;
        } else {
            waiting++;
            left += e;
        }
    }
    char t[32];
    fmt_duration(left / (jobs > 0 ? jobs : 1), t, sizeof t);
    snprintf(out, size, "%d/%d runs done (%d failed), %d running, %d waiting, ~%s left", done, n,
             failed, running, waiting, t);
}

static void clock_prefix(char *out, size_t size) {
    time_t now = time(NULL);
    struct tm tmv;
    localtime_r(&now, &tmv);
    strftime(out, size, "%H:%M:%S", &tmv);
}

static void report_finished(const rnl_run *runs, int n, int jobs, const rnl_run *r, int tty) {
    char s[256], clk[16];
    status_text(runs, n, jobs, s, sizeof s);
    clock_prefix(clk, sizeof clk);
    if (r->state == RNL_RUN_OK)
        fprintf(stderr, "%s[%s] %s: valid %.4f test %.4f (lr %.3g, best epoch %d of %d, %.0f s) | %s\n",
                tty ? "\r\033[K" : "", clk, r->label, r->valid_nll, r->test_nll, r->o.lr, r->best_epoch,
                r->epochs, r->seconds, s);
    else
        fprintf(stderr, "%s[%s] %s: failed (lr %.3g): %s | %s\n", tty ? "\r\033[K" : "", clk, r->label,
                r->o.lr, r->error, s);
}

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

rnl_status rnl_runs_execute(const char *exe, rnl_run *runs, int n, int jobs, int quiet,
                            rnl_runs_cb cb, void *ctx) {
    int running = 0, tty = !quiet && isatty(2), finished = -1;
    double last_status = 0;
    rnl_status st = cb ? cb(ctx, runs, n, -1) : RNL_OK;
    while (!st) {
        for (int i = 0; i < n && running < jobs && !st; i++)
            if (runs[i].state == RNL_RUN_PENDING && !runs[i].blocked) {
                st = rnl_run_spawn(exe, &runs[i]);
                running += !st;
            }
        /* Reported once the freed slots are refilled, so "running" counts them. */
        if (finished >= 0 && !quiet) report_finished(runs, n, jobs, &runs[finished], tty);
        finished = -1;
        if (st || running == 0) break;
        int ws;
        pid_t p = waitpid(-1, &ws, WNOHANG);
        if (p == 0) {
            if (tty && rnl_now() - last_status >= 1.0) {
                char s[256], clk[16];
                status_text(runs, n, jobs, s, sizeof s);
                clock_prefix(clk, sizeof clk);
                fprintf(stderr, "\r\033[K[%s] %s", clk, s);
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
    if (tty) fprintf(stderr, "\r\033[K");
    if (st) {
        terminate_all(runs, n);
        return st;
    }
    for (int i = 0; i < n; i++)
        if (runs[i].state == RNL_RUN_PENDING)
            return rnl_fail(RNL_ERR_INTERNAL, "%s: never became ready to run", runs[i].label);
    return RNL_OK;
}

/* ================================================================ search ============ */

static rnl_status search_check(const rnl_search_opts *s) {
    if (!s->train.data[0]) return rnl_fail(RNL_ERR_USAGE, "search: --data is required (%s)", rnl_data_names_help());
    if (!s->out[0]) return rnl_fail(RNL_ERR_USAGE, "search: --out DIR is required");
    if (s->trials < 1) return rnl_fail(RNL_ERR_USAGE, "search: --trials must be at least 1");
    if (!(s->log_lo <= s->log_hi))
        return rnl_fail(RNL_ERR_USAGE, "--lr-log-range %g:%g: the low end is above the high end", s->log_lo, s->log_hi);
    if (!(exp(s->log_lo) >= 1e-12 && exp(s->log_hi) <= 10))
        return rnl_fail(RNL_ERR_USAGE, "--lr-log-range %g:%g: exp() of the range must lie in [1e-12, 10] "
                        "(train's --lr range), i.e. within -27.6:2.3", s->log_lo, s->log_hi);
    if (s->jobs < 1) return rnl_fail(RNL_ERR_USAGE, "search: --jobs must be at least 1");
    return RNL_OK;
}

rnl_status rnl_search_prepare(const rnl_search_opts *s, rnl_run *runs, int stride, int rank) {
    rnl_status st = search_check(s);
    for (int k = 0; k < s->trials && !st; k++) {
        rnl_run *r = &runs[k];
        memset(r, 0, sizeof *r);
        r->o = s->train;
        r->o.lr = rnl_search_lr(s->seed, k, s->log_lo, s->log_hi);
        r->o.seed = rnl_search_run_seed(s->seed, 0, k);
        r->o.threads = 1;
        r->o.quiet = 1;
        r->epochs = r->best_epoch = 0;
        r->seconds = r->train_nll = r->valid_nll = r->test_nll = NAN;
        char name[32];
        rnl_search_trial_name(k, s->trials, name, sizeof name);
        snprintf(r->label, sizeof r->label, "%s", name);
        st = rnl_path_join(r->o.out, sizeof r->o.out, s->out, name);
        if (!st && (stride <= 1 || k % stride == rank)) st = rnl_run_load(r);
    }
    return st;
}

static const char *state_name(rnl_run_state s) {
    return s == RNL_RUN_OK ? "ok" : s == RNL_RUN_FAILED ? "failed" : s == RNL_RUN_RUNNING ? "running" : "pending";
}

rnl_status rnl_search_write(const rnl_search_opts *s, const rnl_run *runs) {
    rnl_buf b = {0};
    const rnl_train_opts *o = &s->train;
    int complete = 1;
    for (int k = 0; k < s->trials; k++) complete &= runs[k].state == RNL_RUN_OK || runs[k].state == RNL_RUN_FAILED;
    rnl_buf_printf(&b, "{\n  \"version\": \"%s\",\n  \"config\": {\"data\": ", RNL_VERSION);
    rnl_buf_json_string(&b, o->data);
    rnl_buf_printf(&b, ", \"cell\": \"%s\", \"variant\": \"%s\", \"hidden\": %d, \"trials\": %d, \"lr_log_range\": [",
                   rnl_cell_name(o->cell), rnl_variant_name(o->variant), o->hidden, s->trials);
    rnl_buf_json_number(&b, s->log_lo);
    rnl_buf_printf(&b, ", ");
    rnl_buf_json_number(&b, s->log_hi);
    rnl_buf_printf(&b, "], \"seed\": %llu, \"max_epochs\": %d, \"patience\": %d},\n",
                   (unsigned long long)s->seed, o->max_epochs, o->patience);
    rnl_buf_printf(&b, "  \"complete\": %s,\n  \"trials\": [\n", complete ? "true" : "false");
    for (int k = 0; k < s->trials; k++) {
        const rnl_run *r = &runs[k];
        int fin = r->state == RNL_RUN_OK || r->state == RNL_RUN_FAILED;
        rnl_buf_printf(&b, "    {\"trial\": %d, \"dir\": ", k + 1);
        rnl_buf_json_string(&b, r->label);
        rnl_buf_printf(&b, ", \"seed\": %llu, \"lr\": ", (unsigned long long)r->o.seed);
        rnl_buf_json_number(&b, r->o.lr);
        rnl_buf_printf(&b, ", \"status\": \"%s\", \"epochs\": ", state_name(r->state));
        rnl_buf_json_number(&b, fin ? r->epochs : NAN);
        rnl_buf_printf(&b, ", \"best_epoch\": ");
        rnl_buf_json_number(&b, fin ? r->best_epoch : NAN);
#define FIELD(key, v)                             \
    rnl_buf_printf(&b, ", \"" key "\": ");        \
    rnl_buf_json_number(&b, fin ? (v) : NAN);
        FIELD("train_nll", r->train_nll)
        FIELD("valid_nll", r->valid_nll)
        FIELD("test_nll", r->test_nll)
        FIELD("seconds", r->seconds)
#undef FIELD
        if (r->state == RNL_RUN_FAILED) {
            rnl_buf_printf(&b, ", \"error\": ");
            rnl_buf_json_string(&b, r->error);
        }
        rnl_buf_printf(&b, "}%s\n", k + 1 < s->trials ? "," : "");
    }
    int best = rnl_runs_best(runs, s->trials);
    if (best >= 0) rnl_buf_printf(&b, "  ],\n  \"best\": %d\n}\n", best);
    else rnl_buf_printf(&b, "  ],\n  \"best\": null\n}\n");
    char path[4200];
    rnl_status st = b.oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory writing search.json")
                          : rnl_path_join(path, sizeof path, s->out, "search.json");
    if (!st) st = rnl_mkdir_p(s->out);
    if (!st) st = rnl_write_file_atomic(path, b.p, b.len);
    rnl_buf_free(&b);
    return st;
}

rnl_status rnl_search_lock(const char *dir) {
    char path[4200];
    rnl_status st = rnl_mkdir_p(dir);
    if (!st) st = rnl_path_join(path, sizeof path, dir, "search.lock");
    if (st) return st;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return rnl_fail(RNL_ERR_IO, "%s: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK) return rnl_fail(RNL_ERR_USAGE, "%s: another search or reproduce is running in this directory", dir);
        return rnl_fail(RNL_ERR_IO, "%s: cannot lock: %s", path, strerror(e));
    }
    return RNL_OK; /* the descriptor stays open: the lock lasts until the process exits */
}

static rnl_status search_cb(void *ctx, rnl_run *runs, int n, int i) {
    (void)n;
    (void)i;
    return rnl_search_write((const rnl_search_opts *)ctx, runs);
}

rnl_status rnl_search(const rnl_search_opts *s, const char *exe) {
    rnl_status st = search_check(s);
    if (!st) st = rnl_search_lock(s->out);
    if (st) return st;
    rnl_run *runs = calloc((size_t)s->trials, sizeof *runs);
    if (!runs) return rnl_fail(RNL_ERR_NOMEM, "out of memory for %d trials", s->trials);
    st = rnl_search_prepare(s, runs, 1, 0);
    if (!st) st = rnl_runs_execute(exe, runs, s->trials, s->jobs, s->quiet, search_cb, (void *)s);
    if (!st) st = rnl_search_write(s, runs);
    int best = rnl_runs_best(runs, s->trials);
    if (!st && best < 0) st = rnl_fail(RNL_ERR_NUMERIC, "search: all %d trials diverged (see %s/search.json)", s->trials, s->out);
    if (!st && !s->quiet)
        printf("search: best %s of %d: lr %.6g, valid %.4f, test %.4f, train %.4f (%s/search.json)\n",
               runs[best].label, s->trials, runs[best].o.lr, runs[best].valid_nll, runs[best].test_nll,
               runs[best].train_nll, s->out);
    free(runs);
    return st;
}

/* ================================================================ reproduce ========= */

typedef struct {
    const char *name, *title;
    double train[3], test[3]; /* tanh, gru, lstm (rnl_cell order is looked up by name) */
} paper_row;

/* Table 2 of the paper: train / test NLL, columns tanh, GRU, LSTM. */
static const paper_row PAPER[] = {
    {"nottingham", "Nottingham", {3.22, 2.79, 3.08}, {3.13, 3.23, 3.20}},
    {"jsb", "JSB Chorales", {8.82, 6.94, 8.15}, {9.10, 8.54, 8.67}},
    {"musedata", "MuseData", {5.64, 5.06, 5.18}, {6.23, 5.99, 6.23}},
    {"piano", "Piano-midi", {5.64, 4.93, 6.49}, {9.03, 8.82, 9.03}},
};

static const paper_row *paper_row_for(const char *data) {
    for (size_t i = 0; i < sizeof PAPER / sizeof *PAPER; i++)
        if (strcmp(PAPER[i].name, data) == 0) return &PAPER[i];
    return NULL;
}

static int paper_col(rnl_cell c) { return c == RNL_CELL_TANH ? 0 : c == RNL_CELL_GRU ? 1 : 2; }

static const char *cell_title(rnl_cell c) { return c == RNL_CELL_TANH ? "tanh" : c == RNL_CELL_GRU ? "GRU" : "LSTM"; }

#define MAX_LIST 16

typedef struct {
    const rnl_reproduce_opts *opt;
    char data[MAX_LIST][64];
    rnl_cell cells[MAX_LIST];
    int nd, nc, per;          /* per = trials + seeds runs per group */
    rnl_search_opts *search;  /* [nd * nc] */
    int gnuplot_missing;
} grid;

static rnl_status split_list(const char *s, const char *what, char out[MAX_LIST][64], int *n) {
    *n = 0;
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0 || len >= 64) return rnl_fail(RNL_ERR_USAGE, "%s: bad list '%s'", what, s);
        if (*n == MAX_LIST) return rnl_fail(RNL_ERR_USAGE, "%s: at most %d names", what, MAX_LIST);
        memcpy(out[*n], p, len);
        out[*n][len] = 0;
        for (int i = 0; i < *n; i++)
            if (strcmp(out[i], out[*n]) == 0) return rnl_fail(RNL_ERR_USAGE, "%s: '%s' given twice", what, out[i]);
        (*n)++;
        p += len + (e ? 1 : 0);
        if (e && !*p) return rnl_fail(RNL_ERR_USAGE, "%s: bad list '%s'", what, s);
    }
    if (*n == 0) return rnl_fail(RNL_ERR_USAGE, "%s: empty list", what);
    return RNL_OK;
}

static rnl_run *group_runs(rnl_run *runs, const grid *g, int gi) { return runs + (size_t)gi * (size_t)g->per; }

static int trials_done(const rnl_run *r, int trials) {
    for (int k = 0; k < trials; k++)
        if (r[k].state != RNL_RUN_OK && r[k].state != RNL_RUN_FAILED) return 0;
    return 1;
}

typedef struct {
    int n;            /* finished seed runs that converged */
    double train_m, train_s, valid_m, valid_s, test_m, test_s;
} seed_stats;

static void mean_std(const double *x, int n, double *m, double *s) {
    double a = 0, q = 0;
    for (int i = 0; i < n; i++) a += x[i];
    *m = n ? a / n : NAN;
    for (int i = 0; i < n; i++) q += (x[i] - *m) * (x[i] - *m);
    *s = n > 1 ? sqrt(q / (n - 1)) : n == 1 ? 0 : NAN;
}

static seed_stats group_stats(const grid *g, const rnl_run *r) {
    seed_stats s;
    double tr[256], va[256], te[256];
    int n = 0, trials = g->opt->search.trials;
    for (int j = 0; j < g->opt->seeds && n < 256; j++) {
        const rnl_run *x = &r[trials + j];
        if (x->state != RNL_RUN_OK) continue;
        tr[n] = x->train_nll;
        va[n] = x->valid_nll;
        te[n] = x->test_nll;
        n++;
    }
    s.n = n;
    mean_std(tr, n, &s.train_m, &s.train_s);
    mean_std(va, n, &s.valid_m, &s.valid_s);
    mean_std(te, n, &s.test_m, &s.test_s);
    return s;
}

static int group_complete(const grid *g, const rnl_run *r) {
    for (int j = 0; j < g->per; j++)
        if (r[j].state != RNL_RUN_OK && r[j].state != RNL_RUN_FAILED) return 0;
    return 1;
}

static rnl_status write_text(const char *dir, const char *name, rnl_buf *b) {
    char path[4200];
    rnl_status st = b->oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory writing %s", name)
                           : rnl_path_join(path, sizeof path, dir, name);
    if (!st) st = rnl_write_file_atomic(path, b->p ? b->p : "", b->len);
    rnl_buf_free(b);
    return st;
}

static const char *data_title(const char *d) {
    const paper_row *p = paper_row_for(d);
    return p ? p->title : d;
}

static rnl_status write_table1(const grid *g, rnl_run *runs) {
    static const char *paper1[3] = {"≈20.1 K", "≈20.2 K", "≈19.8 K"};
    static const int paper_h[3] = {100, 46, 36};
    rnl_buf b = {0};
    rnl_buf_printf(&b, "# Table 1 — units and parameters (music)\n\n"
                       "Recurrent-layer parameters as the paper counts them (input and recurrent weights, "
                       "biases, LSTM peepholes; the output layer excluded), measured by rnnlab "
                       "(`params_recurrent` of summary.json), next to the paper's Table 1. "
                       "`params_total` adds the 88-unit sigmoid output layer.\n\n"
                       "| unit | units (rnnlab) | params_recurrent (rnnlab) | params_total (rnnlab) | paper |\n"
                       "|---|---|---|---|---|\n");
    for (int c = 0; c < g->nc; c++) {
        const rnl_run *found = NULL;
        for (int d = 0; d < g->nd && !found; d++) {
            const rnl_run *r = group_runs(runs, g, d * g->nc + c);
            for (int j = 0; j < g->per && !found; j++)
                if (r[j].state == RNL_RUN_OK && r[j].params_recurrent > 0) found = &r[j];
        }
        int pc = paper_col(g->cells[c]);
        if (found)
            rnl_buf_printf(&b, "| %s | %ld | %ld | %ld | %d units, %s |\n", cell_title(g->cells[c]), found->hidden,
                           found->params_recurrent, found->params_total, paper_h[pc], paper1[pc]);
        else
            rnl_buf_printf(&b, "| %s | — | — | — | %d units, %s |\n", cell_title(g->cells[c]), paper_h[pc], paper1[pc]);
    }
    rnl_buf_printf(&b, "\nThe paper's counts imply about 100 input units (its piano rolls are 93 to 108 keys wide); "
                       "rnnlab's inputs are the 88 keys of the .mat files, so its input matrices W are smaller while "
                       "the hidden sizes, the recurrent matrices U, the biases and the peepholes are the same.\n");
    return write_text(g->opt->out, "table1.md", &b);
}

static rnl_status write_table2(const grid *g, rnl_run *runs) {
    const rnl_reproduce_opts *o = g->opt;
    int T = o->search.trials;
    rnl_buf md = {0}, csv = {0};
    rnl_buf_printf(&md, "# Table 2 — negative log-likelihood per predicted frame (nats), train / test\n\n"
                        "rnnlab: mean ± standard deviation over %d training runs (seeds) at each unit's "
                        "best learning rate from a %d-trial random search (log-uniform, natural log, "
                        "U(%g, %g)); the search's own best trial is not one of them. The paper: one number "
                        "per cell. Bold: the best test NLL of the row.\n\n",
                    o->seeds, T, o->search.log_lo, o->search.log_hi);
    rnl_buf_printf(&md, "| data set |");
    for (int c = 0; c < g->nc; c++) rnl_buf_printf(&md, " %s |", cell_title(g->cells[c]));
    rnl_buf_printf(&md, "\n|---|");
    for (int c = 0; c < g->nc; c++) rnl_buf_printf(&md, "---|");
    rnl_buf_printf(&md, "\n");
    rnl_buf_printf(&csv, "data,cell,hidden,params_recurrent,lr,trials_ok,trials_failed,seeds_ok,train_mean,train_std,"
                         "valid_mean,valid_std,test_mean,test_std,best_trial_train,best_trial_valid,"
                         "best_trial_test,paper_train,paper_test\n");
    rnl_buf details = {0};
    rnl_buf_printf(&details, "\nSearch and seed runs:\n\n| data set | unit | best lr | trials ok / diverged | "
                             "best trial: valid / test | seed runs ok | seed best epochs | seed valid |\n"
                             "|---|---|---|---|---|---|---|---|\n");
    for (int d = 0; d < g->nd; d++) {
        const paper_row *p = paper_row_for(g->data[d]);
        seed_stats ss[MAX_LIST];
        int best_c = -1, paper_best = -1;
        for (int c = 0; c < g->nc; c++) {
            ss[c] = group_stats(g, group_runs(runs, g, d * g->nc + c));
            if (ss[c].n && (best_c < 0 || ss[c].test_m < ss[best_c].test_m)) best_c = c;
            if (p && (paper_best < 0 || p->test[paper_col(g->cells[c])] < p->test[paper_col(g->cells[paper_best])]))
                paper_best = c;
        }
        rnl_buf_printf(&md, "| %s (rnnlab) |", data_title(g->data[d]));
        for (int c = 0; c < g->nc; c++) {
            if (!ss[c].n) {
                rnl_buf_printf(&md, " — |");
                continue;
            }
            const char *bo = c == best_c ? "**" : "";
            rnl_buf_printf(&md, " %.2f ± %.2f / %s%.2f ± %.2f%s |", ss[c].train_m, ss[c].train_s, bo, ss[c].test_m,
                           ss[c].test_s, bo);
        }
        rnl_buf_printf(&md, "\n");
        if (p) {
            rnl_buf_printf(&md, "| %s (paper) |", data_title(g->data[d]));
            for (int c = 0; c < g->nc; c++) {
                int pc = paper_col(g->cells[c]);
                const char *bo = c == paper_best ? "**" : "";
                rnl_buf_printf(&md, " %.2f / %s%.2f%s |", p->train[pc], bo, p->test[pc], bo);
            }
            rnl_buf_printf(&md, "\n");
        }
        for (int c = 0; c < g->nc; c++) {
            const rnl_run *r = group_runs(runs, g, d * g->nc + c);
            int ok = 0, failed = 0, bi = rnl_runs_best(r, T);
            for (int k = 0; k < T; k++) {
                ok += r[k].state == RNL_RUN_OK;
                failed += r[k].state == RNL_RUN_FAILED;
            }
            const rnl_run *bt = bi >= 0 ? &r[bi] : NULL;
            int pc = paper_col(g->cells[c]);
            long hidden = 0, prec = 0;
            for (int j = 0; j < g->per; j++)
                if (r[j].state == RNL_RUN_OK) {
                    hidden = r[j].hidden;
                    prec = r[j].params_recurrent;
                }
            rnl_buf_printf(&csv, "%s,%s,", g->data[d], rnl_cell_name(g->cells[c]));
            if (prec) rnl_buf_printf(&csv, "%ld,%ld", hidden, prec);
            else rnl_buf_printf(&csv, ",");
            rnl_buf_printf(&csv, ",");
            if (bt && trials_done(r, T)) rnl_buf_json_number(&csv, bt->o.lr);
            rnl_buf_printf(&csv, ",%d,%d,%d", ok, failed, ss[c].n);
            const double v[] = {ss[c].train_m, ss[c].train_s, ss[c].valid_m, ss[c].valid_s, ss[c].test_m, ss[c].test_s,
                                bt ? bt->train_nll : NAN, bt ? bt->valid_nll : NAN, bt ? bt->test_nll : NAN,
                                p ? p->train[pc] : NAN, p ? p->test[pc] : NAN};
            for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
                rnl_buf_printf(&csv, ",");
                if (isfinite(v[i])) rnl_buf_printf(&csv, "%.6f", v[i]);
            }
            rnl_buf_printf(&csv, "\n");
            rnl_buf_printf(&details, "| %s | %s |", data_title(g->data[d]), cell_title(g->cells[c]));
            if (bt && trials_done(r, T)) rnl_buf_printf(&details, " %.3g |", bt->o.lr);
            else rnl_buf_printf(&details, " (searching) |");
            rnl_buf_printf(&details, " %d / %d of %d |", ok, failed, T);
            if (bt) rnl_buf_printf(&details, " %.3f / %.3f |", bt->valid_nll, bt->test_nll);
            else rnl_buf_printf(&details, " — |");
            rnl_buf_printf(&details, " %d of %d |", ss[c].n, o->seeds);
            for (int j = 0; j < o->seeds; j++) {
                const rnl_run *x = &r[T + j];
                if (x->state == RNL_RUN_OK) rnl_buf_printf(&details, "%s%d", j ? ", " : " ", x->best_epoch);
                else rnl_buf_printf(&details, "%s%s", j ? ", " : " ", x->state == RNL_RUN_FAILED ? "diverged" : "—");
            }
            if (ss[c].n) rnl_buf_printf(&details, " | %.3f ± %.3f |\n", ss[c].valid_m, ss[c].valid_s);
            else rnl_buf_printf(&details, " | — |\n");
        }
    }
    rnl_buf_append(&md, details.p ? details.p : "", details.len);
    rnl_buf_free(&details);
    rnl_status st = write_text(o->out, "table2.md", &md);
    if (!st) st = write_text(o->out, "table2.csv", &csv);
    else rnl_buf_free(&csv);
    return st;
}

/* gnuplot single-quoted string: a quote is doubled. */
static void gp_string(rnl_buf *b, const char *s) {
    rnl_buf_printf(b, "'");
    for (; *s; s++) rnl_buf_printf(b, *s == '\'' ? "''" : "%c", *s);
    rnl_buf_printf(b, "'");
}

static const char *cell_color(rnl_cell c) {
    return c == RNL_CELL_TANH ? "#d62728" : c == RNL_CELL_GRU ? "#1f77b4" : "#2ca02c";
}

static void gp_panels(rnl_buf *b, const grid *g, const rnl_run *const *best, const char *title) {
    rnl_buf_printf(b, "set multiplot layout 1,2 title ");
    gp_string(b, title);
    rnl_buf_printf(b, " font ',15'\n");
    for (int panel = 0; panel < 2; panel++) {
        rnl_buf_printf(b, "set xlabel '%s'\nplot ", panel ? "wall-clock seconds (training)" : "epoch");
        int first = 1;
        for (int c = 0; c < g->nc; c++) {
            if (!best[c]) continue;
            char mpath[4200];
            if (rnl_path_join(mpath, sizeof mpath, best[c]->o.out, "metrics.csv")) continue;
            for (int curve = 0; curve < 2; curve++) {
                rnl_buf_printf(b, "%s", first ? "" : ", \\\n     ");
                first = 0;
                gp_string(b, mpath);
                rnl_buf_printf(b, " skip 1 using %d:%d with lines lw %s dt %d lc rgb '%s' title '%s-%ld %s'",
                               panel ? 3 : 1, curve ? 4 : 5, curve ? "1.5" : "2.5", curve ? 2 : 1,
                               cell_color(g->cells[c]), cell_title(g->cells[c]), best[c]->hidden,
                               curve ? "train" : "valid");
            }
        }
        rnl_buf_printf(b, "\n");
    }
    rnl_buf_printf(b, "unset multiplot\n");
}

/* Widen [*lo, *hi] to the train and validation NLLs of a metrics.csv. */
static void metrics_range(const char *path, double *lo, double *hi) {
    unsigned char *txt = NULL;
    size_t n = 0;
    if (rnl_read_file(path, &txt, &n)) return;
    for (char *line = strchr((char *)txt, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        double tr, va;
        if (sscanf(line + 1, "%*d,%*d,%*f,%lf,%lf", &tr, &va) != 2) continue;
        if (isfinite(tr) && tr > 0) *lo = fmin(*lo, tr), *hi = fmax(*hi, tr);
        if (isfinite(va) && va > 0) *lo = fmin(*lo, va), *hi = fmax(*hi, va);
    }
    free(txt);
}

/* y range and about 6-12 round tick values covering it (log axis: the ticks are listed). */
static void gp_yaxis(rnl_buf *b, double lo, double hi) {
    if (!(lo < hi)) {
        lo = lo > 0 && isfinite(lo) ? lo * 0.9 : 1;
        hi = lo * 1.25;
    }
    lo /= 1.02;
    hi *= 1.02;
    static const double steps[] = {0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100};
    double step = steps[sizeof steps / sizeof *steps - 1];
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if ((hi - lo) / steps[i] <= 12) {
            step = steps[i];
            break;
        }
    rnl_buf_printf(b, "set yrange [%.6g:%.6g]\nset ytics (", lo, hi);
    int first = 1;
    for (double t = ceil(lo / step) * step; t <= hi; t += step) {
        rnl_buf_printf(b, "%s%.6g", first ? "" : ", ", t);
        first = 0;
    }
    rnl_buf_printf(b, ")\n");
}

/* Run gnuplot on a script; 0 = ok, 127 = not installed, else its exit status. */
static int run_gnuplot(const char *script, const char *logp) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

static rnl_status write_figure(grid *g, rnl_run *runs, int d) {
    const rnl_run *best[MAX_LIST];
    int any = 0;
    for (int c = 0; c < g->nc; c++) {
        const rnl_run *r = group_runs(runs, g, d * g->nc + c);
        int bi = group_complete(g, r) ? rnl_runs_best(r, g->per) : -1;
        best[c] = bi >= 0 ? &r[bi] : NULL;
        any |= bi >= 0;
    }
    if (!any || g->gnuplot_missing) return RNL_OK;
    const char *out = g->opt->out;
    char base[256], script[4200], logp[4200], png[4200], svg[4200], tpng[4300], tsvg[4300], title[256];
    snprintf(base, sizeof base, "fig-%s", g->data[d]);
    snprintf(title, sizeof title, "%s: best-validation run per unit (solid: validation, dashed: train)",
             data_title(g->data[d]));
    rnl_status st = RNL_OK;
    char name[300];
    snprintf(name, sizeof name, "%s.gp", base);
    if (!st) st = rnl_path_join(script, sizeof script, out, name);
    snprintf(name, sizeof name, "%s.log", base);
    if (!st) st = rnl_path_join(logp, sizeof logp, out, name);
    snprintf(name, sizeof name, "%s.png", base);
    if (!st) st = rnl_path_join(png, sizeof png, out, name);
    snprintf(name, sizeof name, "%s.svg", base);
    if (!st) st = rnl_path_join(svg, sizeof svg, out, name);
    if (st) return st;
    snprintf(tpng, sizeof tpng, "%s.tmp", png);
    snprintf(tsvg, sizeof tsvg, "%s.tmp", svg);
    rnl_buf b = {0};
    rnl_buf_printf(&b, "# %s — written by rnnlab reproduce; redraw: gnuplot %s.gp (from the directory reproduce ran in)\n"
                       "set datafile separator ','\nset logscale y\nset grid xtics ytics lc rgb '#dddddd'\n"
                       "set ylabel 'NLL per frame (nats, log scale)'\nset key top right box opaque\n"
                       "set format y '%%g'\nset autoscale xfix\nset offsets 0, graph 0.02, 0, 0\n",
                   base, base);
    double lo = INFINITY, hi = -INFINITY;
    for (int c = 0; c < g->nc; c++) {
        char mpath[4200];
        if (best[c] && !rnl_path_join(mpath, sizeof mpath, best[c]->o.out, "metrics.csv")) metrics_range(mpath, &lo, &hi);
    }
    gp_yaxis(&b, lo, hi);
    rnl_buf_printf(&b, "set terminal pngcairo size 1500,600 font 'DejaVu Sans,12'\nset output ");
    gp_string(&b, tpng);
    rnl_buf_printf(&b, "\n");
    gp_panels(&b, g, best, title);
    rnl_buf_printf(&b, "set output\nset terminal svg size 1500,600 dynamic font 'DejaVu Sans,12'\nset output ");
    gp_string(&b, tsvg);
    rnl_buf_printf(&b, "\n");
    gp_panels(&b, g, best, title);
    rnl_buf_printf(&b, "set output\n");
    snprintf(name, sizeof name, "%s.gp", base);
    if ((st = write_text(out, name, &b))) return st;
    int rc = run_gnuplot(script, logp);
    if (rc == 127) {
        g->gnuplot_missing = 1;
        fprintf(stderr, "rnnlab: reproduce: gnuplot not found, figures skipped (apt-get install gnuplot-nox; "
                        "rerun reproduce to draw them)\n");
        return RNL_OK;
    }
    if (rc != 0) return rnl_fail(RNL_ERR_IO, "%s: gnuplot failed (exit %d), see %s", script, rc, logp);
    if (rename(tpng, png) != 0 || rename(tsvg, svg) != 0)
        return rnl_fail(RNL_ERR_IO, "%s: cannot rename the figures into place: %s", out, strerror(errno));
    return RNL_OK;
}

static rnl_status write_reports(grid *g, rnl_run *runs, int figures_for) {
    rnl_status st = write_table1(g, runs);
    if (!st) st = write_table2(g, runs);
    /* A figure that cannot be drawn is reported and the grid goes on: the runs matter more. */
    for (int d = 0; d < g->nd && !st; d++)
        if ((figures_for < 0 || figures_for == d) && write_figure(g, runs, d))
            fprintf(stderr, "rnnlab: reproduce: warning: %s\n", rnl_last_error());
    return st;
}

/* Once a group's search is over: its seed runs get the best learning rate and may start. */
static rnl_status release_seeds(grid *g, rnl_run *runs, int gi) {
    rnl_run *r = group_runs(runs, g, gi);
    int T = g->opt->search.trials;
    if (!r[T].blocked || !trials_done(r, T)) return RNL_OK;
    int bi = rnl_runs_best(r, T);
    rnl_status st = rnl_search_write(&g->search[gi], r);
    for (int j = T; j < g->per && !st; j++) {
        r[j].blocked = 0;
        if (bi < 0) {
            r[j].state = RNL_RUN_FAILED;
            snprintf(r[j].error, sizeof r[j].error, "every trial of the search diverged");
            continue;
        }
        r[j].o.lr = r[bi].o.lr;
        st = rnl_run_load(&r[j]);
    }
    return st;
}

static rnl_status grid_cb(void *ctx, rnl_run *runs, int n, int i) {
    grid *g = ctx;
    (void)n;
    rnl_status st = RNL_OK;
    int T = g->opt->search.trials;
    if (i < 0) {
        for (int gi = 0; gi < g->nd * g->nc && !st; gi++) {
            st = rnl_search_write(&g->search[gi], group_runs(runs, g, gi));
            if (!st) st = release_seeds(g, runs, gi);
        }
        return st ? st : write_reports(g, runs, -1);
    }
    int gi = runs[i].group;
    rnl_run *r = group_runs(runs, g, gi);
    if (i - gi * g->per < T) {
        st = rnl_search_write(&g->search[gi], r);
        if (!st) st = release_seeds(g, runs, gi);
    }
    if (!st) st = write_reports(g, runs, group_complete(g, r) ? gi / g->nc : MAX_LIST);
    return st;
}

rnl_status rnl_reproduce(const rnl_reproduce_opts *o, const char *exe) {
    grid g;
    memset(&g, 0, sizeof g);
    g.opt = o;
    char cells[MAX_LIST][64];
    if (!o->out[0]) return rnl_fail(RNL_ERR_USAGE, "reproduce: --out DIR is required");
    if (o->seeds < 1) return rnl_fail(RNL_ERR_USAGE, "reproduce: --seeds must be at least 1");
    rnl_status st = split_list(o->datasets, "--datasets", g.data, &g.nd);
    if (!st) st = split_list(o->cells, "--cells", cells, &g.nc);
    for (int c = 0; c < g.nc && !st; c++) st = rnl_cell_parse(cells[c], &g.cells[c]);
    for (int d = 0; d < g.nd && !st; d++) {
        char path[4200];
        st = rnl_data_resolve(g.data[d], o->search.train.data_root[0] ? o->search.train.data_root : NULL, path,
                              sizeof path);
    }
    if (!st) st = rnl_search_lock(o->out);
    if (st) return st;
    int T = o->search.trials, G = g.nd * g.nc;
    g.per = T + o->seeds;
    rnl_run *runs = calloc((size_t)G * (size_t)g.per, sizeof *runs);
    g.search = calloc((size_t)G, sizeof *g.search);
    if (!runs || !g.search) st = rnl_fail(RNL_ERR_NOMEM, "out of memory for the grid");
    for (int gi = 0; gi < G && !st; gi++) {
        int d = gi / g.nc, c = gi % g.nc;
        rnl_search_opts *s = &g.search[gi];
        *s = o->search;
        snprintf(s->train.data, sizeof s->train.data, "%s", g.data[d]);
        s->train.cell = g.cells[c];
        char name[96];
        snprintf(name, sizeof name, "%s-%s", g.data[d], rnl_cell_name(g.cells[c]));
        if ((st = rnl_path_join(s->out, sizeof s->out, o->out, name))) break;
        rnl_run *r = group_runs(runs, &g, gi);
        if ((st = rnl_search_prepare(s, r, 1, 0))) break;
        for (int j = 0; j < g.per; j++) {
            char lab[64];
            if (j >= T) {
                r[j] = r[0];
                r[j].state = RNL_RUN_PENDING;
                r[j].blocked = 1;
                r[j].o.lr = 0;
                r[j].o.seed = rnl_search_run_seed(o->search.seed, 1, j - T);
                r[j].epochs = r[j].best_epoch = 0;
                r[j].seconds = r[j].train_nll = r[j].valid_nll = r[j].test_nll = NAN;
                r[j].error[0] = 0;
                snprintf(lab, sizeof lab, "seed-%d", j - T + 1);
                if ((st = rnl_path_join(r[j].o.out, sizeof r[j].o.out, s->out, lab))) break;
            } else {
                snprintf(lab, sizeof lab, "%s", r[j].label);
            }
            r[j].group = gi;
            snprintf(r[j].label, sizeof r[j].label, "%s/%s", name, lab);
        }
    }
    if (!st && !o->search.quiet)
        fprintf(stderr, "rnnlab reproduce: %d data set(s) x %d unit(s): %d search trials + %d seed runs each, "
                        "%d at a time, into %s\n", g.nd, g.nc, T, o->seeds, o->search.jobs, o->out);
    if (!st) st = rnl_runs_execute(exe, runs, G * g.per, o->search.jobs, o->search.quiet, grid_cb, &g);
    if (!st) st = write_reports(&g, runs, -1);
    if (!st && !o->search.quiet)
        printf("reproduce: done: %s/table1.md, table2.md, table2.csv%s\n", o->out,
               g.gnuplot_missing ? " (no figures: gnuplot missing)" : ", fig-<data>.png/.svg");
    free(runs);
    free(g.search);
    return st;
}
