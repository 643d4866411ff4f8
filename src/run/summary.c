/* summary.c — summary.json of a training run: its status, model sizes, the best epoch and
 * the NLL of the best parameters on every split, and its options ("config", through the
 * option table: the same set as the resume state and `train --help`). */
#include <math.h>
#include <stdio.h>
#include "run/trainer.h"

rnl_status rnl_trainer_write_summary(const rnl_trainer *r, const char *status, const char *error,
                                     double test_nll, double test_frames, const double *seq_mean) {
    const rnl_config *c = rnl_model_config(r->m);
    const rnl_train_opts *o = &r->o;
    rnl_buf b = {0};
    rnl_buf_printf(&b, "{\n  \"version\": \"%s\",\n  \"status\": ", RNL_VERSION);
    rnl_buf_json_string(&b, status);
    if (error) {
        rnl_buf_printf(&b, ",\n  \"error\": ");
        rnl_buf_json_string(&b, error);
    }
    rnl_buf_printf(&b, ",\n  \"data\": ");
    rnl_buf_json_string(&b, o->data);
    rnl_buf_printf(&b, ",\n  \"data_path\": ");
    rnl_buf_json_string(&b, r->data->path);
    rnl_buf_printf(&b, ",\n  \"cell\": \"%s\",\n  \"variant\": \"%s\",\n  \"layers\": %d,\n"
                       "  \"hidden\": %d,\n  \"input\": %d,\n  \"output\": %d,\n  \"head\": \"%s\",\n",
                   rnl_cell_name(c->cell), rnl_variant_name(c->variant), c->layers, c->hidden,
                   c->input, c->output, rnl_head_name(c->head));
    rnl_buf_printf(&b, "  \"params_recurrent\": %zu,\n  \"params_total\": %zu,\n",
                   rnl_model_nparams_recurrent(r->m), rnl_model_nparams(r->m));
    rnl_buf_printf(&b, "  \"best_epoch\": %d,\n  \"epochs\": %d,\n  \"updates\": %ld,\n  \"skipped_updates\": %ld,\n",
                   r->best_epoch, r->epoch, r->updates, r->skipped);
    rnl_buf_printf(&b, "  \"train_nll\": ");
    rnl_buf_json_number(&b, r->best_train);
    rnl_buf_printf(&b, ",\n  \"valid_nll\": ");
    rnl_buf_json_number(&b, r->best_valid);
    rnl_buf_printf(&b, ",\n  \"test_nll\": ");
    rnl_buf_json_number(&b, test_nll);
    /* The other convention beside the pooled one: the mean over sequences of their NLL per frame. */
    static const char *const seq_keys[3] = {"train_nll_seq_mean", "valid_nll_seq_mean", "test_nll_seq_mean"};
    for (int i = 0; i < 3; i++) {
        rnl_buf_printf(&b, ",\n  \"%s\": ", seq_keys[i]);
        rnl_buf_json_number(&b, seq_mean[i]);
    }
    rnl_buf_printf(&b, ",\n  \"test_frames\": %.0f,\n  \"seconds\": ", test_frames);
    rnl_buf_json_number(&b, r->seconds);
    /* --loss-weight's divisor of an update's summed NLL (null: the update's own frames). */
    rnl_buf_printf(&b, ",\n  \"loss_scale\": ");
    rnl_buf_json_number(&b, r->loss_scale > 0 ? r->loss_scale : NAN);
    rnl_buf_printf(&b, ",\n  \"seed\": %llu,\n  \"config\": {", (unsigned long long)o->seed);
    rnl_options_to_json(&b, rnl_train_options, rnl_train_noptions, o, RNL_ROLES_STORED);
    rnl_buf_printf(&b, "}\n}\n");
    char path[4200];
    rnl_status st = b.oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory writing summary.json")
                          : rnl_path_join(path, sizeof path, o->out, "summary.json");
    if (!st) st = rnl_write_file_atomic(path, b.p, b.len);
    rnl_buf_free(&b);
    return st;
}
