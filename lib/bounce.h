/* bounce.h: RFC 3464 bounce messages that qmail-era parsers still read.
 *
 * The message has no MIME preamble; its first part is text/plain in
 * qmail's QSBMF form ("Hi. This is the ... program at HOST.", one
 * "<address>:" paragraph per failed recipient, then a "---" line), the
 * second message/delivery-status, the third the returned message
 * (message/rfc822, or text/rfc822-headers when it is too large). The
 * caller writes bounce_head(), then the original message (or only its
 * header), then bounce_tail(). Nothing here does I/O. */
#ifndef BOUNCE_H
#define BOUNCE_H
#include <time.h>
#include "str.h"

#define BOUNCE_FULL_MAX (100 * 1024)  /* larger messages return only their header */

struct bounce {
  const char *host;        /* reporting MTA (control/me) */
  const char *from;        /* bouncefrom@bouncehost */
  const char *to;          /* the original sender, or the double-bounce address */
  const char *sender;      /* the original envelope sender */
  time_t arrival;          /* when the message arrived */
  time_t now;
  unsigned long id;        /* queue id, for the boundary and Message-ID */
  int full;                /* return the whole message, else its header only */
  const struct str *fails; /* "recipient\0reason\0" repeated */
};

int bounce_head(struct str *out, const struct bounce *);
int bounce_tail(struct str *out, const struct bounce *);

#endif
