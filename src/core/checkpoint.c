/* checkpoint.c — save and load a model as safetensors: every parameter tensor as float32
 * under its table name, and the configuration as __metadata__ strings (see rnnlab.h).
 *
 * Loading trusts nothing in the file: the configuration is parsed with the checked parsers
 * and rnl_config_check, and the tensors must match the model that configuration builds
 * exactly (same names, shapes, finite values, nothing missing and nothing extra). */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rnnlab.h"
#include "core/cells.h"
#include "core/heads.h"
#include "io/safetensors.h"

#define CKPT_FORMAT "rnnlab" /* value of the "format" metadata key */

/* ------------------------------------------------------------------------------------------
 * Save
 * ---------------------------------------------------------------------------------------- */

/* Add the configuration and normalisation metadata of m. */
static rnl_status add_config_meta(rnl_st_writer *w, const rnl_model *m) {
    const rnl_config *c = rnl_model_config(m);
    /* rnl_model_metadata takes a non-const model; the metadata is only read here. */
    const rnl_model_meta *md = rnl_model_metadata((rnl_model *)m);
    char num[7][32];
    snprintf(num[0], sizeof num[0], "%d", c->layers);
    snprintf(num[1], sizeof num[1], "%d", c->hidden);
    snprintf(num[2], sizeof num[2], "%d", c->input);
    snprintf(num[3], sizeof num[3], "%d", c->output);
    snprintf(num[4], sizeof num[4], "%d", c->mixtures);
    snprintf(num[5], sizeof num[5], "%.17g", md->data_mean);
    snprintf(num[6], sizeof num[6], "%.17g", md->data_std);
    const char *kv[][2] = {
        {"format", CKPT_FORMAT},
        {"cell", rnl_cell_name(c->cell)},
        {"variant", rnl_variant_name(c->variant)},
        {"layers", num[0]},
        {"hidden", num[1]},
        {"input", num[2]},
        {"output", num[3]},
        {"head", rnl_head_name(c->head)},
        {"mixtures", num[4]},
        {"version", RNL_VERSION},
        {"data_mean", num[5]},
        {"data_std", num[6]},
        {"data_name", md->data_name},
    };
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        rnl_status st = rnl_st_add_meta(w, kv[i][0], kv[i][1]);
        if (st != RNL_OK) return st;
    }
    const char *opt[][2] = {{"split_scheme", md->split_scheme}, {"vocab", md->vocab}, {"text_split", md->text_split}};
    for (size_t i = 0; i < sizeof opt / sizeof opt[0]; i++) {
        rnl_status st = opt[i][1][0] ? rnl_st_add_meta(w, opt[i][0], opt[i][1]) : RNL_OK;
        if (st != RNL_OK) return st;
    }
    return RNL_OK;
}

rnl_status rnl_model_save(const rnl_model *m, const char *path, const char *const *extra,
                          int n_extra) {
    if (n_extra < 0 || (n_extra > 0 && !extra))
        return rnl_fail(RNL_ERR_USAGE, "%s: bad list of %d extra metadata pairs", path, n_extra);
    rnl_st_writer *w;
    rnl_status st = rnl_st_writer_create(&w);
    if (st != RNL_OK) return st;
    st = add_config_meta(w, m);
    for (int k = 0; k < n_extra && st == RNL_OK; k++) {
        if (!extra[2 * k] || !extra[2 * k + 1])
            st = rnl_fail(RNL_ERR_USAGE, "%s: extra metadata pair %d has a NULL key or value",
                          path, k);
        else
            st = rnl_st_add_meta(w, extra[2 * k], extra[2 * k + 1]);
    }
    /* rnl_model_params takes a non-const model; the parameters are only read here. */
    const rnl_real *params = rnl_model_params((rnl_model *)m);
    for (int i = 0; i < rnl_model_ntensors(m) && st == RNL_OK; i++) {
        const rnl_tensor *t = rnl_model_tensor(m, i);
        int64_t shape[2] = {t->shape[0], t->shape[1]};
        st = rnl_st_add_real(w, t->name, t->ndim, shape, params + t->offset);
    }
    if (st == RNL_OK) st = rnl_st_write(w, path);
    rnl_st_writer_free(w);
    if (st != RNL_OK && st != RNL_ERR_IO && st != RNL_ERR_NOMEM) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", rnl_last_error());
        return rnl_fail(st, "%s: cannot save the model: %s", path, msg);
    }
    return st;
}

/* ------------------------------------------------------------------------------------------
 * Load
 * ---------------------------------------------------------------------------------------- */

/* A required metadata string; RNL_ERR_DATA naming the file and key if absent. */
static rnl_status meta_str(const rnl_st_file *f, const char *key, const char **out) {
    *out = rnl_st_meta(f, key);
    if (!*out)
        return rnl_fail(RNL_ERR_DATA, "%s: metadata key \"%s\" is missing (not an rnnlab "
                        "checkpoint?)", rnl_st_path(f), key);
    return RNL_OK;
}

/* Read the configuration and normalisation metadata of a checkpoint. */
static rnl_status read_config(const rnl_st_file *f, rnl_config *cfg, rnl_model_meta *md) {
    const char *path = rnl_st_path(f);
    const char *format = rnl_st_meta(f, "format");
    if (format && strcmp(format, CKPT_FORMAT) != 0)
        return rnl_fail(RNL_ERR_DATA, "%s: metadata \"format\" is \"%.40s\", expected \"%s\"",
                        path, format, CKPT_FORMAT);
    memset(cfg, 0, sizeof *cfg);
    const char *cell, *variant, *head;
    char names[128];
    rnl_status st = meta_str(f, "cell", &cell);
    if (st == RNL_OK && rnl_cell_parse(cell, &cfg->cell) != RNL_OK) {
        rnl_cell_names(names, sizeof names);
        st = rnl_fail(RNL_ERR_DATA, "%s: metadata \"cell\" is \"%.40s\" (%s)", path, cell,
                      names);
    }
    if (st == RNL_OK) st = meta_str(f, "variant", &variant);
    if (st == RNL_OK && rnl_variant_parse(variant, &cfg->variant) != RNL_OK)
        st = rnl_fail(RNL_ERR_DATA, "%s: metadata \"variant\" is \"%.40s\" (paper or pytorch)",
                      path, variant);
    if (st == RNL_OK) st = meta_str(f, "head", &head);
    if (st == RNL_OK && rnl_head_parse(head, &cfg->head) != RNL_OK) {
        rnl_head_names(names, sizeof names);
        st = rnl_fail(RNL_ERR_DATA, "%s: metadata \"head\" is \"%.40s\" (%s)", path, head,
                      names);
    }
    /* Sizes in [0, INT_MAX]; the ranges proper are rnl_config_check's. */
    int *const size_field[] = {&cfg->layers, &cfg->hidden, &cfg->input, &cfg->output,
                               &cfg->mixtures};
    static const char *const size_key[] = {"layers", "hidden", "input", "output", "mixtures"};
    for (size_t k = 0; k < sizeof size_key / sizeof size_key[0] && st == RNL_OK; k++) {
        long v;
        st = rnl_st_meta_long(f, size_key[k], 0, INT_MAX, &v);
        if (st == RNL_OK) *size_field[k] = (int)v;
    }
    if (st != RNL_OK) return st;
    if (rnl_config_check(cfg) != RNL_OK) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", rnl_last_error());
        return rnl_fail(RNL_ERR_DATA, "%s: metadata describes an invalid model: %s", path, msg);
    }

    /* Normalisation data: optional (zero/one when unused), but checked when present. */
    memset(md, 0, sizeof *md);
    md->data_mean = 0.0;
    md->data_std = 1.0;
    if (rnl_st_meta(f, "data_mean"))
        st = rnl_st_meta_double(f, "data_mean", -DBL_MAX, DBL_MAX, &md->data_mean);
    if (st == RNL_OK && rnl_st_meta(f, "data_std"))
        st = rnl_st_meta_double(f, "data_std", 0.0, DBL_MAX, &md->data_std);
    if (st == RNL_OK && !(md->data_std > 0.0))
        st = rnl_fail(RNL_ERR_DATA, "%s: metadata \"data_std\" must be positive, got %g", path,
                      md->data_std);
    const char *name = rnl_st_meta(f, "data_name");
    if (st == RNL_OK && name) {
        if (strlen(name) >= sizeof md->data_name)
            st = rnl_fail(RNL_ERR_DATA, "%s: metadata \"data_name\" longer than %zu bytes", path,
                          sizeof md->data_name - 1);
        else
            memcpy(md->data_name, name, strlen(name) + 1);
    }
    const char *scheme = rnl_st_meta(f, "split_scheme");
    if (st == RNL_OK && scheme) {
        if (strcmp(scheme, "index") != 0 && strcmp(scheme, "speaker") != 0)
            st = rnl_fail(RNL_ERR_DATA, "%s: metadata \"split_scheme\" is \"%.40s\" (index or speaker)", path, scheme);
        else
            snprintf(md->split_scheme, sizeof md->split_scheme, "%s", scheme);
    }
    /* Text: the vocabulary (an even number of hex digits, at most 256 bytes; the text
     * adapter checks that its bytes are distinct) and the split. */
    const char *vocab = rnl_st_meta(f, "vocab"), *split = rnl_st_meta(f, "text_split");
    if (st == RNL_OK && vocab) {
        size_t n = strlen(vocab);
        int hex = n > 0 && n % 2 == 0 && n < sizeof md->vocab && strspn(vocab, "0123456789abcdef") == n;
        if (!hex)
            st = rnl_fail(RNL_ERR_DATA, "%s: metadata \"vocab\" is not 1 to 256 bytes as lowercase hex digits", path);
        else
            memcpy(md->vocab, vocab, n + 1);
    }
    if (st == RNL_OK && split) {
        if (strlen(split) >= sizeof md->text_split)
            st = rnl_fail(RNL_ERR_DATA, "%s: metadata \"text_split\" longer than %zu bytes", path,
                          sizeof md->text_split - 1);
        else
            memcpy(md->text_split, split, strlen(split) + 1);
    }
    return st;
}

/* Before allocating a model from a configuration read from the file, make sure the file
 * holds at least the recurrent matrices' values (layers * G * H * H): a header of a few bytes
 * must not make us allocate gigabytes. The exact per-tensor check follows after creation. */
static rnl_status check_enough_data(const rnl_st_file *f, const rnl_config *cfg) {
    const rnl_cell_desc *cd = rnl_cell_describe(cfg->cell);
    if (!cd) /* read_config parsed the name */
        return rnl_fail(RNL_ERR_INTERNAL, "%s: no descriptor for cell %d", rnl_st_path(f),
                        (int)cfg->cell);
    double need = (double)cfg->layers * cd->gates * cfg->hidden * cfg->hidden;
    double have = 0;
    for (int i = 0; i < rnl_st_count(f); i++) have += (double)rnl_st_get(f, i)->numel;
    if (have < need)
        return rnl_fail(RNL_ERR_DATA, "%s: the metadata describes a model of at least %.0f "
                        "parameters but the file holds only %.0f values", rnl_st_path(f), need,
                        have);
    return RNL_OK;
}

/* "[a, b]" for a shape of up to 4 dimensions. */
static void shape_str(char *out, size_t n, int ndim, const int64_t *shape) {
    size_t k = (size_t)snprintf(out, n, "[");
    for (int d = 0; d < ndim && k < n; d++)
        k += (size_t)snprintf(out + k, n - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (k < n) snprintf(out + k, n - k, "]");
}

/* Fill m's parameters from f: every model tensor present with its shape; no others. */
static rnl_status read_tensors(const rnl_st_file *f, rnl_model *m) {
    const char *path = rnl_st_path(f);
    const rnl_config *c = rnl_model_config(m);
    rnl_real *params = rnl_model_params(m);
    for (int i = 0; i < rnl_model_ntensors(m); i++) {
        const rnl_tensor *t = rnl_model_tensor(m, i);
        const rnl_st_tensor *s = rnl_st_find(f, t->name);
        if (!s)
            return rnl_fail(RNL_ERR_DATA,
                            "%s: tensor \"%s\" is missing (needed by cell %s, variant %s)", path,
                            t->name, rnl_cell_name(c->cell), rnl_variant_name(c->variant));
        if (s->dtype != RNL_ST_F32 && s->dtype != RNL_ST_F64)
            return rnl_fail(RNL_ERR_DATA, "%s: tensor \"%s\" is not F32 or F64", path, t->name);
        int64_t want[2] = {t->shape[0], t->shape[1]};
        int same = s->ndim == t->ndim;
        for (int d = 0; same && d < t->ndim; d++) same = s->shape[d] == want[d];
        if (!same) {
            char got[96], exp[96];
            shape_str(got, sizeof got, s->ndim, s->shape);
            shape_str(exp, sizeof exp, t->ndim, want);
            return rnl_fail(RNL_ERR_DATA, "%s: tensor \"%s\" has shape %s, expected %s", path,
                            t->name, got, exp);
        }
        rnl_status st = rnl_st_to_real(f, s, params + t->offset);
        if (st != RNL_OK) return st;
    }
    /* Names in a file are unique, so more tensors than the model's means a stranger. */
    for (int i = 0; i < rnl_st_count(f); i++) {
        const rnl_st_tensor *s = rnl_st_get(f, i);
        if (!rnl_model_find(m, s->name))
            return rnl_fail(RNL_ERR_DATA,
                            "%s: tensor \"%s\" is not part of a model with cell %s, variant "
                            "%s (wrong cell or variant in the metadata?)",
                            path, s->name, rnl_cell_name(c->cell), rnl_variant_name(c->variant));
    }
    return RNL_OK;
}

rnl_status rnl_model_load(const char *path, rnl_model **out) {
    *out = NULL;
    rnl_st_file *f;
    rnl_status st = rnl_cpu_init(); /* before read_config asks the chosen set's cells */
    if (st != RNL_OK) return st;
    st = rnl_st_read(path, &f);
    if (st != RNL_OK) return st;
    rnl_config cfg;
    rnl_model_meta md;
    rnl_model *m = NULL;
    st = read_config(f, &cfg, &md);
    if (st == RNL_OK) st = check_enough_data(f, &cfg);
    if (st == RNL_OK) st = rnl_model_create(&cfg, &m);
    if (st == RNL_OK) st = read_tensors(f, m);
    rnl_st_free(f);
    if (st != RNL_OK) {
        rnl_model_free(m);
        return st;
    }
    *rnl_model_metadata(m) = md;
    *out = m;
    return RNL_OK;
}
