/* qenv.h: where a queued message's envelope is (see quail-queue(5)).
 *
 * queue-writer puts an envelope of at most QENV_ATTR_MAX bytes into the
 * extended attribute QENV_ATTR of the message file queue/mess/ID, so a
 * message costs one file and one fsync less; a longer one, or one the
 * file system will not take as an attribute, goes into queue/mess/ID.env.
 * queue-manager and queue-admin write mess/ID.env (qenv_to_file) before
 * they change an envelope (done marks, the next attempt's time, hold).
 * The rule for readers: mess/ID.env when it exists, else the attribute.
 * All paths are relative to the queue directory. */
#ifndef QENV_H
#define QENV_H
#include <stddef.h>
#include "buf.h"
#include "str.h"

#define QENV_ATTR     "user.quail.env"
#define QENV_ATTR_MAX 2048
#define QENV_ADDR_MAX 1000        /* bytes of an address (qmail-queue's limit) */

/* qenv_copy: qmail-queue's envelope as queue-writer reads it from in
 * ('F' sender NUL, then 'T' recipient NUL for each, then NUL), copied to
 * out byte by byte as it is read (not flushed). first is its first byte
 * when the caller has read it already, else -1. An address holds no CR
 * or LF and at most QENV_ADDR_MAX bytes; a recipient is not empty.
 * Returns QENV_OK with the recipients counted in *rcpts (0 is allowed),
 * or the first trouble met: */
#define QENV_OK        0
#define QENV_EREAD    -1          /* in failed (errno set) */
#define QENV_EWRITE   -2          /* out failed (errno set) */
#define QENV_EFORMAT  -3          /* not an envelope */
#define QENV_ELONG    -4          /* an address longer than QENV_ADDR_MAX */
#define QENV_EEOF     -5          /* in ended before the envelope's last NUL */
int qenv_copy(struct buf *in, struct buf *out, int first, unsigned long *rcpts);

/* qenv_next: the recipients of a stored envelope env[0..len): 'F'
 * sender NUL, then per recipient its state byte ('T' to do, 'D' done, as
 * queue-manager marks it; others are the caller's to refuse) and the
 * address NUL, then NUL or the end. Start with *pos 0: 1 and the
 * offset of the next recipient's state byte in *at, 0 at the end, -1 a
 * field without its NUL (or no 'F' first). */
int qenv_next(const char *env, size_t len, size_t *pos, size_t *at);

/* is errno e "no attribute here" (none, or no attributes on this file
 * system) rather than trouble */
int qenv_no_attr(int e);
/* the attribute of the open message file fd into out (replacing its
 * contents): 1 read, 0 the file has none (or no attributes at all), -1
 * error with errno set */
int qenv_attr_read(int fd, struct str *out);
/* the same for the file at path */
int qenv_attr_read_path(const char *path, struct str *out);
/* is there an attribute envelope on path: 1 yes, 0 no, -1 error */
int qenv_attr_exists(const char *path);
/* is mess/ID a message whose envelope is its attribute alone (no
 * mess/ID.env), for a directory listing that also meets ID.env names */
int qenv_attr_only(unsigned long id);

/* ID's envelope in dir ("mess" or "hold"): ID.env, else (mess only) the
 * attribute of mess/ID. 2 read from the attribute, 1 from the file, 0 not
 * there, -1 error with errno set. At most max bytes from a file. */
int qenv_read(const char *dir, unsigned long id, struct str *out, size_t max);

/* write env as mess/ID.env, durably (tmp/, fsync, rename, fsync mess/),
 * then take the attribute off mess/ID: 0, or -1 with errno set and the
 * attribute left as it was */
int qenv_to_file(unsigned long id, const char *env, size_t len);

#endif
