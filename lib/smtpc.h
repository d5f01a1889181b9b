/* smtpc.h: the client side of SMTP (RFC 5321): reading replies, the
 * EHLO keywords, a message's facts (size, 8-bit, UTF-8 header), and the
 * DATA encoder (LF to CRLF, dot-stuffing, the final dot). Used by
 * deliver-remote and maildir-smtp over a struct buf, so TLS can sit
 * underneath. Nothing here exits or prints. */
#ifndef SMTPC_H
#define SMTPC_H
#include <stddef.h>
#include "buf.h"
#include "str.h"

#define SMTPC_TEXT_MAX  4000    /* bytes of a reply's text kept */
#define SMTPC_LINE_MAX  2048    /* a reply line longer than this is cut */
#define SMTPC_LINES_MAX 200     /* lines of one reply */

/* a reply: its code and its lines ("250-first\n250 last"), CR dropped */
struct smtpc_reply {
  unsigned code;
  struct str text;
  struct str line;              /* scratch */
};
/* read one reply: its code (200..599, or 1xx as sent), or -1 with errno
 * (EPROTO for a malformed or endless reply, EPIPE at end of input, or the
 * read's own error such as ETIMEDOUT) */
int smtpc_reply(struct buf *in, struct smtpc_reply *);

/* what the server offered in its EHLO reply */
#define SMTPC_PIPELINING 1
#define SMTPC_8BITMIME   2
#define SMTPC_SMTPUTF8   4
#define SMTPC_STARTTLS   8
#define SMTPC_SIZE       16
#define SMTPC_AUTH_PLAIN 32
#define SMTPC_AUTH_LOGIN 64
struct smtpc_ext {
  unsigned flags;
  unsigned long long size;      /* SIZE's limit, 0 for none given */
};
void smtpc_ehlo(const struct str *text, struct smtpc_ext *);

/* a message's facts, fed in pieces */
struct smtpc_scan {
  unsigned long long bytes;     /* as sent: CRLF line ends, before stuffing */
  int eightbit;                 /* a byte above 127 anywhere */
  int header_utf8;              /* one in the header */
  int in_header, bol;
};
void smtpc_scan_init(struct smtpc_scan *);
void smtpc_scan_feed(struct smtpc_scan *, const char *, size_t);

/* the DATA encoder: LF, CRLF and a bare CR each end a line and are sent
 * as CRLF (no bare CR or LF ever leaves); a NUL is not sent; a line
 * starting with "." gets another; smtpc_dot_end ends an unterminated last
 * line and sends ".\r\n". Returns 0, or -1 with errno from the buffer. */
struct smtpc_dot { int bol; int cr; };
void smtpc_dot_init(struct smtpc_dot *);
int smtpc_dot_put(struct smtpc_dot *, struct buf *out, const char *, size_t);
int smtpc_dot_end(struct smtpc_dot *, struct buf *out);

/* does s hold a byte above 127 */
int smtpc_8bit(const char *s);

#endif
