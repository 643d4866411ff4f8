/* test_gauss.c — the continuous Gaussian-mixture head's draw and the real-valued sampler
 * (its NLL and gradient: tests/ref/gauss_head.safetensors in test_reference.c, finite
 * differences in dtest_gradcheck.c):
 * - 200,000 draws of a fixed two-component mixture over two values: the mean of each value
 *   within 5 standard errors of Σ pi_k mu_k, the variance within 2 % of
 *   Σ pi_k (sigma_k² + mu_k²) − mean² (hand-computed from the logits), the share of draws
 *   near component 0 within 5 standard errors of pi_0; at temperature 4 the variance of a
 *   one-component mixture is 4 sigma²;
 * - an .npy written by rnl_npy_write_f32 parses back (rnl_npy_parse: dtype, shape, values bit
 *   for bit), its header a multiple of 64 bytes;
 * - rnl_array_sample: a model whose output layer ignores h (out.W = 0) draws every step
 *   from out.b's mixture, so its values are the head's draws in order, bit for bit; the same
 *   seed, the same values; a model of another head is refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "core/heads.h"
#include "data/npz.h"
#include "io/util.h"
#include "sample/sample.h"

static const rnl_model_meta META = {0, 1, "", "", "", ""};

/* K = 2, O = 2: logits (0, log 3) -> pi = (1/4, 3/4); mu_0 = (−2, 1), mu_1 = (3, 0.5);
 * log sigma_0 = (log 0.5, 0), log sigma_1 = (0, log 2). */
static void test_draw(void) {
    const rnl_real a[2 + 4 + 4] = {0, (rnl_real)log(3.0), -2, 1, 3, 0.5,
                                   (rnl_real)log(0.5), 0, 0, (rnl_real)log(2.0)};
    const double pi[2] = {0.25, 0.75}, mu[2][2] = {{-2, 1}, {3, 0.5}};
    const double sg[2][2] = {{exp((double)(rnl_real)log(0.5)), 1}, {1, exp((double)(rnl_real)log(2.0))}};
    const int N = 200000;
    double s[2] = {0}, s2[2] = {0}, near0 = 0, y[2];
    rnl_rng r;
    rnl_rng_seed(&r, 77);
    for (int n = 0; n < N; n++) {
        rnl_head_gauss.draw(a, 2, 2, &META, 1.0, &r, y);
        for (int d = 0; d < 2; d++) s[d] += y[d], s2[d] += y[d] * y[d];
        near0 += y[0] < 0.5; /* component 0's value 0 is N(−2, 0.25): below 0.5 but for 3e-7 */
    }
    for (int d = 0; d < 2; d++) {
        double m = 0, q = 0;
        for (int k = 0; k < 2; k++) m += pi[k] * mu[k][d], q += pi[k] * (sg[k][d] * sg[k][d] + mu[k][d] * mu[k][d]);
        const double var = q - m * m, em = s[d] / N, ev = s2[d] / N - em * em;
        printf("gauss draw value %d: mean %.4f (mixture %.4f), variance %.4f (%.4f)\n", d, em, m, ev, var);
        CHECK(fabs(em - m) <= 5 * sqrt(var / N), "value %d: mean %.5f, mixture's %.5f", d, em, m);
        CHECK(fabs(ev - var) <= 0.02 * var, "value %d: variance %.5f, mixture's %.5f", d, ev, var);
    }
    /* component 1's value 0 is N(3, 1): below 0.5 with probability Φ(−2.5) = 0.00621 */
    const double p0 = 0.25 + 0.75 * 0.0062096653;
    CHECK(fabs(near0 / N - p0) <= 5 * sqrt(p0 * (1 - p0) / N), "share below 0.5: %.5f, expected %.5f", near0 / N, p0);
    /* Temperature T: a single Gaussian's variance times T. */
    const rnl_real one[1 + 1 + 1] = {0, 1.5, (rnl_real)log(0.3)};
    double t1 = 0, t2 = 0;
    for (int n = 0; n < N; n++) {
        rnl_head_gauss.draw(one, 1, 1, &META, 4.0, &r, y);
        t1 += y[0], t2 += y[0] * y[0];
    }
    const double v4 = t2 / N - (t1 / N) * (t1 / N), want = 4 * exp(2 * (double)one[2]);
    CHECK(fabs(v4 - want) <= 0.02 * want, "temperature 4: variance %.5f, expected %.5f", v4, want);
}

static void test_npy_write(void) {
    const float v[3 * 2] = {1.5f, -2.25f, 3e-8f, 1e20f, 0.0f, -0.0f};
    char path[256];
    snprintf(path, sizeof path, "/tmp/rnnlab-test-gauss-%ld.npy", (long)getpid());
    rnl_status st = rnl_npy_write_f32(path, v, 3, 2);
    CHECK(st == RNL_OK, "write: %s", rnl_last_error());
    unsigned char *b = NULL;
    size_t n = 0;
    if (!st) st = rnl_read_file(path, &b, &n);
    rnl_npy q;
    if (!st) st = rnl_npy_parse(b, n, path, &q);
    CHECK(st == RNL_OK, "parse back: %s", rnl_last_error());
    if (!st) {
        CHECK(q.kind == 'f' && q.itemsize == 4 && q.ndim == 2 && q.shape[0] == 3 && q.shape[1] == 2 && !q.fortran,
              "dtype, shape, order");
        CHECK((size_t)(q.data - b) % 64 == 0 && n == (size_t)(q.data - b) + sizeof v, "header %td bytes, file %zu",
              q.data - b, n);
        int same = 1;
        for (int k = 0; k < 6; k++) {
            float f = (float)rnl_npy_value(&q, (size_t)k / 2, (size_t)k % 2);
            same &= memcmp(&f, &v[k], 4) == 0;
        }
        CHECK(same, "values bit for bit");
    }
    free(b);
    remove(path);
}

static void test_sampler(void) {
    enum { D = 2, K = 2, S = 30 };
    rnl_config c = {RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_GAUSS, 1, D, 4, D, K};
    rnl_model *m = NULL;
    if (rnl_model_create(&c, &m) || rnl_model_init(m, 3, 0)) {
        CHECK(0, "model: %s", rnl_last_error());
        rnl_model_free(m);
        return;
    }
    const rnl_tensor *W = rnl_model_find(m, "out.W"), *b = rnl_model_find(m, "out.b");
    rnl_real *p = rnl_model_params(m);
    memset(p + W->offset, 0, sizeof(rnl_real) * W->size);
    const rnl_real bias[K * (1 + 2 * D)] = {0.3f, -0.2f, 1, -1, -2, 2, -1, -0.5f, 0.2f, -2};
    memcpy(p + b->offset, bias, sizeof bias);
    float *v = NULL, *v2 = NULL;
    rnl_status st = rnl_array_sample(m, S, 1.0, 42, &v);
    CHECK(st == RNL_OK, "sample: %s", rnl_last_error());
    if (!st) st = rnl_array_sample(m, S, 1.0, 42, &v2);
    if (!st) {
        CHECK(memcmp(v, v2, sizeof(float) * S * D) == 0, "the same seed, other values");
        rnl_rng r;
        rnl_rng_seed(&r, 42);
        double y[D];
        int same = 1;
        for (int t = 0; t < S; t++) {
            rnl_head_gauss.draw(bias, D, K, &META, 1.0, &r, y);
            for (int d = 0; d < D; d++) same &= v[t * D + d] == (float)y[d];
        }
        CHECK(same, "out.W = 0: the values are out.b's mixture's draws in order");
    }
    free(v);
    free(v2);
    rnl_model_free(m);
    rnl_config bc = {RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 1, 3, 4, 3, 0};
    if (!rnl_model_create(&bc, &m)) {
        v = NULL;
        CHECK(rnl_array_sample(m, 5, 1.0, 1, &v) == RNL_ERR_USAGE && v == NULL, "a Bernoulli model is refused");
        rnl_model_free(m);
    }
}

int main(void) {
    test_draw();
    test_npy_write();
    test_sampler();
    return CHECK_DONE("gauss");
}
