/* check.h — the tests' tiny harness. Every CHECK counts as passed or failed; a test program
 * ends with CHECK_DONE(), which prints "<name>: N passed, N failed" and returns non-zero
 * when anything failed. tests/run.sh adds the counts up. */
#ifndef RNL_CHECK_H
#define RNL_CHECK_H
#include <math.h>
#include <stdio.h>

static int check_passed_, check_failed_;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (cond) {                                                                        \
            check_passed_++;                                                               \
        } else {                                                                           \
            check_failed_++;                                                               \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                           \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, "\n");                                                         \
        }                                                                                  \
    } while (0)

/* |a-b| <= atol + rtol*|b| */
#define CHECK_CLOSE(a, b, rtol, atol, what)                                                \
    do {                                                                                   \
        double ca_ = (double)(a), cb_ = (double)(b);                                       \
        CHECK(fabs(ca_ - cb_) <= (atol) + (rtol)*fabs(cb_), "%s: %.10g vs %.10g", (what),  \
              ca_, cb_);                                                                   \
    } while (0)

#define CHECK_DONE(name)                                                                   \
    (printf("%s: %d passed, %d failed\n", (name), check_passed_, check_failed_),           \
     check_failed_ ? 1 : 0)

#endif
