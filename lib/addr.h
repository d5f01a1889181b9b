/* addr.h: mail addresses: splitting, checks, quoting. */
#ifndef ADDR_H
#define ADDR_H
#include <stddef.h>
#include "str.h"

#define ADDR_MAX 1000   /* the longest address we accept (qmail-queue's bound) */

/* the domain part: after the last '@', or 0 when there is none */
const char *addr_domain(const char *addr);
/* is the local part safe as a file-name part: no '/', no leading '.',
 * no control characters (used before building .qmail-EXT names) */
int addr_local_safe(const char *local, size_t n);
/* append local@domain to out quoting the local part the RFC 5321 way
 * when it needs quotes (for SMTP paths) */
int addr_quote(struct str *out, const char *addr);
/* does domain d match the control entry e ("example.com" exact,
 * ".example.com" any subdomain), case-insensitively */
int addr_domain_match(const char *d, const char *e);

#endif
