/* cells.c — the recurrent units by rnl_cell: the descriptor of the chosen kernel set, and
 * the public name, parse and gate-count functions. The units themselves are cell_<name>.c. */
#include <stdio.h>
#include <string.h>
#include "core/cells.h"
#include "core/kset.h"

/* The table is the kernel set's (kset.c: each set's copy of the cells). The descriptor of
 * a cell is the chosen set's; its metadata (name, gates, ...) is the same in every set, so
 * the name functions read the plain set's, which needs no choice of set (a wrong
 * RNNLAB_CPU does not stop --cell from parsing). */
const rnl_cell_desc *rnl_cell_describe(rnl_cell c) {
    return (unsigned)c < RNL_CELL_COUNT ? rnl_kset_active()->cell[c] : NULL;
}

static const rnl_cell_desc *cell_meta(int c) { return rnl_kset_table(RNL_KSET_PLAIN)->cell[c]; }

const char *rnl_cell_name(rnl_cell c) {
    return (unsigned)c < RNL_CELL_COUNT ? cell_meta(c)->name : "?";
}

int rnl_cell_gates(rnl_cell c) {
    return (unsigned)c < RNL_CELL_COUNT ? cell_meta(c)->gates : 0;
}

void rnl_cell_names(char *out, size_t n) {
    size_t k = 0;
    if (n) out[0] = '\0';
    for (int c = 0; c < RNL_CELL_COUNT && k < n; c++)
        k += (size_t)snprintf(out + k, n - k, "%s%s",
                              c == 0 ? "" : c == RNL_CELL_COUNT - 1 ? " or " : ", ",
                              cell_meta(c)->name);
}

rnl_status rnl_cell_parse(const char *s, rnl_cell *out) {
    for (int c = 0; c < RNL_CELL_COUNT; c++)
        if (s && strcmp(s, cell_meta(c)->name) == 0) {
            *out = (rnl_cell)c;
            return RNL_OK;
        }
    char names[128];
    rnl_cell_names(names, sizeof names);
    return rnl_fail(RNL_ERR_USAGE, "--cell: expected %s, got '%s'", names, s ? s : "");
}
