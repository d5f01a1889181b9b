/* qfilter.h: the two ends of a QMAILQUEUE-style filter: take the message
 * (fd 0) and envelope (fd 1) of the qmail-queue protocol, and hand them,
 * with header fields put on top, to the next queue program. */
#ifndef QFILTER_H
#define QFILTER_H
#include <stddef.h>
#include <sys/types.h>
#include "str.h"

#define QFILTER_ENV_MAX (16 * 1024 * 1024)   /* an envelope larger than this is refused */

/* read fd 0 to its end (at most max bytes: EFBIG), then fd 1 to its end.
 * 0, or -1 with errno. */
int qfilter_read(struct str *msg, struct str *env, size_t max);

/* run prog (an absolute path) with top + msg on its fd 0 and env on its
 * fd 1; its exit code (a qmail-queue code), or -1 with errno when it
 * could not be run or was killed */
int qfilter_pass(const char *prog, const struct str *top, const struct str *msg, const struct str *env);

/* the same in pieces, for a filter that writes the message as it goes:
 * start prog, with the write ends of its message and envelope pipes in
 * *mfd and *efd (the caller writes the message to *mfd and closes it);
 * then qfilter_finish writes env, closes efd and waits: the exit code as
 * for qfilter_pass */
pid_t qfilter_start(const char *prog, int *mfd, int *efd);
int qfilter_finish(pid_t pid, int efd, const struct str *env);

/* a filter that keeps the message on disk: fd 0 copied to a file in dir
 * that has no name (gone when closed); every read waits at most timeout
 * seconds (ETIMEDOUT). The file's fd with *len its size, or -1 with errno
 * (the write's own, ENOSPC, tells a full disk from a failed read) */
int qfilter_spool(const char *dir, int timeout, off_t *len);
/* then the envelope from fd 1, each read within timeout: 0, or -1 */
int qfilter_read_env(struct str *env, int timeout);

/* the envelope's sender (the text after 'F'), or 0 when malformed */
const char *qfilter_sender(const struct str *env);
/* the domain of the first address of msg's From: field into d (not
 * NUL-terminated); 1 found, 0 not (or out of memory) */
int qfilter_from_domain(const struct str *msg, struct str *d);
#endif
