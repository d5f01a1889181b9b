/* relay.h: who may send where, decided once for smtpd and qmtpd
 * (qmail-smtpd's rules). A recipient's domain must be ours: in
 * control/rcpthosts ("example.com" exact, ".example.com" any subdomain)
 * or in control/morercpthosts.cdb (the domain, then each ".parent"),
 * unless the client is trusted: RELAYCLIENT is set (its value is then
 * appended to every recipient) or, in smtpd, it authenticated. Without
 * control/rcpthosts nothing is ours. control/badmailfrom and badrcptto
 * (and their .cdb forms) list refused addresses ("user@domain") and
 * domains ("@domain"), any case; the files (not the cdbs) also take
 * shell wildcards: "@*.domain" against the domain, "*@*.domain" or
 * "spam*@domain" against the whole address.
 *
 * Control paths are relative: the programs run in HOME. The program
 * reads RELAYCLIENT and puts its value in client. Lookups return 1 yes,
 * 0 no, -1 with errno (a cdb that cannot be read, ENOMEM). */
#ifndef RELAY_H
#define RELAY_H
#include "str.h"

struct relay {
  const char *client;             /* RELAYCLIENT's value, or 0 */
  struct str rcpthosts;           /* control/rcpthosts, NUL-separated */
  int have_rcpthosts;             /* control/rcpthosts exists */
  struct str badmailfrom, badrcptto;
  struct str key, val;            /* scratch for cdb lookups */
};
#define RELAY_ZERO { 0, STR_ZERO, 0, STR_ZERO, STR_ZERO, STR_ZERO, STR_ZERO }

/* read control/rcpthosts; -1 with errno and *bad naming the file */
int relay_load(struct relay *, const char **bad);
/* read control/badmailfrom and control/badrcptto, the same way */
int relay_load_bad(struct relay *, const char **bad);

/* "postmaster" alone is postmaster@me (RFC 5321 4.5.1); any other
 * address needs a domain: 0, or -1 with EINVAL (none) or ENOMEM */
int relay_qualify(struct str *addr, const char *me);
/* may mail go to addr (qualified): trusted (RELAYCLIENT set, or
 * authenticated) or its domain ours */
int relay_allowed(struct relay *, const char *addr, int authenticated);
/* append RELAYCLIENT's value, if any, to an accepted recipient */
int relay_append(const struct relay *, struct str *addr);
/* is addr refused: listed in badmailfrom / badrcptto or their cdb */
int relay_badmailfrom(struct relay *, const char *addr);
int relay_badrcptto(struct relay *, const char *addr);

#endif
