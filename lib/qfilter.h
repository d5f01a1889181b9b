/* qfilter.h: the two ends of a QMAILQUEUE-style filter: take the message
 * (fd 0) and envelope (fd 1) of the qmail-queue protocol, and hand them,
 * with header fields put on top, to the next queue program. */
#ifndef QFILTER_H
#define QFILTER_H
#include <stddef.h>
#include "str.h"

#define QFILTER_ENV_MAX (16 * 1024 * 1024)   /* an envelope larger than this is refused */

/* read fd 0 to its end (at most max bytes: EFBIG), then fd 1 to its end.
 * 0, or -1 with errno. */
int qfilter_read(struct str *msg, struct str *env, size_t max);

/* run prog (an absolute path) with top + msg on its fd 0 and env on its
 * fd 1; its exit code (a qmail-queue code), or -1 with errno when it
 * could not be run or was killed */
int qfilter_pass(const char *prog, const struct str *top, const struct str *msg, const struct str *env);

/* the envelope's sender (the text after 'F'), or 0 when malformed */
const char *qfilter_sender(const struct str *env);
/* the domain of the first address of msg's From: field into d (not
 * NUL-terminated); 1 found, 0 not (or out of memory) */
int qfilter_from_domain(const struct str *msg, struct str *d);
#endif
