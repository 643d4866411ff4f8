/* peak.c — the fp32 FMA peak of one core, measured: 16 independent chains of 512-bit fused
 * multiply-adds (enough to cover the FMA latency on two pipes), 2·16 FLOP each, timed in
 * this thread's CPU time (steady on a shared machine). bench/run.sh divides the speech
 * rows' GFLOP/s by it. Prints one JSON line.
 *
 * Usage: peak [--seconds S] */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    double seconds = 0.5;
    if (argc == 3 && !strcmp(argv[1], "--seconds")) seconds = atof(argv[2]);
    else if (argc != 1) {
        fprintf(stderr, "usage: peak [--seconds S]\n");
        return 2;
    }
    if (!(seconds > 0)) seconds = 0.5;
    __m512 a[16];
    const __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(0.001f);
    for (int i = 0; i < 16; i++) a[i] = _mm512_set1_ps((float)i);
    const long block = 1000000;
    long n = 0;
    double t0 = cpu_seconds(), el;
    do {
        for (long k = 0; k < block; k++) {
#pragma GCC unroll 16
            for (int i = 0; i < 16; i++) a[i] = _mm512_fmadd_ps(a[i], x, y);
        }
        n += block;
        el = cpu_seconds() - t0;
    } while (el < seconds);
    __m512 s = a[0];
    for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, a[i]);
    float o[16];
    _mm512_storeu_ps(o, s);
    printf("{\"tool\": \"peak\", \"gflops\": %.1f, \"check\": %g}\n", 2.0 * 16 * 16 * n / el * 1e-9, o[0]);
    return 0;
}
