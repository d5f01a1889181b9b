/* maildir.h: Maildir directories (maildir(5)): making one, delivering a
 * message into it the crash-safe way, and listing what it holds.
 * Functions return -1 with errno set on failure; none exits or prints. */
#ifndef MAILDIR_H
#define MAILDIR_H
#include <stddef.h>
#include <time.h>
#include "str.h"

#define MAILDIR_HOST_MAX 64     /* bytes of the host name kept in unique names */
#define MAILDIR_TRIES    3      /* fresh unique names tried when one is taken */

/* make dir (mode 0700, EEXIST when it exists) with tmp/, new/ and cur/;
 * on failure nothing this call made is left */
int maildir_make(const char *dir);

/* One delivery: maildir_open creates dir/tmp/UNIQUE with
 * UNIQUE = time.M<usec>P<pid>_<count>.host; the caller writes the
 * message to fd; maildir_commit fsyncs and closes it, links it into
 * dir/new/ (renames where links are not supported), removes the tmp
 * name and fsyncs new/. maildir_abort closes and removes the tmp file.
 * After a failed commit the tmp file is already gone. */
struct maildir_tmp {
  int fd;
  struct str tmp;   /* dir/tmp/UNIQUE */
  struct str new;   /* dir/new/UNIQUE */
};
int maildir_open(struct maildir_tmp *, const char *dir);
int maildir_commit(struct maildir_tmp *);
void maildir_abort(struct maildir_tmp *);

/* The messages of a Maildir (new/ and cur/, names starting with a dot
 * skipped), oldest first: by modification time, then by name. */
struct maildir_msg {
  size_t path;      /* offset of "dir/new/NAME" in the list's names */
  time_t mtime;
};
struct maildir_list {
  struct maildir_msg *m;
  size_t n, cap;
  struct str names;
};
#define MAILDIR_LIST_ZERO { 0, 0, 0, STR_ZERO }
int maildir_list(const char *dir, struct maildir_list *);
const char *maildir_path(const struct maildir_list *, size_t i);
void maildir_list_free(struct maildir_list *);

#endif
