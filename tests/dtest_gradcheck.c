/* dtest_gradcheck.c — finite-difference gradient checks in double precision (the library's
 * own sources compiled with -DRNL_DOUBLE): every unit and variant, the output layer, every
 * parameter tensor, the Bernoulli and mixture-of-Gaussians heads, with masks, lengths 1..T, B = 1 and B > 1, H = 1, several layers.
 * Tolerance: |a − n| <= 1e-6 · max(|a| + |n|, 1e-3) for every parameter (a relative test with
 * an absolute floor of 1e-9: central differences with eps 1e-5 carry ~1e-10 of rounding noise
 * on a loss of order 1, so tinier gradients cannot be told apart more finely). */
#include <stdio.h>
#include "check.h"
#include "core/gradcheck.h"

static void run(rnl_cell cell, rnl_variant var, int layers, int I, int H, int O, int B,
                const int *len, const char *what) {
    rnl_config c = {cell, var, RNL_HEAD_BERNOULLI, layers, I, H, O, 0};
    rnl_gradcheck_result r;
    rnl_status st = rnl_gradcheck(&c, B, len, 1234 + (uint64_t)layers * 7 + (uint64_t)H, 1e-5, 1e-3, &r);
    CHECK(st == RNL_OK, "%s: %s", what, rnl_last_error());
    printf("gradcheck %-5s %-7s L=%d H=%d B=%d %-14s params=%5zu max_rel=%.2e at %s\n",
           rnl_cell_name(cell), rnl_variant_name(var), layers, H, B, what, r.checked, r.max_rel,
           r.worst);
    CHECK(r.checked > 0 && r.max_rel <= 1e-6, "%s %s %s: max relative error %.3e at %s",
          rnl_cell_name(cell), rnl_variant_name(var), what, r.max_rel, r.worst);
}

int main(void) {
    static const int lens_b3[] = {6, 4, 1}, lens_b4[] = {5, 5, 2, 0}, len1[] = {1}, len7[] = {7};
    for (int cell = 0; cell < 3; cell++)
        for (int var = 0; var < 2; var++) {
            if (cell == RNL_CELL_TANH && var == RNL_VARIANT_PYTORCH) continue;
            rnl_cell c = (rnl_cell)cell;
            rnl_variant v = (rnl_variant)var;
            run(c, v, 1, 3, 4, 5, 1, len7, "B=1 T=7");
            run(c, v, 1, 3, 4, 5, 3, lens_b3, "B=3 masked");
            run(c, v, 1, 3, 4, 5, 4, lens_b4, "B=4 empty seq");
            run(c, v, 1, 2, 1, 2, 3, lens_b3, "H=1");
            run(c, v, 1, 3, 4, 5, 1, len1, "T=1");
            run(c, v, 2, 3, 4, 5, 3, lens_b3, "2 layers");
            run(c, v, 3, 2, 3, 2, 3, lens_b3, "3 layers");
        }
    /* The mixture-of-Gaussians head (speech): K = 3 components over O = 2 values. */
    for (int cell = 0; cell < 3; cell++) {
        rnl_config c = {(rnl_cell)cell, RNL_VARIANT_PAPER, RNL_HEAD_MOG, 1, 3, 4, 2, 3};
        rnl_gradcheck_result r;
        rnl_status st = rnl_gradcheck(&c, 3, lens_b3, 99, 1e-5, 1e-3, &r);
        CHECK(st == RNL_OK, "mog: %s", rnl_last_error());
        printf("gradcheck %-5s mog head K=3 O=2 params=%5zu max_rel=%.2e at %s\n", rnl_cell_name(c.cell),
               r.checked, r.max_rel, r.worst);
        CHECK(r.checked > 0 && r.max_rel <= 1e-6, "mog %s: max relative error %.3e at %s",
              rnl_cell_name(c.cell), r.max_rel, r.worst);
    }
    return CHECK_DONE("gradcheck (double)");
}
