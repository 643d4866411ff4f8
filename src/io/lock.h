/* lock.h — one owner per run directory (internal).
 *
 * A directory in use by a train, search or reproduce process holds DIR/rnnlab.lock: a file
 * locked with flock(2) and holding "pid=<pid> command=<what>". The lock is taken atomically
 * (flock on the open file), and a lock left by a process that died is no lock at all (the
 * kernel releases flock locks with their last descriptor), so a killed run never blocks its
 * own resume. The descriptor is close-on-exec: a child started by a search does not inherit
 * its parent's lock. */
#ifndef RNL_LOCK_H
#define RNL_LOCK_H

#include "rnnlab.h"

typedef struct rnl_lock rnl_lock;

/* Take the lock of dir (created if missing) for the command `what` ("train", "search",
 * "reproduce"). Held: RNL_ERR_USAGE "DIR is in use by rnnlab WHAT (process PID): wait for it
 * to finish or stop it". */
rnl_status rnl_dir_lock(const char *dir, const char *what, rnl_lock **out);
/* Release it (NULL is fine). The lock file stays; an unlocked lock file means nothing. */
void rnl_dir_unlock(rnl_lock *l);

#endif
