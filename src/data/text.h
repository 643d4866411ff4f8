/* text.h — a text file as a data set of symbols (internal API): character-level language
 * modelling, char-rnn's task.
 *
 * Symbols are the file's bytes. The vocabulary is the distinct bytes of the training split
 * in increasing order (symbol k = the k-th smallest byte), or a model's own (evaluating it:
 * rnl_model_meta.vocab); a byte of any split that is not in the vocabulary is an error
 * naming its offset in the file (no <unk> symbol: a model cannot have learned anything of
 * a byte it never saw, and a silent stand-in would hide a wrong file). The splits are
 * contiguous in file order: the first floor(f_train N) bytes train, the next floor(f_valid
 * N) validate, the rest test (default 90/5/5). Each split is one sequence, next-symbol
 * prediction: L bytes give L−1 steps, input the one-hot vector of byte t, target that of
 * byte t+1 (input = output = V symbols, the softmax head). The data set fills ranges of
 * steps (fill_range), so training cuts the training split into --batch streams and
 * evaluation runs each split as one stream in windows with the state carried. */
#ifndef RNL_TEXT_H
#define RNL_TEXT_H

#include "data/adapter.h"
#include "rnnlab.h"

/* Read the file at path and fill d (kind "text", a softmax head, vocab and split_text set).
 * split: "TRAIN/VALID/TEST" percentages summing to 100, the first two positive (NULL or "" =
 * "90/5/5"; stored as given in split_text, at most 63 bytes); vocab:
 * a model's vocabulary (hex, as rnl_model_meta.vocab) or NULL. Errors (RNL_ERR_DATA unless
 * said): an empty file or a split with fewer than 2 bytes; a byte outside the vocabulary
 * (its offset); a malformed vocab; a malformed split (RNL_ERR_USAGE). */
rnl_status rnl_text_open(const char *path, const char *split, const char *vocab, rnl_dataset *d);

/* The vocabulary as bytes: out[k] = byte of symbol k; returns V (1..256), or 0 when hex is not
 * an even number of hex digits naming distinct bytes. */
int rnl_text_vocab_bytes(const char *hex, unsigned char out[256]);

#endif
