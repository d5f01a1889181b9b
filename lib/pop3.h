/* pop3.h: the pieces of POP3 (RFC 1939, 2449, 3206) that are not I/O:
 * response codes, message numbers, the output encoder (LF to CRLF,
 * dot-stuffing, TOP's line limit), the sizes clients expect, and what a
 * Maildir file name tells a POP3 server (its UIDL, its sizes, its order).
 * Nothing here reads, writes, exits or prints. */
#ifndef POP3_H
#define POP3_H
#include <stddef.h>
#include "str.h"

/* Extended response codes (RFC 2449 RESP-CODES, RFC 3206), with the
 * space that follows them in a reply. */
#define POP3_RC_AUTH     "[AUTH] "       /* the credentials were refused */
#define POP3_RC_SYS_TEMP "[SYS/TEMP] "   /* our trouble: try again later */
#define POP3_RC_SYS_PERM "[SYS/PERM] "   /* our trouble: do not retry as is */
#define POP3_RC_IN_USE   "[IN-USE] "     /* another session holds the mailbox */

#define POP3_UIDL_MAX 70                 /* RFC 1939: 1 to 70 characters */

/* pop3_number: a message number (or TOP's line count) at s: the digits
 * consumed, 0 when s does not start with a digit. A number too large for
 * an unsigned long reads as ULONG_MAX ("no such message", not a syntax
 * error). */
int pop3_number(const char *s, unsigned long *n);

/* The encoder: a message file as it goes over the wire. A line starting
 * with '.' gets one more; LF without CR before it becomes CRLF; an
 * unterminated last line gets CRLF; the end is ".\r\n". With a line
 * limit (TOP) it stops after the header, the empty line and that many
 * body lines. vsize counts what the client keeps: every byte sent before
 * the final ".\r\n" except the stuffed dots (RFC 1939's octet count). */
struct pop3_enc {
  int bol;                    /* at the start of a line */
  int cr;                     /* the last byte was CR */
  int body;                   /* past the header's end */
  size_t linelen;             /* bytes of the current line so far */
  unsigned long lines;        /* body lines done */
  unsigned long maxlines;     /* TOP's limit */
  int limited;                /* maxlines applies */
  int done;                   /* the limit was reached */
  unsigned long long vsize;
};
void pop3_enc_init(struct pop3_enc *, int limited, unsigned long maxlines);
/* encode in[0..n) onto out; returns the bytes consumed (fewer than n only
 * when the limit was reached: done set), or (size_t)-1 with ENOMEM */
size_t pop3_enc_feed(struct pop3_enc *, const char *in, size_t n, struct str *out);
/* the end: CRLF for an unterminated line, then ".\r\n" */
int pop3_enc_end(struct pop3_enc *, struct str *out);

/* The size alone, as pop3_enc would count it for the whole message
 * (vsize), faster: one memchr per line. */
struct pop3_vsize {
  unsigned long long size;
  int cr;                     /* the last byte was CR */
  int bol;
};
void pop3_vsize_init(struct pop3_vsize *);
void pop3_vsize_feed(struct pop3_vsize *, const char *in, size_t n);
unsigned long long pop3_vsize_end(const struct pop3_vsize *);

/* Maildir names (maildir(5)): "unique[,S=size][,W=vsize][:2,flags]".
 * pop3_uidl: the unique part, before the first ',' or ':', which no
 * rename for flags or sizes changes; when it is empty, longer than
 * POP3_UIDL_MAX or holds a byte outside '!'..'~', the MD5 in hex of the
 * part before ':'. Appended to out; -1 with ENOMEM. */
int pop3_uidl(const char *name, struct str *out);
/* pop3_info: the number after ",K=" (K a letter) before any ':'
 * in name: 1 found, 0 not. */
int pop3_info(const char *name, char key, unsigned long long *value);
/* pop3_arrival: when a message arrived, from its name: *sec the leading
 * number (the delivery time), *usec the number after the first 'M' that
 * a digit follows ("M<usec>" of qmail-era, Courier, Dovecot and Postfix
 * names), 0 when missing. Sorting by both, then by name, lists a Maildir
 * oldest first without a stat(2). */
void pop3_arrival(const char *name, unsigned long long *sec, unsigned long long *usec);

#endif
