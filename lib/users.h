/* users.h: users/assign, qmail's format, compiled by newu into users/cdb.
 *
 *   =local:user:uid:gid:homedir:dash:ext:
 *   +prefix:user:uid:gid:homedir:dash:pre:
 *   .
 *
 * In the cdb an exact entry has key "=" local, a prefix entry key "+"
 * prefix (both lower-cased); the value is user, uid, gid, homedir, dash
 * and ext each followed by a NUL. */
#ifndef USERS_H
#define USERS_H
#include "str.h"

#define USERS_FIELD_MAX 1024

struct userinfo {
  struct str user, home, dash, ext;
  unsigned long uid, gid;
};

/* parse one assign line (no newline) into a cdb key and value;
 * 1 an entry, 0 the end line ".", -1 with EINVAL when malformed */
int users_parse_line(const char *line, struct str *key, struct str *val);
/* look local (any case) up in the cdb: 1 found, 0 not, -1 error.
 * For a prefix entry u->ext is pre followed by the rest of local. */
int users_lookup(const char *cdbpath, const char *local, struct userinfo *u);
void users_free(struct userinfo *);

#endif
