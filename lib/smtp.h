/* smtp.h: the SMTP protocol's pieces that are not I/O: paths and ESMTP
 * parameters (RFC 5321, 6531), replies with enhanced status codes
 * (RFC 2034, 3463), the DATA decoder (dot-unstuffing, strict CRLF),
 * and the Received line. Nothing here reads, writes, exits or prints. */
#ifndef SMTP_H
#define SMTP_H
#include <stddef.h>
#include <time.h>
#include "esc.h"
#include "str.h"

/* a reply line "code-esc text" (more) or "code esc text" (last), CRLF
 * ended; esc may be 0 (greeting, HELO/EHLO, 3xx replies) */
int smtp_reply(struct str *out, unsigned code, int more, const char *esc, const char *text);

/* smtp_path: the path after "MAIL FROM:" or "RCPT TO:" at s: "<>",
 * "<[@route,@route:]mailbox>" or a bare mailbox. The address goes to
 * addr unquoted (local@domain, the domain's one trailing dot dropped;
 * empty for "<>"); *rest points after the path. *utf8 is set when the
 * address holds non-ASCII bytes. Returns 0, or -1 with errno EINVAL
 * (syntax), E2BIG (longer than ADDR_MAX) or ENOMEM. */
int smtp_path(const char *s, struct str *addr, const char **rest, int *utf8);
/* the next ESMTP parameter "KEY[=VALUE]" at *s (spaces skipped):
 * 1 found (pointers into s), 0 none left, -1 malformed */
int smtp_param(const char **s, const char **key, size_t *keylen, const char **val, size_t *vallen);
/* a domain the way rcpthosts sees it: letters, digits, '-', non-ASCII,
 * dot-separated non-empty labels; or an address literal [...] */
int smtp_domain_ok(const char *d);

/* smtp_clean: append s (at most max bytes of it) with every byte that
 * could break a header or a log line (controls, DEL) replaced by '?' */
int smtp_clean(struct str *out, const char *s, size_t max);

/* The DATA decoder: feed it the bytes after "354"; it drops the dot of
 * dot-stuffed lines, turns CRLF into LF and stops after CRLF "." CRLF.
 * A bare LF or bare CR never ends a line in the SMTP sense (so "\n.\n"
 * and friends cannot end the message): it is flagged, and stored as LF
 * when normalising. A NUL is flagged (and stored: the caller refuses).
 * What comes out holds no CR at all.
 *
 * Every way into the queue (smtpd's DATA and BDAT, qmtpd, qmqpd, local
 * submission) passes the message through it, so one rule holds for all:
 * the messages that come in over QMTP, QMQP and from sendmail and inject
 * are in LF form (lf set, chunked set): LF ends a line there, CRLF is
 * taken as LF, a bare CR is flagged as in SMTP. */
#define SMTP_DATA_BARE_LF   1
#define SMTP_DATA_BARE_CR   2
#define SMTP_DATA_LONG_LINE 4    /* a line longer than maxline */
#define SMTP_DATA_TOO_BIG   8    /* more than maxbytes: output stopped */
#define SMTP_DATA_HEADERS   16   /* more header fields than maxheaders */
#define SMTP_DATA_LOOP      32   /* more Received fields than maxhops */
#define SMTP_DATA_NUL       64   /* a NUL byte */

/* control/databytes when it is missing: smtpd, qmtpd and qmqpd */
#define SMTP_DATABYTES_DEFAULT 52428800UL

struct smtp_data {
  int state;
  int chunked;                   /* BDAT (RFC 3030): no dots, no end marker */
  int lf;                        /* LF form: LF ends a line (not flagged) */
  int flags;                     /* SMTP_DATA_* seen so far */
  int in_header;
  unsigned long long bytes;      /* stored bytes (after decoding) */
  unsigned long long maxbytes;   /* 0: no limit */
  size_t linelen, maxline;
  unsigned long headers, maxheaders;
  unsigned long hops, maxhops;
  int field_state;               /* where the current header line is */
  size_t field_len;
  char field[10];                /* start of its field name */
};

void smtp_data_init(struct smtp_data *, unsigned long long maxbytes, size_t maxline,
                    unsigned long maxheaders, unsigned long maxhops);
/* decode in[0..n) into out (appended); returns the bytes consumed, which
 * is less than n only when the end of DATA was reached (*done set) or
 * out could not grow (ENOMEM) */
size_t smtp_data_feed(struct smtp_data *, const char *in, size_t n, struct str *out, int *done);
/* the end of a chunked message (BDAT LAST): a CR left waiting was bare */
int smtp_data_last(struct smtp_data *, struct str *out);
/* the flags among flags for which the message is refused: every one but
 * a bare CR or LF when normalize is set (control/smtpnormalize) */
int smtp_data_fatal(int flags, int normalize);

/* The Received line smtpd puts on top of each message (RFC 5321 4.4). */
struct smtp_received {
  const char *helo;      /* as the client said it */
  const char *host;      /* TCPREMOTEHOST, or 0 */
  const char *ip;        /* TCPREMOTEIP */
  const char *me;        /* our name */
  const char *proto;     /* "ESMTPSA" and friends (RFC 3848) */
  const char *tls;       /* "TLSv1.3 CIPHER", or 0 */
  const char *auth;      /* the authenticated user, or 0 */
  time_t when;
};
int smtp_received(struct str *out, const struct smtp_received *);
/* "[" or "[IPv6:" before a client's address (RFC 5321 address literals) */
const char *smtp_ip_prefix(const char *ip);

#endif
