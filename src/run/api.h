/* api.h — what the tool shares with the public workflow of api.c (internal). */
#ifndef RNL_API_H
#define RNL_API_H

#include "run/options.h"

/* A resume takes its options from the run's directory: refuse (RNL_ERR_USAGE, naming the
 * option) any given in o (its `given` bits) other than the stopping rules and quiet. */
rnl_status rnl_resume_options_check(const rnl_train_opts *o);

#endif
