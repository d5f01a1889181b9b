/* pw.h: the instance's password database, HOME/users/passwd.cdb, which
 * checkpassword reads and quail-passwd writes (quail-passwd(8)).
 *
 *   key    the user name, lower-cased
 *   value  hash NUL uid NUL gid NUL home NUL maildir NUL apop NUL
 *
 * hash is crypt(3)'s ("$y$" yescrypt or "$6$" SHA-512-crypt from
 * libcrypt); an empty hash, or one starting with '!' or '*', lets nobody
 * in. home is absolute; maildir is relative to home or absolute; apop is
 * the APOP secret in clear, or empty for a user without APOP. */
#ifndef PW_H
#define PW_H
#include <stddef.h>
#include <cdb.h>
#include "str.h"

#define PW_NAME_MAX   128     /* bytes of a user name */
#define PW_SECRET_MAX 256     /* bytes of a password or APOP secret */
#define PW_FIELD_MAX  1024    /* bytes of any other field */
#define PW_YESCRYPT   "$y$"   /* crypt(3) prefixes */
#define PW_SHA512     "$6$"
#define PW_INPUT_MAX  512     /* bytes on fd 3 (the checkpassword interface) */

struct pw_entry {
  struct str hash, home, maildir, apop;
  unsigned long uid, gid;
};
#define PW_ENTRY_ZERO { STR_ZERO, STR_ZERO, STR_ZERO, STR_ZERO, 0, 0 }

/* a user name: 1 to PW_NAME_MAX bytes of '!'..'~' but ':' and '/', not
 * starting with '-' or '.' */
int pw_name_ok(const char *name);
/* the cdb key for name (lower-cased) into key; -1 ENOMEM */
int pw_key(const char *name, struct str *key);
int pw_encode(const struct pw_entry *, struct str *val);
/* the value val[0..n) into e; -1 with EINVAL when malformed, ENOMEM */
int pw_decode(const char *val, size_t n, struct pw_entry *e);
/* look name up in the database at path: 1 found, 0 not there, -1 with
 * errno (ENOENT: there is no database; EINVAL: a malformed entry) */
int pw_lookup(const char *path, const char *name, struct pw_entry *e);
/* the same in a database already open (cdbx_open): 1, 0, -1 with errno */
int pw_find(struct cdb *, const char *name, struct pw_entry *e);
/* every entry of the database, in file order: fn(ctx, key, klen, val,
 * vlen) returns 0 to go on; a missing database has no entries. Returns 0,
 * fn's -1, or -1 with errno. */
int pw_each(const char *path, int (*fn)(void *, const char *, size_t, const char *, size_t),
            void *ctx);
void pw_free(struct pw_entry *);

/* the checkpassword interface's input: name NUL password NUL timestamp NUL */
struct pw_input {
  char buf[PW_INPUT_MAX + 1];
  const char *name, *password, *stamp;
};
/* read fd to its end and split it: 0, or -1 with errno (EMSGSIZE: more
 * than PW_INPUT_MAX bytes; EINVAL: the NULs are missing; EBADF: no fd) */
int pw_input_read(int fd, struct pw_input *);
/* wipe the password from memory */
void pw_input_forget(struct pw_input *);

/* a new hash of password with prefix (PW_YESCRYPT or PW_SHA512), a fresh
 * salt and libcrypt's default cost, into out; -1 with errno (EINVAL: the
 * prefix is not supported here) */
int pw_hash(const char *password, const char *prefix, struct str *out);
/* does password match hash: 1 yes, 0 no (an unusable hash matches
 * nothing), -1 with errno. The comparison takes the same time whatever
 * the bytes. */
int pw_check(const char *password, const char *hash);
/* pw_spend: the time pw_check takes, for a user who does not exist, so
 * replies cannot tell unknown users by their speed */
void pw_spend(const char *password);
/* APOP (RFC 1939): is digest the MD5 in hex of timestamp followed by
 * secret? 1 yes, 0 no; an empty secret matches nothing. */
int pw_apop_check(const char *timestamp, const char *secret, const char *digest);

#endif
