/* split.h — the three splits of every data set: their indices and their names (internal API).
 * The music reader, the data set adapters and the manifest parser share them. */
#ifndef RNL_SPLIT_H
#define RNL_SPLIT_H

#define RNL_SPLIT_TRAIN 0
#define RNL_SPLIT_VALID 1
#define RNL_SPLIT_TEST 2

/* Split name to index ("train", "valid", "test"), -1 if none. */
int rnl_split_parse(const char *s);

#endif
