/* cli.c — the tool's option parser. */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "io/util.h"

/* ================================================================ option tables ===== */

static const char *opt_name(const opt *o) { return o->name; }

static void print_default(const opt *o) {
    char v[4200];
    switch (o->type) {
    case OPT_ROW:
        rnl_option_format(((const cli_row *)o->ptr)->row, ((const cli_row *)o->ptr)->base, v, sizeof v);
        if (((const cli_row *)o->ptr)->row->type == RNL_OPT_FLAG) printf("%s", v[0] == '1' ? "on" : "off");
        else printf("%s", v[0] ? v : "none");
        const char *text = rnl_option_task_default(((const cli_row *)o->ptr)->row, RNL_APPLY_TEXT);
        if (text) printf("; text: %s", text); /* char-rnn's defaults (options.h) */
        break;
    case OPT_INT: printf("%d", *(int *)o->ptr); break;
    case OPT_DOUBLE: printf("%g", *(double *)o->ptr); break;
    case OPT_STRING: printf("%s", *(char *)o->ptr ? (char *)o->ptr : "none"); break;
    case OPT_FLAG: printf("%s", *(int *)o->ptr ? "on" : "off"); break;
    case OPT_CELL: printf("%s", rnl_cell_name(*(rnl_cell *)o->ptr)); break;
    case OPT_VARIANT: printf("%s", rnl_variant_name(*(rnl_variant *)o->ptr)); break;
    case OPT_U64: printf("%llu", (unsigned long long)*(uint64_t *)o->ptr); break;
    }
}

static void usage(const char *cmd, const char *synopsis, const opt *opts, int n) {
    printf("usage: rnnlab %s %s\n\noptions (default in brackets):\n", cmd, synopsis);
    for (int i = 0; i < n; i++) {
        printf("  %-18s %s [", opt_name(&opts[i]), opts[i].type == OPT_ROW ? ((const cli_row *)opts[i].ptr)->row->help : opts[i].help);
        print_default(&opts[i]);
        printf("]\n");
    }
    printf("  %-18s show this help\n", "--help");
}

static rnl_status set_opt(const opt *o, const char *v) {
    long l;
    double d;
    rnl_status st = RNL_OK;
    switch (o->type) {
    case OPT_ROW: {
        const cli_row *r = o->ptr;
        if (!(st = rnl_option_parse(r->row, r->base, r->row->type == RNL_OPT_FLAG ? "1" : v, NULL)))
            *r->given |= 1ull << r->bit;
        break;
    }
    case OPT_INT:
        if (!(st = rnl_parse_long(v, (long)o->lo, (long)o->hi, o->name, &l))) *(int *)o->ptr = (int)l;
        break;
    case OPT_DOUBLE:
        if (!(st = rnl_parse_double(v, o->lo, o->hi, o->name, &d))) *(double *)o->ptr = d;
        break;
    case OPT_U64:
        if (!(st = rnl_parse_long(v, 0, 2147483647L * 2L, o->name, &l))) *(uint64_t *)o->ptr = (uint64_t)l;
        break;
    case OPT_STRING:
        if (strlen(v) >= 4096) return rnl_fail(RNL_ERR_USAGE, "%s: value too long", o->name);
        snprintf((char *)o->ptr, 4096, "%s", v);
        break;
    case OPT_CELL: st = rnl_cell_parse(v, (rnl_cell *)o->ptr); break;
    case OPT_VARIANT: st = rnl_variant_parse(v, (rnl_variant *)o->ptr); break;
    case OPT_FLAG: *(int *)o->ptr = 1; break;
    }
    return st;
}

void cli_add_rows(opt *opts, cli_row *rows, int *n, int max, const rnl_option *tab, int ntab, void *base,
                  uint64_t *given, unsigned skip, const char *const *except) {
    for (int i = 0; i < ntab && *n < max; i++) {
        int out = (tab[i].set_by & skip) != 0;
        for (const char *const *e = except; e && *e && !out; e++) out = strcmp(*e, tab[i].key) == 0;
        if (out) continue;
        cli_row *r = &rows[*n];
        *r = (cli_row){&tab[i], base, given, i, ""};
        rnl_option_cli_name(&tab[i], r->cli, sizeof r->cli);
        opts[(*n)++] = (opt){r->cli, OPT_ROW, r, 0, 0, tab[i].help};
    }
}

int cli_parse(int argc, char **argv, int first, const opt *opts, int n, const char *cmd,
                 const char *synopsis, const char **positional, int max_pos, int *npos) {
    if (npos) *npos = 0;
    unsigned char seen[256] = {0};
    if (n > 256) {
        rnl_fail(RNL_ERR_INTERNAL, "%s: more than 256 options", cmd);
        return -1;
    }
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(cmd, synopsis, opts, n);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            if (!npos || *npos >= max_pos) {
                rnl_fail(RNL_ERR_USAGE, "%s: unexpected argument '%s'", cmd, a);
                return -1;
            }
            positional[(*npos)++] = a;
            continue;
        }
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        const opt *o = NULL;
        for (int k = 0; k < n; k++)
            if (strlen(opt_name(&opts[k])) == len && strncmp(opt_name(&opts[k]), a, len) == 0) o = &opts[k];
        if (!o) {
            rnl_fail(RNL_ERR_USAGE, "%s: unknown option '%.*s' (see 'rnnlab %s --help')", cmd, (int)len, a, cmd);
            return -1;
        }
        if (seen[o - opts]++) {
            rnl_fail(RNL_ERR_USAGE, "%s: option %s given twice (give it once)", cmd, opt_name(o));
            return -1;
        }
        const int flag = o->type == OPT_FLAG || (o->type == OPT_ROW && ((const cli_row *)o->ptr)->row->type == RNL_OPT_FLAG);
        const char *v = NULL;
        if (!flag) {
            if (eq) v = eq + 1;
            else if (i + 1 < argc) v = argv[++i];
            else {
                rnl_fail(RNL_ERR_USAGE, "%s: option %s needs a value", cmd, opt_name(o));
                return -1;
            }
        }
        if (set_opt(o, v ? v : "")) return -1;
    }
    return 0;
}

int cli_given(int argc, char **argv, int first, const char *name) {
    size_t n = strlen(name);
    for (int i = first; i < argc; i++)
        if (strncmp(argv[i], name, n) == 0 && (argv[i][n] == 0 || argv[i][n] == '=')) return 1;
    return 0;
}

int cli_fail(rnl_status st) {
    fprintf(stderr, "rnnlab: %s\n", rnl_last_error());
    return (int)st;
}
