/* spf.h: SPF (RFC 7208) checks of a client's MAIL FROM over libspf2,
 * with DNS through lib/dns.h (so a resolv.conf named by the caller, as
 * for deliver-remote, is honoured). Nothing here prints or exits. */
#ifndef SPF_H
#define SPF_H
#include "str.h"

/* results, in RFC 7208's names (spf_name) */
enum spf_result {
  SPF_R_NONE, SPF_R_NEUTRAL, SPF_R_PASS, SPF_R_FAIL, SPF_R_SOFTFAIL,
  SPF_R_TEMPERROR, SPF_R_PERMERROR
};

struct spf;   /* opaque: a libspf2 server and a resolver */

/* a checker; conf names a resolv.conf (0 for the system's), me is our
 * host name for the Received-SPF comment. 0 on failure with errno set. */
struct spf *spf_open(const char *conf, const char *me);

/* check ip (IPv4 or IPv6 text), helo and sender (may be "", the null
 * sender: the HELO name is checked then). Sets *result and fills header
 * with a whole "Received-SPF: ...\n" field. 0, or -1 with errno (ENOMEM,
 * EINVAL for an unusable ip). */
int spf_check(struct spf *, const char *ip, const char *helo, const char *sender,
              enum spf_result *result, struct str *header);

/* "pass", "fail", ... */
const char *spf_name(enum spf_result);
#endif
