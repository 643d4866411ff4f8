/* fuzz_midi.c — libFuzzer harness for the MIDI reader (src/midi.c) and the MIDI -> piano-roll
 * conversion (src/pianoroll.c). Each input is parsed from memory; any status is fine, a
 * crash, leak or sanitizer report is not. A file that parses is turned into a roll on the
 * sixteenth and quarter grids, and each roll must survive roll -> MIDI -> roll unchanged
 * (the writer's identity property), which checks the writer against arbitrary note sets.
 *
 * Build and run (from the repository root; the whole library is linked because the
 * conversion lives beside the .mat writer and the sampler):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_POSIX_C_SOURCE=200809L \
 *     -D_DEFAULT_SOURCE -Iinclude -Isrc fuzz/fuzz_midi.c src/[a-z]*.c \
 *     $(pkg-config --cflags --libs openblas matio sndfile) -lm -lpthread -o build/fuzz_midi
 *   build/fuzz_midi -max_total_time=60 -max_len=4096 fuzz/corpus/midi */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/midi.h"
#include "data/pianoroll.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roll(const rnl_midi *m, int fpq) {
    uint8_t *roll = NULL, *back = NULL;
    int T = 0, T2 = 0;
    if (rnl_roll_from_midi(m, fpq, 0, "fuzz", &roll, &T, NULL) != RNL_OK) return;
    for (size_t i = 0; i < (size_t)T * RNL_ROLL_KEYS; i++)
        if (roll[i] > 1) abort();
    unsigned char *b = NULL;
    size_t n = 0;
    if (rnl_roll_to_midi(roll, T, fpq, 120, 0, &b, &n) != RNL_OK) abort();
    rnl_midi m2;
    if (rnl_midi_parse(b, n, "fuzz-written", &m2) != RNL_OK) abort();
    if (rnl_roll_from_midi(&m2, fpq, 0, "fuzz-written", &back, &T2, NULL) != RNL_OK) abort();
    if (T2 != T || (T && memcmp(roll, back, (size_t)T * RNL_ROLL_KEYS) != 0)) abort();
    rnl_midi_free(&m2);
    free(b);
    free(roll);
    free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnl_midi m;
    if (rnl_midi_parse(data, size, "fuzz", &m) == RNL_OK) {
        for (size_t i = 0; i < m.nnotes; i++)
            if (m.notes[i].end <= m.notes[i].start || m.notes[i].key > 127 || m.notes[i].channel > 15) abort();
        check_roll(&m, 4);
        check_roll(&m, 1);
    }
    rnl_midi_free(&m);
    return 0;
}
