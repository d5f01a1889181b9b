/* md5.h: MD5 (RFC 1321), for APOP (RFC 1939) and nothing else: APOP's
 * digest is MD5 by definition; never use it where a secure hash is needed.
 * Nothing here allocates, reads, writes, exits or prints. */
#ifndef MD5_H
#define MD5_H
#include <stddef.h>
#include <stdint.h>

#define MD5_SIZE 16
#define MD5_HEX  33   /* 32 hex digits and a NUL */

struct md5 {
  uint32_t h[4];
  uint64_t bytes;            /* message length so far */
  unsigned char block[64];
  size_t fill;               /* bytes waiting in block */
};

void md5_init(struct md5 *);
void md5_update(struct md5 *, const void *, size_t);
void md5_final(struct md5 *, unsigned char out[MD5_SIZE]);
/* a digest as lower-case hex */
void md5_tohex(const unsigned char d[MD5_SIZE], char out[MD5_HEX]);
/* the digest of s[0..n) as lower-case hex */
void md5_hex(const void *s, size_t n, char out[MD5_HEX]);

#endif
