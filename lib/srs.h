/* srs.h: the Sender Rewriting Scheme, SRS0 addresses in the shape of
 * libsrs2's with '-' after "SRS0" (so a .qmail-srs0-default file catches
 * them):  SRS0-HHHHHH=TT=domain=local@srsdomain
 * HHHHHH: HMAC-MD5 of the secret over "TT=domain=local" (lower case), in
 * base32; TT: the day, base32, modulo 1024. Case is not significant, as
 * local parts lose it on their way. Nothing here prints or exits. */
#ifndef SRS_H
#define SRS_H
#include <time.h>
#include "str.h"

#define SRS_MAX_AGE 21   /* days an SRS address stays good */

/* sender (local@domain) rewritten for srsdomain into out; -1 with EINVAL
 * when sender has no '@', ENOMEM */
int srs_forward(const char *secret, const char *sender, const char *srsdomain, time_t now, struct str *out);

/* the original sender of the SRS0 local part local (with or without
 * "@srsdomain") into out: 0, or -1 with errno EINVAL (not SRS0 or
 * malformed), EPERM (the hash does not match), ETIMEDOUT (too old), ENOMEM */
int srs_reverse(const char *secret, const char *local, time_t now, struct str *out);

/* what forwards need for SRS: control/srsdomain, srssecret and locals
 * of an instance (srs_load), SRS wanted when domain and secret are set */
struct srs_conf { struct str domain, secret, locals; };
/* read them from home's control/: 0, or -1 with errno (unreadable) */
int srs_load(struct srs_conf *, const char *home);
/* the envelope sender a forward of mail from sender gets, into out: an
 * SRS0 address at the domain when SRS is wanted and sender is foreign
 * (not null, not #@[] or a literal, its domain neither the SRS domain
 * nor in locals), else sender itself; -1 ENOMEM */
int srs_sender(const struct srs_conf *, const char *sender, time_t now, struct str *out);
#endif
