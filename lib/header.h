/* header.h: RFC 5322 header fields and address lists, read the way
 * qmail-inject reads them (qmail-header(5)): groups, comments, quoted
 * strings, angle addresses and display names; source routes dropped; a
 * space between two bare addresses separates them; addresses masqueraded
 * with a default host, a default domain and a plus domain. */
#ifndef HEADER_H
#define HEADER_H
#include <stddef.h>
#include "str.h"

enum header_kind {
  HEADER_OTHER,
  HEADER_TO, HEADER_CC, HEADER_BCC, HEADER_APPARENTLY_TO,
  HEADER_RESENT_TO, HEADER_RESENT_CC, HEADER_RESENT_BCC,
  HEADER_FROM, HEADER_SENDER, HEADER_REPLY_TO, HEADER_RETURN_PATH,
  HEADER_RETURN_RECEIPT_TO, HEADER_ERRORS_TO,
  HEADER_RESENT_FROM, HEADER_RESENT_SENDER, HEADER_RESENT_REPLY_TO,
  HEADER_DATE, HEADER_RESENT_DATE, HEADER_MESSAGE_ID, HEADER_RESENT_MESSAGE_ID,
  HEADER_CONTENT_LENGTH,
  HEADER_KINDS
};

/* Masquerading rules; a 0 member turns its rule off. */
struct header_rw {
  const char *defaulthost;    /* appended as "@host" to an address without '@' */
  const char *defaultdomain;  /* appended as ".domain" to a host without a dot */
  const char *plusdomain;     /* replaces a host's trailing '+' by ".domain" */
};

/* header_field: does line (n bytes) start a field "Name:"? The name is
 * printable ASCII without ':'; white space may come before the colon.
 * Returns the name's length and sets *body to the offset after the colon,
 * or returns 0. */
size_t header_field(const char *line, size_t n, size_t *body);
/* header_kind: the kind of the field named name (n bytes, any case) */
int header_kind(const char *name, size_t n);
/* header_addresses: does a field of this kind hold an address list? */
int header_addresses(int kind);

/* header_addrlist: parse the address list s (n bytes, a field's body,
 * possibly folded). Appends to out the same text with every address
 * that masquerading (rw, may be 0) changed written anew, and to addrs
 * each address in envelope form (local@domain, unquoted; "" for <>)
 * followed by a NUL. Returns 0, or -1 with errno EINVAL (malformed:
 * an unterminated quote, comment, literal or angle address) or ENOMEM. */
int header_addrlist(const char *s, size_t n, const struct header_rw *rw,
                    struct str *out, struct str *addrs);
/* header_rewrite: masquerade one envelope-form address in place (split at
 * its last '@'); "" (the null address) stays as it is. Returns 1 when it
 * changed, 0 when not, -1 with ENOMEM. */
int header_rewrite(struct str *addr, const struct header_rw *rw);
/* header_quoted: append s as a quoted-string; header_comment: as a
 * (comment). Control characters become spaces, so a name taken from the
 * environment cannot start a new header line. */
int header_quoted(struct str *out, const char *s);
int header_comment(struct str *out, const char *s);

#endif
