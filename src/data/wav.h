/* wav.h — audio files in and out through libsndfile (internal API): any mono file libsndfile
 * reads, as floats; 16-bit PCM mono WAV written atomically. The speech data set (speech.h)
 * and the speech sampler (sample/sample.h) read and write their audio here.
 *
 * Units: samples are floats in [-1, 1]; libsndfile's float reading of 16-bit PCM is x/32768
 * exactly, so a 16-bit file gives values in [-1, 1). */
#ifndef RNL_WAV_H
#define RNL_WAV_H

#include <stddef.h>
#include "rnnlab.h"

/* The longest recording accepted (2^30 samples, 37 hours at 8 kHz): keeps every step count
 * inside an int and bounds what a corrupt header can make us allocate. */
#define RNL_WAV_MAX_SAMPLES ((size_t)1 << 30)

/* Read a mono audio file of any rate and sample format libsndfile reads, as floats in
 * [-1, 1] (integer formats are scaled by 1/2^(bits-1); float formats are taken as stored
 * and must be finite and within [-1, 1]). *samples is malloc'd (caller frees), *n > 0.
 * rate may be NULL. Missing or unopenable file: RNL_ERR_IO; not audio, stereo, no samples,
 * a data chunk cut short, a short read or a bad value: RNL_ERR_DATA; each message is one
 * line naming the file. */
rnl_status rnl_wav_read(const char *path, float **samples, size_t *n, int *rate);

/* Write n samples (any real values; each is clipped to [-1, 1) and rounded to the nearest
 * 16-bit step, v -> clamp(round(v * 32768), -32768, 32767)) as a 16-bit PCM mono WAV at
 * `rate` Hz. Atomic: the file appears complete or not at all. RNL_ERR_IO names the file. */
rnl_status rnl_wav_write16(const char *path, const float *samples, size_t n, int rate);

/* The 16-bit step nearest to v after clipping to [-1, 1): an integer in [-32768, 32767],
 * v -> clamp(round(v * 32768), -32768, 32767) with round = nearbyint (ties to even). What
 * rnl_wav_write16 stores for each sample. */
short rnl_wav_quantise16(double v);

#endif
