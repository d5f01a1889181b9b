/* fsx.h: small file-system helpers for crash-safe work. */
#ifndef FSX_H
#define FSX_H
#include <stddef.h>
#include "str.h"

int fsync_dir(const char *dir);              /* open the directory, fsync it */
int fsync_parent(const char *path);          /* fsync the directory of path */
/* remove path if it is there, and then fsync its directory: 0 (also when
 * it was not there), or -1 with errno set */
int unlink_synced(const char *path);
/* read a whole file (at most max bytes; EFBIG past it): 1 read, 0 missing, -1 error */
int file_read(const char *path, struct str *out, size_t max);
/* write path atomically: path.tmp, fsync, rename, fsync dir; mode as given */
int file_replace(const char *path, const char *data, size_t len, int mode);
int fd_cloexec(int fd);
int fd_nonblock(int fd);
int fd_move(int to, int from);               /* dup2 then close from */
/* rename, but never over an existing "to" (EEXIST): renameat2's
 * RENAME_NOREPLACE, called directly (musl has no wrapper) */
int rename_noreplace(const char *from, const char *to);
int mkdir_p(const char *path, int mode);

#endif
