/* test_search.c — the search's draws: learning rates log-uniform in the range and fixed by
 * (seed, k) alone, training seeds in the range `train --seed` accepts, trial names. */
#include <math.h>
#include <string.h>
#include "check.h"
#include "run/search.h"

int main(void) {
    const double lo = -12, hi = -6;
    int in_range = 1, distinct = 1;
    double sum = 0;
    enum { N = 2000 };
    static double lr[N];
    for (int k = 0; k < N; k++) {
        lr[k] = rnl_search_lr(1, k, lo, hi);
        in_range &= lr[k] >= exp(lo) && lr[k] <= exp(hi);
        sum += log(lr[k]);
        if (k && lr[k] == lr[k - 1]) distinct = 0;
    }
    CHECK(in_range, "a learning rate outside exp(-12)..exp(-6)");
    CHECK(distinct, "two consecutive learning rates are equal");
    /* log lr ~ U(-12, -6): mean -9, standard error of the mean sqrt(3)/sqrt(N) ~ 0.039. */
    CHECK_CLOSE(sum / N, -9.0, 0, 0.2, "mean of log lr");
    int below = 0;
    for (int k = 0; k < N; k++) below += log(lr[k]) < -9;
    CHECK(below > N * 0.45 && below < N * 0.55, "%d of %d log learning rates below the middle", below, N);
    /* Trial k's draw is the same whatever else is asked for (the list is a prefix). */
    CHECK(rnl_search_lr(1, 7, lo, hi) == lr[7], "trial 7's lr depends on call order");
    CHECK(rnl_search_lr(2, 0, lo, hi) != lr[0], "seeds 1 and 2 draw the same first lr");
    CHECK(rnl_search_lr(5, 3, -4, -4) == exp(-4), "a degenerate range is not its one value");

    int seeds_ok = 1;
    for (int k = 0; k < 1000; k++) {
        uint64_t a = rnl_search_run_seed(1, 0, k), b = rnl_search_run_seed(1, 1, k);
        seeds_ok &= a < (1ULL << 31) && b < (1ULL << 31) && a != b;
        if (k) seeds_ok &= a != rnl_search_run_seed(1, 0, k - 1);
    }
    CHECK(seeds_ok, "training seeds out of range or colliding");
    CHECK(rnl_search_run_seed(1, 0, 3) == rnl_search_run_seed(1, 0, 3), "training seed not deterministic");
    CHECK(rnl_search_run_seed(1, 0, 3) != rnl_search_run_seed(2, 0, 3), "training seed ignores the search seed");

    char name[32];
    rnl_search_trial_name(0, 10, name, sizeof name);
    CHECK(strcmp(name, "trial-01") == 0, "got %s", name);
    rnl_search_trial_name(98, 99, name, sizeof name);
    CHECK(strcmp(name, "trial-99") == 0, "got %s", name);
    rnl_search_trial_name(0, 100, name, sizeof name);
    CHECK(strcmp(name, "trial-001") == 0, "got %s", name);
    rnl_search_trial_name(99, 100, name, sizeof name);
    CHECK(strcmp(name, "trial-100") == 0, "got %s", name);
    rnl_search_trial_name(4, 1000, name, sizeof name);
    CHECK(strcmp(name, "trial-0005") == 0, "got %s", name);
    return CHECK_DONE("test_search");
}
