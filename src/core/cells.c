/* cells.c — the table of recurrent units: one row per rnl_cell, and the public name, parse
 * and gate-count functions that read it. The units themselves are cell_<name>.c. */
#include <stdio.h>
#include <string.h>
#include "core/cells.h"

static const rnl_cell_desc *const CELLS[] = {
    [RNL_CELL_TANH] = &rnl_cell_tanh,
    [RNL_CELL_GRU] = &rnl_cell_gru,
    [RNL_CELL_LSTM] = &rnl_cell_lstm,
};
_Static_assert(sizeof CELLS / sizeof CELLS[0] == RNL_CELL_COUNT,
               "one row of CELLS per rnl_cell value");

const rnl_cell_desc *rnl_cell_describe(rnl_cell c) {
    return (unsigned)c < RNL_CELL_COUNT ? CELLS[c] : NULL;
}

const char *rnl_cell_name(rnl_cell c) {
    const rnl_cell_desc *d = rnl_cell_describe(c);
    return d ? d->name : "?";
}

int rnl_cell_gates(rnl_cell c) {
    const rnl_cell_desc *d = rnl_cell_describe(c);
    return d ? d->gates : 0;
}

void rnl_cell_names(char *out, size_t n) {
    size_t k = 0;
    if (n) out[0] = '\0';
    for (int c = 0; c < RNL_CELL_COUNT && k < n; c++)
        k += (size_t)snprintf(out + k, n - k, "%s%s",
                              c == 0 ? "" : c == RNL_CELL_COUNT - 1 ? " or " : ", ",
                              CELLS[c]->name);
}

rnl_status rnl_cell_parse(const char *s, rnl_cell *out) {
    for (int c = 0; c < RNL_CELL_COUNT; c++)
        if (s && strcmp(s, CELLS[c]->name) == 0) {
            *out = (rnl_cell)c;
            return RNL_OK;
        }
    char names[128];
    rnl_cell_names(names, sizeof names);
    return rnl_fail(RNL_ERR_USAGE, "--cell: expected %s, got '%s'", names, s ? s : "");
}
