/* test_rerun.c — a rerun into an existing search or grid with any one option changed is
 * refused (RNL_ERR_USAGE naming the option), for every row of the option table that a search
 * or a grid exposes; an identical rerun, or one that changes only how the process runs
 * (--jobs, --quiet), is accepted. The rows and their changed values come from the table, so
 * a new option is tested without touching this file (a new text option needs its value in
 * TEXT_VALUES, or the test fails).
 *
 * Checked on prepared directories, without training: search.json's config
 * (rnl_search_prepare), each trial's options.json and, for a trial made before options.json
 * existed, its state.safetensors (rnl_run_load), and reproduce.json (rnl_reproduce_check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "io/safetensors.h"
#include "io/util.h"
#include "run/grid.h"
#include "run/search.h"

#define TEXT_N (RNL_OPT_TEXT_MAX + 64)

/* Changed values of the text rows: valid, and unlike their values below. */
static const struct {
    const char *key, *value;
} TEXT_VALUES[] = {
    {"data", "nottingham"},
    {"data_root", "/tmp/rnnlab-test-rerun-other-root"},
    {"split", "80/10/10"},
    {"datasets", "jsb,nottingham"},
    {"cells", "gru"},
};

/* Set row o of the struct at base to another valid value (its canonical text differs);
 * the new text into text. 0 if the test knows no other value. */
static int change(const rnl_option *o, void *base, char *text) {
    char cur[TEXT_N], cand[8][TEXT_N], now[TEXT_N];
    int nc = 0;
    rnl_option_format(o, base, cur, sizeof cur);
    switch (o->type) {
    case RNL_OPT_INT:
    case RNL_OPT_SEED:
    case RNL_OPT_FLAG: {
        long v = strtol(cur, NULL, 10);
        snprintf(cand[nc++], TEXT_N, "%ld", v + 1);
        snprintf(cand[nc++], TEXT_N, "%ld", v - 1);
        break;
    }
    case RNL_OPT_REAL: {
        double v = strtod(cur, NULL);
        const double c[] = {v * 2, v / 2, v + 0.5, v - 0.5, (o->lo + o->hi) / 2};
        for (size_t i = 0; i < sizeof c / sizeof *c; i++) snprintf(cand[nc++], TEXT_N, "%.17g", c[i]);
        break;
    }
    case RNL_OPT_CELL:
        snprintf(cand[nc++], TEXT_N, "tanh");
        snprintf(cand[nc++], TEXT_N, "gru");
        snprintf(cand[nc++], TEXT_N, "lstm");
        break;
    case RNL_OPT_VARIANT:
        snprintf(cand[nc++], TEXT_N, "paper");
        snprintf(cand[nc++], TEXT_N, "pytorch");
        break;
    case RNL_OPT_CHOICE:
        for (const char *p = o->choices; *p && nc < 8;) {
            const char *bar = strchr(p, '|');
            int len = bar ? (int)(bar - p) : (int)strlen(p);
            snprintf(cand[nc++], TEXT_N, "%.*s", len, p);
            if (!bar) break;
            p = bar + 1;
        }
        break;
    case RNL_OPT_TEXT:
        for (size_t i = 0; i < sizeof TEXT_VALUES / sizeof *TEXT_VALUES; i++)
            if (strcmp(TEXT_VALUES[i].key, o->key) == 0) snprintf(cand[nc++], TEXT_N, "%s", TEXT_VALUES[i].value);
        break;
    case RNL_OPT_RANGE: {
        const double *r = (const double *)((const char *)base + o->offset);
        snprintf(cand[nc++], TEXT_N, "%.17g:%.17g", r[0] - 1, r[1]);
        snprintf(cand[nc++], TEXT_N, "%.17g:%.17g", r[0], r[1] - 1);
        break;
    }
    }
    for (int i = 0; i < nc; i++) {
        if (rnl_option_parse(o, base, cand[i], NULL)) continue;
        rnl_option_format(o, base, now, sizeof now);
        if (strcmp(now, cur) != 0) {
            snprintf(text, TEXT_N, "%s", now);
            return 1;
        }
    }
    return 0;
}

/* The last error names the option: "... made with --NAME ..." after "FILE: this WHAT". */
static int names(const char *file, const char *what, const rnl_option *o) {
    char cli[160], want[4600];
    rnl_option_cli_name(o, cli, sizeof cli);
    snprintf(want, sizeof want, "%s: this %s was made with %s ", file, what, cli);
    return strstr(rnl_last_error(), want) != NULL;
}

static int exposed_by_search(const rnl_option *tab, const rnl_option *o) {
    return tab == rnl_search_options ? o->role == RNL_ROLE_FIXED
                                     : !(o->set_by & RNL_SET_BY_SEARCH) && (o->role & RNL_ROLES_STORED);
}

/* The base search: every row's value applies to it (an LSTM, so --forget-bias does; a decay,
 * so --lr-final does), so each change is refused by the rerun check and nothing else. */
static void base_search(rnl_search_opts *s, const char *dir) {
    rnl_search_defaults(s);
    snprintf(s->train.data, sizeof s->train.data, "jsb");
    s->train.cell = RNL_CELL_LSTM;
    s->train.lr_decay_epochs = 10;
    s->trials = 2;
    s->jobs = 1;
    snprintf(s->out, sizeof s->out, "%s", dir);
}

/* Hide (or bring back) a file of dir. */
static void move(const char *dir, const char *from, const char *to) {
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/%s", dir, from);
    snprintf(b, sizeof b, "%s/%s", dir, to);
    CHECK(rename(a, b) == 0, "rename %s -> %s", a, b);
}

/* Trial 0's resume state as train wrote it before options.json existed: the options as
 * "opt.<key>" metadata beside a tensor. */
static rnl_status write_legacy_state(const rnl_train_opts *o) {
    char path[4200];
    rnl_st_writer *w = NULL;
    rnl_real x = 0;
    int64_t shape[1] = {1};
    rnl_status st = rnl_path_join(path, sizeof path, o->out, "state.safetensors");
    if (!st) st = rnl_st_writer_create(&w);
    if (!st) st = rnl_st_add_real(w, "params", 1, shape, &x);
    if (!st) st = rnl_options_to_meta(w, rnl_train_options, rnl_train_noptions, o, RNL_ROLES_STORED, "opt.");
    if (!st) st = rnl_st_write(w, path);
    rnl_st_writer_free(w);
    return st;
}

/* Every exposed row of the search changed in turn: refused by search.json (where = NULL) or,
 * with search.json hidden, by trial-01's file `trial_file` (only the rows that change what a
 * trial trains: not --trials). Returns the number of rows refused. */
static int search_rows(const rnl_search_opts *s0, rnl_run *runs, const char *fresh, const char *trial_file) {
    const rnl_option *tabs[2] = {rnl_train_options, rnl_search_options};
    const int ns[2] = {rnl_train_noptions, rnl_search_noptions};
    char text[TEXT_N], file[4200];
    int refused = 0;
    if (trial_file) snprintf(file, sizeof file, "%s/trial-01/%s", s0->out, trial_file);
    else snprintf(file, sizeof file, "%s/search.json", s0->out);
    rnl_search_opts *s1 = malloc(sizeof *s1);
    if (!s1) return 0;
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < ns[t]; i++) {
            const rnl_option *o = &tabs[t][i];
            char cli[160];
            rnl_option_cli_name(o, cli, sizeof cli);
            if (!exposed_by_search(tabs[t], o)) continue;
            *s1 = *s0;
            void *base = t ? (void *)s1 : (void *)&s1->train;
            if (!change(o, base, text)) {
                CHECK(0, "no other value known for %s (add it to TEXT_VALUES)", cli);
                continue;
            }
            /* The changed option is a valid search of its own ... */
            snprintf(s1->out, sizeof s1->out, "%s", fresh);
            rnl_status st = rnl_search_prepare(s1, runs, 1, 0);
            CHECK(st == RNL_OK, "%s %s: a fresh search is refused: %s", cli, text, rnl_last_error());
            /* ... refused on the existing directory, naming the option. */
            snprintf(s1->out, sizeof s1->out, "%s", s0->out);
            st = rnl_search_prepare(s1, runs, 1, 0);
            if (trial_file && strcmp(o->key, "trials") == 0) {
                CHECK(st == RNL_OK, "--trials %s: the trials are the same, but refused: %s", text, rnl_last_error());
                continue;
            }
            /* A trial's own lr (and seed) change with the search's range and seed: the first
             * row that differs is --lr. */
            const rnl_option *named = trial_file && t == 1 ? rnl_option_find(rnl_train_options, rnl_train_noptions, "lr") : o;
            CHECK(st == RNL_ERR_USAGE && names(file, trial_file ? "run" : "search", named),
                  "%s %s on %s: status %d, '%s'", cli, text, file, (int)st, st ? rnl_last_error() : "accepted");
            refused += st == RNL_ERR_USAGE;
        }
    free(s1);
    return refused;
}

static void test_search(const char *tmp) {
    char dir[1024], fresh[1024];
    snprintf(dir, sizeof dir, "%s/search", tmp);
    snprintf(fresh, sizeof fresh, "%s/fresh", tmp);
    rnl_search_opts *s0 = malloc(sizeof *s0), *s1 = malloc(sizeof *s1);
    rnl_run *runs = calloc(8, sizeof *runs);
    if (!s0 || !s1 || !runs) {
        CHECK(0, "out of memory");
        return;
    }
    base_search(s0, dir);
    /* A search as it is once started: search.json, and trial-01's options.json as the pool
     * writes it before the child starts. */
    rnl_status st = rnl_search_prepare(s0, runs, 1, 0);
    CHECK(st == RNL_OK, "first prepare: %s", rnl_last_error());
    if (!st) st = rnl_search_write(s0, runs);
    char path[4200];
    snprintf(path, sizeof path, "%s/options.json", runs[0].o.out);
    if (!st) st = rnl_mkdir_p(runs[0].o.out);
    if (!st) st = rnl_train_options_write(path, &runs[0].o);
    CHECK(st == RNL_OK, "writing the search: %s", rnl_last_error());
    if (st) return;

    st = rnl_search_prepare(s0, runs, 1, 0);
    CHECK(st == RNL_OK, "an identical rerun is refused: %s", rnl_last_error());
    *s1 = *s0;
    s1->jobs = 3;
    s1->quiet = 1;
    st = rnl_search_prepare(s1, runs, 1, 0);
    CHECK(st == RNL_OK, "a rerun with other --jobs and --quiet is refused: %s", rnl_last_error());

    int n = 0;
    for (int i = 0; i < rnl_train_noptions; i++) n += exposed_by_search(rnl_train_options, &rnl_train_options[i]);
    for (int i = 0; i < rnl_search_noptions; i++) n += exposed_by_search(rnl_search_options, &rnl_search_options[i]);
    int refused = search_rows(s0, runs, fresh, NULL);
    CHECK(refused == n, "search.json: %d of the %d options a search stores were refused", refused, n);

    /* Without search.json, trial-01's options.json decides (--trials does not change it). */
    move(dir, "search.json", "search.json.away");
    refused = search_rows(s0, runs, fresh, "options.json");
    CHECK(refused == n - 1, "options.json: %d of %d options were refused", refused, n - 1);
    /* train stores hidden 0 as Table 1's size; a directory is speech data. */
    *s1 = *s0;
    snprintf(s1->train.data, sizeof s1->train.data, "%s", tmp);
    rnl_run *r = &runs[0];
    st = rnl_search_prepare(s1, runs, 1, 0);
    CHECK(st == RNL_ERR_USAGE && strstr(rnl_last_error(), "--data"), "other data accepted: %s", rnl_last_error());
    r->o = s1->train;
    r->o.hidden = 195;
    r->o.lr = rnl_search_lr(s1->seed, 0, s1->log_lo, s1->log_hi);
    r->o.seed = rnl_search_run_seed(s1->seed, 0, 0);
    r->o.threads = 1;
    st = rnl_train_options_write(path, &r->o);
    if (!st) st = rnl_search_prepare(s1, runs, 1, 0);
    CHECK(st == RNL_OK, "hidden 0 against Table 1's speech LSTM size 195 is refused: %s", rnl_last_error());
    r->o.hidden = 36;
    st = rnl_train_options_write(path, &r->o);
    if (!st) st = rnl_search_prepare(s1, runs, 1, 0);
    CHECK(st == RNL_ERR_USAGE && strstr(rnl_last_error(), "--hidden 36, the command asks for 0"),
          "hidden 0 against the music size 36 on speech data: %s", rnl_last_error());

    /* A trial made before options.json existed: its state's options decide. */
    st = rnl_search_prepare(s0, runs, 1, 0);
    CHECK(st == RNL_ERR_USAGE, "the hidden-size trial still there");
    snprintf(path, sizeof path, "%s/options.json", runs[0].o.out);
    CHECK(remove(path) == 0, "remove %s", path);
    st = rnl_search_prepare(s0, runs, 1, 0);
    if (!st) st = write_legacy_state(&runs[0].o);
    if (!st) st = rnl_search_prepare(s0, runs, 1, 0);
    CHECK(st == RNL_OK, "a trial with an old state is refused: %s", rnl_last_error());
    refused = search_rows(s0, runs, fresh, "state.safetensors");
    CHECK(refused == n - 1, "state.safetensors: %d of %d options were refused", refused, n - 1);
    move(dir, "search.json.away", "search.json");
    free(s0);
    free(s1);
    free(runs);
}

static int exposed_by_grid(const rnl_option *tab, const rnl_option *o) {
    if (tab == rnl_grid_options) return o->role == RNL_ROLE_FIXED;
    if (tab == rnl_search_options) return o->role == RNL_ROLE_FIXED && !(o->set_by & RNL_SET_BY_GRID);
    return !(o->set_by & (RNL_SET_BY_SEARCH | RNL_SET_BY_GRID)) && (o->role & RNL_ROLES_STORED);
}

static void test_grid(const char *tmp) {
    rnl_reproduce_opts *r0 = malloc(sizeof *r0), *r1 = malloc(sizeof *r1);
    if (!r0 || !r1) {
        CHECK(0, "out of memory");
        return;
    }
    rnl_reproduce_defaults(r0);
    snprintf(r0->datasets, sizeof r0->datasets, "jsb");
    snprintf(r0->cells, sizeof r0->cells, "lstm");
    r0->search.train.lr_decay_epochs = 10;
    snprintf(r0->out, sizeof r0->out, "%s/grid", tmp);
    rnl_status st = rnl_reproduce_check(r0);
    CHECK(st == RNL_OK, "a new grid is refused: %s", rnl_last_error());
    st = rnl_reproduce_write_config(r0);
    CHECK(st == RNL_OK, "writing reproduce.json: %s", rnl_last_error());
    st = rnl_reproduce_check(r0);
    CHECK(st == RNL_OK, "an identical rerun is refused: %s", rnl_last_error());
    *r1 = *r0;
    r1->search.jobs = 3;
    r1->search.quiet = 1;
    st = rnl_reproduce_check(r1);
    CHECK(st == RNL_OK, "a rerun with other --jobs and --quiet is refused: %s", rnl_last_error());

    char file[4200], text[TEXT_N];
    snprintf(file, sizeof file, "%s/reproduce.json", r0->out);
    const rnl_option *tabs[3] = {rnl_train_options, rnl_search_options, rnl_grid_options};
    const int ns[3] = {rnl_train_noptions, rnl_search_noptions, rnl_grid_noptions};
    int n = 0, refused = 0;
    for (int t = 0; t < 3; t++)
        for (int i = 0; i < ns[t]; i++) {
            const rnl_option *o = &tabs[t][i];
            char cli[160];
            rnl_option_cli_name(o, cli, sizeof cli);
            if (!exposed_by_grid(tabs[t], o)) continue;
            n++;
            *r1 = *r0;
            void *base = t == 0 ? (void *)&r1->search.train : t == 1 ? (void *)&r1->search : (void *)r1;
            if (!change(o, base, text)) {
                CHECK(0, "no other value known for %s (add it to TEXT_VALUES)", cli);
                continue;
            }
            st = rnl_reproduce_check(r1);
            CHECK(st == RNL_ERR_USAGE && names(file, "grid", o), "%s %s on %s: status %d, '%s'", cli, text, file,
                  (int)st, st ? rnl_last_error() : "accepted");
            refused += st == RNL_ERR_USAGE;
        }
    CHECK(refused == n && n > 20, "reproduce.json: %d of the %d options a grid stores were refused", refused, n);
    free(r0);
    free(r1);
}

/* Data set tags: a name is itself, a path its base name without ".mat" or ".txt". */
static void test_tags(void) {
    static const char *const cases[][2] = {
        {"jsb", "jsb"}, {"/x/mine.mat", "mine"}, {"mine.mat", "mine"}, {"data/speech/", "speech"},
        {"./a/b.c.mat", "b.c"}, {"x/.mat", ".mat"}, {"/x/plays.txt", "plays"}, {"plays.txt", "plays"},
        {"tinyshakespeare", "tinyshakespeare"},
    };
    char tag[64];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rnl_status st = rnl_grid_tag(cases[i][0], tag, sizeof tag);
        CHECK(st == RNL_OK && strcmp(tag, cases[i][1]) == 0, "tag of %s: %s (want %s)", cases[i][0],
              st ? rnl_last_error() : tag, cases[i][1]);
    }
    static const char *const bad[] = {"/", "x/..", "./"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(rnl_grid_tag(bad[i], tag, sizeof tag) == RNL_ERR_USAGE, "'%s' got a tag", bad[i]);
}

int main(void) {
    char tmp[] = "/tmp/rnnlab-test-rerun-XXXXXX";
    if (!mkdtemp(tmp)) {
        CHECK(0, "mkdtemp failed");
        return CHECK_DONE("test_rerun");
    }
    test_search(tmp);
    test_grid(tmp);
    test_tags();
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0, "%s", cmd);
    return CHECK_DONE("test_rerun");
}
