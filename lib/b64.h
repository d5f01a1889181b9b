/* b64.h: base64 (RFC 4648), as SMTP AUTH and MIME use it. */
#ifndef B64_H
#define B64_H
#include <stddef.h>
#include "str.h"

/* append the encoding of s[0..n) to out; 0, or -1 with ENOMEM */
int b64_encode(struct str *out, const char *s, size_t n);
/* append the decoding of s[0..n) to out; -1 with EINVAL when s is not
 * base64 (bad character, bad padding, wrong length), ENOMEM */
int b64_decode(struct str *out, const char *s, size_t n);

#endif
