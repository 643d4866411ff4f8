/* lock.c — the run directory's lock file (see lock.h). */
#include "io/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "io/util.h"

struct rnl_lock {
    int fd;
};

/* "rnnlab train (process 123)" from a held lock file's contents, for the message. */
static void holder(int fd, char *out, size_t n) {
    char buf[256] = "";
    ssize_t k = pread(fd, buf, sizeof buf - 1, 0);
    long pid = 0;
    char what[64] = "";
    if (k > 0) buf[k] = 0;
    if (k > 0 && sscanf(buf, "pid=%ld command=%63s", &pid, what) == 2)
        snprintf(out, n, "rnnlab %s (process %ld)", what, pid);
    else
        snprintf(out, n, "another rnnlab process");
}

rnl_status rnl_dir_lock(const char *dir, const char *what, rnl_lock **out) {
    *out = NULL;
    char path[4200];
    rnl_status st = rnl_mkdir_p(dir);
    if (!st) st = rnl_path_join(path, sizeof path, dir, "rnnlab.lock");
    if (st) return st;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char who[128];
        if (e == EWOULDBLOCK) holder(fd, who, sizeof who);
        close(fd);
        if (e == EWOULDBLOCK)
            return rnl_fail(RNL_ERR_USAGE, "%s is in use by %s: wait for it to finish or stop it", dir, who);
        return rnl_fail(RNL_ERR_IO, "%s: cannot lock: %s", path, strerror(e));
    }
    char text[128];
    int len = snprintf(text, sizeof text, "pid=%ld command=%s\n", (long)getpid(), what);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len) {
        int e = errno;
        close(fd);
        return rnl_fail(RNL_ERR_IO, "%s: cannot write: %s", path, strerror(e));
    }
    rnl_lock *l = malloc(sizeof *l);
    if (!l) {
        close(fd);
        return rnl_fail(RNL_ERR_NOMEM, "out of memory locking %s", dir);
    }
    l->fd = fd;
    *out = l;
    return RNL_OK;
}

void rnl_dir_unlock(rnl_lock *l) {
    if (!l) return;
    close(l->fd);
    free(l);
}
