/* mbox.h: appending messages to an mbox file (mbox(5)): the exclusive
 * lock, the "From " line, >From quoting, and taking a failed append back.
 * Functions return -1 with errno set on failure; none exits or prints. */
#ifndef MBOX_H
#define MBOX_H
#include <sys/types.h>
#include <time.h>
#include "buf.h"
#include "str.h"

#define MBOX_LOCK_WAIT 30       /* seconds to wait for the lock */
#define MBOX_LOCK_POLL 100      /* milliseconds between tries */
#define MBOX_LINE_MAX  65536    /* bytes of a line looked at for quoting */

struct mbox {
  int fd;
  off_t start;      /* size before this append */
};

/* open path for appending (made with mode 0600 when missing; a regular
 * file only, else EINVAL), take an flock and an fcntl lock on it, waiting
 * at most wait seconds (then ETIMEDOUT), and note its size */
int mbox_open(struct mbox *, const char *path, int wait);
/* "From SENDER DATE\n": blanks in SENDER written as '-', MAILER-DAEMON
 * for the empty sender, DATE as asctime(3) gives it, in UTC */
int mbox_fromline(struct str *out, const char *sender, time_t);
/* the message from in to out: '>' before each line that matches
 * ^>*From , a newline after an unterminated last line, then a blank line.
 * 0 done, -1 a read error, -2 a write error (errno set). */
int mbox_copy(struct buf *in, struct buf *out);
/* take the same locks on an open fd (for a reader that empties the mbox) */
int mbox_lock(int fd, int wait);
/* fsync and close; when the fsync fails the append is taken back */
int mbox_commit(struct mbox *);
/* truncate back to the size at open, then close (which unlocks) */
void mbox_abort(struct mbox *);

#endif
