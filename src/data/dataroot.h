/* dataroot.h — finding and fetching the data sets (internal API).
 *
 * A data set is named (jsb, nottingham, musedata, piano, tinyshakespeare, fsdd) or given as a path. Named sets
 * live under a data root, at the same relative paths as in the shared data directory:
 *   jsb        music/jsb_chorales.mat        nottingham  music/nottingham.mat
 *   musedata   music/musedata.mat            piano       music/piano_midi.mat
 *   fsdd       speech/fsdd (a directory holding manifest.tsv and recordings/)
 *   tinyshakespeare  text/tinyshakespeare.txt
 * The root is the --data-root option if given, else $RNNLAB_DATA if set and non-empty; only
 * when neither is set are the defaults ./data and then ../shared/data tried, in that order.
 * An explicit root is never silently replaced by another. */
#ifndef RNL_DATAROOT_H
#define RNL_DATAROOT_H

#include <stddef.h>
#include "rnnlab.h"

/* Resolve name_or_path to a file or directory path in out (size n).
 * Anything containing '/' or ending in .mat, .mid, .midi or .wav is a path, used as is, and so
 * is a word that is not a set's name but exists (a directory "mydata"); a path must exist
 * (RNL_ERR_IO otherwise). A name is looked up as above; not found is RNL_ERR_DATA with one
 * line naming the places looked in and how to get the data. An unknown name is
 * RNL_ERR_USAGE listing the names. root_opt may be NULL. */
rnl_status rnl_data_resolve(const char *name_or_path, const char *root_opt, char *out,
                            size_t n);

/* Download a named data set into a data root (root_opt, else $RNNLAB_DATA, else ./data),
 * creating directories as needed, with curl (wget if curl is missing). A music file is
 * checked against its published SHA-256 and renamed into place, so it appears complete or
 * not at all; a file already present with the right hash is kept. fsdd: the corpus tarball
 * is unpacked with tar, the recordings are counted with libsndfile and
 * speech/fsdd/{recordings/, manifest.tsv, README_upstream.md} appear by one rename.
 * The tools' own stderr is captured, not shown. A failed fetch removes what it created (the
 * partial file, the directories it made) and nothing that existed before. No network:
 * RNL_ERR_IO "could not download URL: curl exited N (offline? ...): <curl's last line>". */
rnl_status rnl_data_fetch(const char *name, const char *root_opt);

/* The error of a `data` command line that is not "fetch NAME" (nor import-midi): sub is its
 * first word, NULL if none. Always RNL_ERR_USAGE, one line: "data: unknown subcommand 'frob'
 * (expected fetch NAME or import-midi DIR)", or for "fetch" without a name, the names. */
rnl_status rnl_data_command_error(const char *sub);

/* One line per name: the name, its relative path and what it is (for --help). */
const char *rnl_data_names_help(void);

/* SHA-256 of a file as 64 lowercase hex digits plus NUL. */
rnl_status rnl_data_sha256_file(const char *path, char hex[65]);

#endif
