/* split.c — split names to indices (see split.h). */
#include "data/split.h"

#include <string.h>

int rnl_split_parse(const char *s) {
    return strcmp(s, "train") == 0 ? 0 : strcmp(s, "valid") == 0 ? 1 : strcmp(s, "test") == 0 ? 2 : -1;
}
