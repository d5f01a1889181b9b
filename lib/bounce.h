/* bounce.h: RFC 3464 bounce messages that qmail-era parsers still read.
 *
 * The message has no MIME preamble; its first part is text/plain in
 * qmail's QSBMF form ("Hi. This is the ... program at HOST.", one
 * "<address>:" paragraph per failed recipient, then a "---" line, in
 * qmail-send's words, its double-bounce ones for the null sender), the
 * second message/delivery-status, the third the returned message
 * (message/rfc822, or text/rfc822-headers when it is too large). The
 * caller writes bounce_head(), then the original message (or only its
 * header), then bounce_tail(). Nothing here does I/O. */
#ifndef BOUNCE_H
#define BOUNCE_H
#include <time.h>
#include "esc.h"
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
  const struct str *fails; /* failure records (bounce_fail) */
};

int bounce_head(struct str *out, const struct bounce *);
int bounce_tail(struct str *out, const struct bounce *);
/* A failure record, as queue/bounce/ID holds them one after another:
 * "recipient\0status\0reason\0". The status (RFC 3463) is the DSN part's
 * Status:; the reason, qmail's text, goes to both parts as it is. A
 * record written before the status field existed, "recipient\0reason\0",
 * is still read: its status is the reason's (esc_report), else 5.0.0. */
struct bounce_rec {
  const char *rcpt, *reason;
  char status[ESC_MAX];
};
/* append a record: the reason is why[0..len) */
int bounce_fail(struct str *fails, const char *rcpt, const char *status, const char *why, size_t len);
/* the record at *pos into r, *pos moved past it: 1, or 0 at the end */
int bounce_next(const struct str *fails, size_t *pos, struct bounce_rec *r);

#endif
