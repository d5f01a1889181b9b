/* netstring.h: netstrings, "LEN:DATA," (D. J. Bernstein,
 * cr.yp.to/proto/netstrings.txt), the framing of QMTP and QMQP, read
 * from and written to a struct buf with every length bounded: a length
 * is checked against the caller's bound before any of its data is read,
 * so a huge length never allocates.
 *
 * Reading functions return -1 with errno set to
 *   EPROTO    malformed: no digit, a leading zero, a byte other than a
 *             digit before the colon, or no comma after the data
 *   EMSGSIZE  the length is above the caller's bound (its data unread)
 *   ENODATA   the input ended inside a netstring
 * or to the error of the read itself (ETIMEDOUT ...). */
#ifndef NETSTRING_H
#define NETSTRING_H
#include <stddef.h>
#include "buf.h"
#include "str.h"

#define NS_DIGITS_MAX 19     /* more digits than this is EMSGSIZE: < 2^63 */

/* reading */
/* ns_getlen: read "LEN:" into *len, at most max. Returns 1, or 0 when
 * the input ends before its first byte (a clean end between netstrings),
 * or -1. */
int ns_getlen(struct buf *, unsigned long long max, unsigned long long *len);
int ns_read(struct buf *, char *s, size_t n);          /* exactly n bytes */
int ns_skip(struct buf *, unsigned long long n);       /* read and drop n bytes */
int ns_getcomma(struct buf *);                         /* the closing "," */
/* ns_get: a whole netstring of at most max bytes into out (its text
 * replaced, NUL-terminated beyond len). 1, 0 at a clean end, or -1. */
int ns_get(struct buf *, struct str *out, size_t max);

/* the bytes a netstring holding len bytes takes: "LEN:" len "," */
unsigned long long ns_size(unsigned long long len);

/* writing */
int ns_puthead(struct buf *, unsigned long long len);  /* "LEN:" */
int ns_put(struct buf *, const char *, size_t);        /* "LEN:DATA," */
int ns_cat(struct str *, const char *, size_t);        /* append "LEN:DATA," */

#endif
