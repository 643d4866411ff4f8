/* search.c — the paper's random search over the learning rate: the draws, the trials of a
 * search prepared and read back, search.json (its "config" through the option table, checked
 * on a rerun), and the search itself on a pool of child processes. See search.h. */
#include "run/search.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataroot.h"
#include "data/dataset.h"
#include "io/json.h"
#include "io/lock.h"
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

/* ================================================================ stored configs ==== */

rnl_status rnl_config_read(const char *path, rnl_json_doc **doc) {
    *doc = NULL;
    if (!rnl_file_exists(path)) return RNL_OK;
    return rnl_json_read(path, doc);
}

static rnl_status mismatch(const char *path, const char *what, const rnl_option *row, const char *had,
                           const char *want) {
    char name[160];
    return rnl_fail(RNL_ERR_USAGE,
                    "%s: this %s was made with %s %s, the command asks for %s (rerun with the original options or "
                    "choose a new --out)", path, what, rnl_option_cli_name(row, name, sizeof name), had, want);
}

rnl_status rnl_config_compare(const rnl_json *config, const char *path, const char *what, const rnl_option_part *p,
                              int np, const void *want, void *had) {
    char a[RNL_OPT_TEXT_MAX + 64], b[RNL_OPT_TEXT_MAX + 64];
    if (rnl_json_type_of(config) != RNL_JSON_OBJECT)
        return rnl_fail(RNL_ERR_DATA, "%s: no \"config\" object (the file was edited or torn)", path);
    rnl_status st = rnl_option_parts_from_json(p, np, had, config, path);
    if (st) return st;
    const rnl_option *d = rnl_option_parts_diff(p, np, had, want, a, b, sizeof a);
    return d ? mismatch(path, what, d, a, b) : RNL_OK;
}

/* The rows of search.json's "config": the template's stored options except those the search
 * sets itself (lr, seed, threads), and the search's FIXED options (trials, range, seed). */
static int search_config(rnl_option_part p[2]) {
    p[0] = (rnl_option_part){rnl_train_options, rnl_train_noptions, offsetof(rnl_search_opts, train),
                             RNL_ROLES_STORED, RNL_SET_BY_SEARCH};
    p[1] = (rnl_option_part){rnl_search_options, rnl_search_noptions, 0, RNL_ROLE_FIXED, 0};
    return 2;
}

/* A search.json written before the option table (its "lr_log_range" an array): the options it
 * holds are compared, the rest is left to the trials' own checks (rnl_run_load). */
static rnl_status legacy_compare(const rnl_json *cfg, const char *path, const rnl_search_opts *want) {
    rnl_option_part p[2];
    const int np = search_config(p);
    rnl_search_opts had = *want;
    char text[RNL_OPT_TEXT_MAX + 80], a[RNL_OPT_TEXT_MAX + 64], b[RNL_OPT_TEXT_MAX + 64];
    for (int i = 0; i < np; i++)
        for (int j = 0; j < p[i].n; j++) {
            const rnl_option *o = &p[i].tab[j];
            const rnl_json *v = rnl_json_get(cfg, o->key);
            double x, y;
            if (!(o->role & p[i].roles) || (o->set_by & p[i].skip) || !v) continue;
            if (o->type == RNL_OPT_RANGE && rnl_json_len(v) == 2 && rnl_json_number(rnl_json_at(v, 0), &x) &&
                rnl_json_number(rnl_json_at(v, 1), &y))
                snprintf(text, sizeof text, "%.17g:%.17g", x, y);
            else if (rnl_json_number(v, &x))
                snprintf(text, sizeof text, "%.17g", x);
            else if (rnl_json_string(v))
                snprintf(text, sizeof text, "%s", rnl_json_string(v));
            else
                return rnl_fail(RNL_ERR_DATA, "%s: config \"%s\" is neither a number nor a string", path, o->key);
            void *hb = (char *)&had + p[i].at;
            const void *wb = (const char *)want + p[i].at;
            if (rnl_option_parse(o, hb, text, path)) return rnl_fail(RNL_ERR_DATA, "%s", rnl_last_error());
            if (strcmp(rnl_option_format(o, hb, a, sizeof a), rnl_option_format(o, wb, b, sizeof b)) != 0)
                return mismatch(path, "search", o, a, b);
        }
    return RNL_OK;
}

/* A rerun: s against the config of s->out/search.json, if there is one. */
static rnl_status check_search_json(const rnl_search_opts *s) {
    char path[4200];
    rnl_json_doc *doc = NULL;
    rnl_status st = rnl_path_join(path, sizeof path, s->out, "search.json");
    if (!st) st = rnl_config_read(path, &doc);
    if (st || !doc) return st;
    const rnl_json *cfg = rnl_json_get(rnl_json_root(doc), "config");
    if (rnl_json_type_of(rnl_json_get(cfg, "lr_log_range")) == RNL_JSON_ARRAY) {
        st = legacy_compare(cfg, path, s);
    } else {
        rnl_option_part p[2];
        const int np = search_config(p);
        rnl_search_opts had;
        rnl_search_defaults(&had);
        st = rnl_config_compare(cfg, path, "search", p, np, s, &had);
    }
    rnl_json_free(doc);
    return st;
}

/* ================================================================ the search ======== */

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
    /* An option of another unit fails here, before any trial starts; the task is known only
     * once a trial opens the data, which checks the rest. */
    return rnl_train_options_check(&s->train, 0);
}

rnl_status rnl_search_prepare(const rnl_search_opts *s, rnl_run *runs, int stride, int rank) {
    rnl_status st = search_check(s);
    if (!st) st = check_search_json(s);
    /* A trial starts as a resumed run, so a text trial takes the text defaults here. */
    const int text = !st && rnl_dataset_is_text(s->train.data, s->train.data_root[0] ? s->train.data_root : NULL);
    for (int k = 0; k < s->trials && !st; k++) {
        rnl_run *r = &runs[k];
        memset(r, 0, sizeof *r);
        r->o = s->train;
        if (text && (st = rnl_train_task_defaults(&r->o, RNL_APPLY_TEXT))) break;
        r->o.lr = rnl_search_lr(s->seed, k, s->log_lo, s->log_hi);
        r->o.seed = rnl_search_run_seed(s->seed, 0, k);
        r->o.threads = 1;
        r->o.quiet = 1;
        r->epochs = r->best_epoch = 0;
        r->seconds = r->train_nll = r->valid_nll = r->test_nll = NAN;
        r->train_seq = r->valid_seq = r->test_seq = NAN;
        char name[32];
        rnl_search_trial_name(k, s->trials, name, sizeof name);
        snprintf(r->label, sizeof r->label, "%s", name);
        st = rnl_path_join(r->o.out, sizeof r->o.out, s->out, name);
        if (!st && (stride <= 1 || k % stride == rank)) st = rnl_run_load(r);
    }
    return st;
}

static const char *state_name(rnl_run_state s) {
    switch (s) {
    case RNL_RUN_PENDING: return "pending";
    case RNL_RUN_RUNNING: return "running";
    case RNL_RUN_OK: return "ok";
    case RNL_RUN_FAILED: return "failed";
    }
    return NULL;
}

rnl_status rnl_search_write(const rnl_search_opts *s, const rnl_run *runs) {
    rnl_buf b = {0};
    rnl_option_part p[2];
    const int np = search_config(p);
    for (int k = 0; k < s->trials; k++)
        if (!state_name(runs[k].state))
            return rnl_fail(RNL_ERR_INTERNAL, "%s: impossible run state %d", runs[k].label, (int)runs[k].state);
    rnl_buf_printf(&b, "{\n  \"version\": \"%s\",\n  \"config\": {", RNL_VERSION);
    rnl_option_parts_to_json(&b, p, np, s);
    rnl_buf_printf(&b, "},\n  \"complete\": %s,\n  \"trials\": [\n", rnl_runs_finished(runs, s->trials) ? "true" : "false");
    for (int k = 0; k < s->trials; k++) {
        const rnl_run *r = &runs[k];
        int fin = rnl_run_finished(r);
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
        FIELD("train_nll_seq_mean", r->train_seq)
        FIELD("valid_nll_seq_mean", r->valid_seq)
        FIELD("test_nll_seq_mean", r->test_seq)
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

static rnl_status search_cb(void *ctx, rnl_run *runs, int n, int i) {
    (void)n;
    (void)i;
    return rnl_search_write((const rnl_search_opts *)ctx, runs);
}

rnl_status rnl_search(const rnl_search_opts *s, const char *exe, const rnl_runs_sink *sink, rnl_run *best) {
    rnl_lock *lock = NULL;
    rnl_status st = search_check(s);
    if (!st) st = rnl_dir_lock(s->out, "search", &lock);
    if (st) return st;
    rnl_run *runs = calloc((size_t)s->trials, sizeof *runs);
    if (!runs) st = rnl_fail(RNL_ERR_NOMEM, "out of memory for %d trials", s->trials);
    if (!st) st = rnl_search_prepare(s, runs, 1, 0);
    if (!st) st = rnl_runs_execute(exe, runs, s->trials, s->jobs, search_cb, (void *)s, sink);
    if (!st) st = rnl_search_write(s, runs);
    int b = st ? -1 : rnl_runs_best(runs, s->trials);
    if (!st && b < 0) st = rnl_fail(RNL_ERR_NUMERIC, "search: all %d trials diverged (see %s/search.json)", s->trials, s->out);
    if (!st && best) *best = runs[b];
    free(runs);
    rnl_dir_unlock(lock);
    return st;
}
