/* test_text.c — text as a data set (src/data/text.c) and its streams (src/run/batch.c,
 * src/run/eval.c).
 *
 * Hand-made files in a temporary directory: the vocabulary is the training split's distinct
 * bytes in increasing order, the split lengths are floor(f N) from "90/5/5"-style
 * percentages, each step's input and target are the one-hot vectors of bytes t and t+1 of
 * the split (checked against the file's bytes, not the adapter's tables), a byte the
 * vocabulary lacks is refused with its offset, a model's vocabulary is used as given, bad
 * splits are one-line usage errors. The stream batches are slices of the whole-sequence
 * fill; the windowed evaluation equals one forward pass over the whole split (the state
 * carried between windows loses nothing); Tiny Shakespeare has the README's 65 symbols. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "data/dataset.h"
#include "data/text.h"
#include "run/batch.h"
#include "run/eval.h"

static char g_tmp[256];

static void write_file(const char *name, const void *data, size_t n, char *path, size_t np) {
    snprintf(path, np, "%s/%s", g_tmp, name);
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data, 1, n, f) == n && fclose(f) == 0, "write %s", path);
}

/* The index of the single 1 of a one-hot row, -1 if it is not one-hot. */
static int one_hot(const rnl_real *r, int V) {
    int at = -1, ones = 0;
    for (int k = 0; k < V; k++) {
        if (r[k] == 1) at = k, ones++;
        else if (r[k] != 0) return -1;
    }
    return ones == 1 ? at : -1;
}

static void test_open(void) {
    /* 40 bytes: train 36 (90 %), valid 2 (5 %), test 2; "dcba" only in training. */
    const char *txt = "abcdabcdabcd  xyz\nzyx\nabcd ab dcba ba ab";
    const size_t N = strlen(txt);
    char path[512];
    write_file("a.txt", txt, N, path, sizeof path);
    rnl_dataset *d = NULL;
    rnl_status st = rnl_dataset_open(path, NULL, NULL, &d);
    CHECK(st == RNL_OK, "open a text file: %s", rnl_last_error());
    if (st) return;
    /* the distinct bytes of the first 36, in increasing order */
    int seen[256] = {0}, V = 0;
    for (size_t i = 0; i < 36; i++) seen[(unsigned char)txt[i]] = 1;
    char hex[513] = "";
    for (int c = 0; c < 256; c++)
        if (seen[c]) snprintf(hex + 2 * V++, 3, "%02x", c);
    CHECK(strcmp(d->kind, "text") == 0 && d->head == RNL_HEAD_SOFTMAX, "kind text, softmax head");
    CHECK(d->input == V && d->output == V, "input = output = %d symbols (got %d, %d)", V, d->input, d->output);
    CHECK(d->vocab && strcmp(d->vocab, hex) == 0, "vocabulary %s (got %s)", hex, d->vocab ? d->vocab : "NULL");
    CHECK(strcmp(d->split_text, "90/5/5") == 0, "split 90/5/5 by default (%s)", d->split_text);
    const int len[3] = {36, 2, 2}, start[3] = {0, 36, 38};
    for (int s = 0; s < 3; s++)
        CHECK(d->nseq[s] == 1 && d->steps(d, s, 0) == len[s] - 1, "split %d: one sequence of %d steps (got %d)", s,
              len[s] - 1, d->steps(d, s, 0));
    /* every step of every split: x = e(byte t), y = e(byte t+1), by the bytes' ranks */
    int rank[256] = {0};
    for (int c = 0, k = 0; c < 256; c++)
        if (seen[c]) rank[c] = k++;
    int ok = 1;
    for (int s = 0; s < 3; s++) {
        const int L = len[s] - 1;
        rnl_real *x = calloc((size_t)L * V, sizeof *x), *y = calloc((size_t)L * V, sizeof *y);
        d->fill(d, s, 0, 0, 1, x, y);
        for (int t = 0; t < L; t++) {
            ok &= one_hot(x + (size_t)t * V, V) == rank[(unsigned char)txt[start[s] + t]];
            ok &= one_hot(y + (size_t)t * V, V) == rank[(unsigned char)txt[start[s] + t + 1]];
        }
        free(x);
        free(y);
    }
    CHECK(ok, "every step: the one-hot vectors of bytes t and t+1 of its split");
    rnl_dataset_free(d);

    /* Another split, and the model's own vocabulary (which may hold more symbols). */
    rnl_data_opts o = {.split = "50/25/25"};
    st = rnl_dataset_open_with(path, NULL, &o, &d);
    CHECK(st == RNL_OK && d->steps(d, 0, 0) == 19 && d->steps(d, 1, 0) == 9 && d->steps(d, 2, 0) == 9,
          "50/25/25: 20, 10, 10 bytes");
    if (!st) {
        CHECK(strcmp(d->split_text, "50/25/25") == 0, "the split as given");
        rnl_dataset_free(d);
    }
    o = (rnl_data_opts){.vocab = "0a202e6162636478797a"};
    st = rnl_dataset_open_with(path, NULL, &o, &d);
    CHECK(st == RNL_OK && d->input == 10 && strcmp(d->vocab, o.vocab) == 0, "a model's vocabulary of 10 symbols");
    if (!st) rnl_dataset_free(d);
    /* A model's vocabulary without 'z' (0x7a) refuses the byte, naming its offset. */
    o = (rnl_data_opts){.vocab = "0a20616263647879"};
    st = rnl_dataset_open_with(path, NULL, &o, &d);
    CHECK(st == RNL_ERR_DATA && strstr(rnl_last_error(), "byte 0x7a at offset 16 (training split)"),
          "a byte outside the model's vocabulary: %s", rnl_last_error());
    const char *bad_vocab[] = {"0a0a", "0A", "abc", "zz"};
    for (size_t i = 0; i < sizeof bad_vocab / sizeof *bad_vocab; i++) {
        o = (rnl_data_opts){.vocab = bad_vocab[i]};
        CHECK(rnl_dataset_open_with(path, NULL, &o, &d) == RNL_ERR_DATA, "vocabulary '%s' refused", bad_vocab[i]);
    }
    const char *bad_split[] = {"90/5", "90/5/6", "0/50/50", "90/0/10", "90/5/5/0", "a/b/c", "90/5/5x", "-10/60/50", ""};
    for (size_t i = 0; i + 1 < sizeof bad_split / sizeof *bad_split; i++) {
        o = (rnl_data_opts){.split = bad_split[i]};
        st = rnl_dataset_open_with(path, NULL, &o, &d);
        CHECK(st == RNL_ERR_USAGE && strstr(rnl_last_error(), "--split"), "split '%s' refused: %s", bad_split[i],
              rnl_last_error());
    }
    /* 98/1/1 of 40 bytes leaves 0 bytes of validation. */
    o = (rnl_data_opts){.split = "98/1/1"};
    CHECK(rnl_dataset_open_with(path, NULL, &o, &d) == RNL_ERR_DATA && strstr(rnl_last_error(), "validation split"),
          "a split too small to predict a symbol: %s", rnl_last_error());

    /* A byte of the test split that training never saw: its offset. */
    char path2[512];
    const char *t2 = "abababababababababab" "abababababababababQa";
    write_file("b.txt", t2, strlen(t2), path2, sizeof path2);
    CHECK(rnl_dataset_open(path2, NULL, NULL, &d) == RNL_ERR_DATA &&
              strstr(rnl_last_error(), "byte 0x51 at offset 38 (test split) is not in the training split's vocabulary"),
          "an unseen byte: %s", rnl_last_error());
    char empty[512];
    write_file("empty.txt", "", 0, empty, sizeof empty);
    CHECK(rnl_dataset_open(empty, NULL, NULL, &d) == RNL_ERR_DATA, "an empty file: %s", rnl_last_error());
}

/* Streams are slices of the whole sequence; a windowed evaluation is one whole pass. */
static void test_streams(void) {
    char txt[3001], path[512];
    rnl_rng r;
    rnl_rng_seed(&r, 3);
    for (int i = 0; i < 3000; i++) txt[i] = "abcdefgh ij\n"[rnl_rng_below(&r, 12)];
    write_file("c.txt", txt, 3000, path, sizeof path);
    rnl_dataset *d = NULL;
    rnl_data_opts o = {.split = "40/50/10"};
    rnl_status st = rnl_dataset_open_with(path, NULL, &o, &d);
    CHECK(st == RNL_OK, "open: %s", rnl_last_error());
    if (st) return;
    const int V = d->input, L = d->steps(d, 0, 0), B = 7, S = L / B;
    rnl_real *x = calloc((size_t)L * V, sizeof *x), *y = calloc((size_t)L * V, sizeof *y);
    d->fill(d, 0, 0, 0, 1, x, y);
    rnl_batcher bb = {0};
    int same = 1;
    for (int t0 = 0; t0 < S; t0 += 50) {
        const int W = S - t0 < 50 ? S - t0 : 50;
        rnl_batch bt;
        double fr;
        st = rnl_batcher_streams(&bb, d, 0, 0, B, S, t0, W, &bt, &fr);
        same &= st == RNL_OK && bt.T == W && bt.B == B && fr == (double)B * W;
        for (int b = 0; b < B && !st; b++) {
            same &= bt.len[b] == W;
            for (int t = 0; t < W; t++) {
                const size_t src = ((size_t)b * S + t0 + t) * V, dst = ((size_t)t * B + b) * V;
                same &= memcmp(bt.x + dst, x + src, sizeof *x * V) == 0 && memcmp(bt.y + dst, y + src, sizeof *y * V) == 0;
            }
        }
    }
    CHECK(same, "stream b of window t0 is steps b*S + t0 .. of the whole sequence (B %d, S %d)", B, S);
    free(x);
    free(y);

    /* Evaluation: the validation split (1499 steps, two windows of 1024 and more) against one
     * forward pass over the whole sequence at once. */
    rnl_config c = {RNL_CELL_LSTM, RNL_VARIANT_PAPER, RNL_HEAD_SOFTMAX, 2, V, 8, V, 0};
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    st = rnl_model_create(&c, &m);
    if (!st) st = rnl_model_init(m, 5, 0);
    if (!st) st = rnl_workspace_create(&ws);
    CHECK(st == RNL_OK, "model: %s", rnl_last_error());
    if (!st) {
        double sum = 0, frames = 0, whole = 0, fw = 0, seqm = 0;
        st = rnl_eval_split(m, ws, rnl_model_params(m), d, 1, &sum, &frames, &seqm);
        CHECK(st == RNL_OK && frames == d->steps(d, 1, 0) && frames > 1024, "windowed evaluation: %g frames", frames);
        int one = 0;
        rnl_batch bt;
        st = rnl_batcher_make(&bb, d, 1, &one, 1, &bt, &fw);
        if (!st) st = rnl_forward_backward(m, ws, rnl_model_params(m), &bt, NULL, 1.0, NULL, &whole);
        CHECK(st == RNL_OK && fw == frames, "whole pass");
        CHECK(fabs(sum - whole) <= 1e-9 * fabs(whole), "windows with the state carried = one pass: %.12g vs %.12g",
              sum, whole);
        CHECK(fabs(seqm - whole / fw) <= 1e-9 * fabs(whole / fw), "one stream: its mean NLL per step is the pooled one");
        CHECK(fabs(sum / frames - log(V)) < 0.2, "an untrained model is near log V per symbol (%g vs %g)",
              sum / frames, log(V));
    }
    rnl_workspace_free(ws);
    rnl_model_free(m);
    rnl_batcher_free(&bb);
    rnl_dataset_free(d);
}

/* Tiny Shakespeare from the data root: the README's 65 symbols, 90/5/5 of 1,115,394 bytes. */
static void test_tinyshakespeare(void) {
    rnl_dataset *d = NULL;
    rnl_status st = rnl_dataset_open("tinyshakespeare", NULL, NULL, &d);
    CHECK(st == RNL_OK, "tinyshakespeare: %s", rnl_last_error());
    if (st) return;
    CHECK(d->input == 65 && d->output == 65, "65 symbols (got %d)", d->input);
    CHECK(d->steps(d, 0, 0) == 1003854 - 1 && d->steps(d, 1, 0) == 55769 - 1 && d->steps(d, 2, 0) == 55771 - 1,
          "splits of 1003854, 55769, 55771 bytes (steps %d %d %d)", d->steps(d, 0, 0), d->steps(d, 1, 0),
          d->steps(d, 2, 0));
    rnl_dataset_free(d);
}

int main(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/rnnlab-text-XXXXXX");
    if (!mkdtemp(g_tmp)) return 1;
    test_open();
    test_streams();
    test_tinyshakespeare();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0) CHECK(0, "remove %s", g_tmp);
    return CHECK_DONE("text");
}
