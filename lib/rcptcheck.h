/* rcptcheck.h: is a local recipient deliverable, decided at RCPT time
 * from HOME/users/rcpt.cdb (compiled by newrcpt as root) so that smtpd
 * and qmtpd refuse unknown local users instead of bouncing them later.
 *
 * The cdb mirrors queue-manager's user lookup and deliver-local's .qmail
 * search. Its keys (local parts lower-cased as in users/cdb):
 *   "=" local          an exact users/assign entry: value "y" or "n"
 *   "+" prefix         a users/assign prefix entry: a space
 *   "u" name           a system user (getpwnam's name, as typed): a space
 *   "a"                the alias user: a space
 * A space's value is "y" (every extension is deliverable) or "s" (some
 * are); then, with SPACE the space's key and REST the part of the local
 * part the space does not fix, lower-cased with '.' as ':':
 *   "?" SPACE NUL REST   this REST is deliverable (a .qmail-EXT file)
 *   "*" SPACE NUL PRE    every REST starting with PRE is (PRE is empty or
 *                        ends with '-': a .qmail-PRE-default file)
 * Never exits or prints; reads the files it is told to. */
#ifndef RCPTCHECK_H
#define RCPTCHECK_H
#include <cdb.h>
#include "route.h"
#include "str.h"

#define RCPTCHECK_CDB     "users/rcpt.cdb"
#define RCPTCHECK_CONTROL "control/rcptcheck"
#define RCPTCHECK_NAME_MAX 64   /* a system user's name, as queue-manager */

enum rcptcheck_mode { RCPTCHECK_AUTO, RCPTCHECK_ON, RCPTCHECK_OFF };

struct rcptcheck {
  enum rcptcheck_mode mode;      /* control/rcptcheck: missing, 1, 0 */
  int fd;                        /* users/rcpt.cdb, or -1 */
  struct cdb c;
  struct route rt;
  struct str key, val, local, domain;
};

/* read control/rcptcheck, locals and virtualdomains (under "control",
 * paths relative to HOME) and open users/rcpt.cdb; 0, or -1 with errno
 * and *bad naming the file */
int rcptcheck_load(struct rcptcheck *, const char *me, const char **bad);
/* 1 deliverable or not local, 0 no such local recipient, -1 error */
int rcptcheck_known(struct rcptcheck *, const char *addr);

/* out = s[0..n) lower-cased with '.' as ':' (deliver-local's ext) */
int rcptcheck_safe(struct str *out, const char *s, size_t n);
/* is an ext (already safe) matched by a .qmail name suffix x: exactly,
 * or x is "default" / "PRE-default" and ext starts with "PRE-" */
int rcptcheck_qmail_match(const char *x, const char *ext);
/* the wildcard part of x when it is a -default name: its length, or -1 */
long rcptcheck_default_prefix(const char *x);

#endif
