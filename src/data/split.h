/* split.h — the three splits of every data set: their indices and their names (internal API).
 * The music reader, the data set adapters and the manifest parser share them. */
#ifndef RNL_SPLIT_H
#define RNL_SPLIT_H

#include "rnnlab.h" /* RNL_SPLIT_TRAIN, _VALID, _TEST and rnl_split_parse are public */

#endif
