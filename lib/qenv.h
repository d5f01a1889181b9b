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
#include "str.h"

#define QENV_ATTR     "user.quail.env"
#define QENV_ATTR_MAX 2048

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
