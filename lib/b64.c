/* b64.c: base64 encoding and strict decoding. */
#include <errno.h>
#include "b64.h"

static const char alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_encode(struct str *out, const char *s, size_t n)
{
  const unsigned char *u = (const unsigned char *)s;
  size_t i;
  for (i = 0; i + 2 < n; i += 3) {
    unsigned long v = (unsigned long)u[i] << 16 | (unsigned long)u[i + 1] << 8 | u[i + 2];
    char q[4] = { alphabet[v >> 18], alphabet[(v >> 12) & 63], alphabet[(v >> 6) & 63], alphabet[v & 63] };
    if (str_catb(out, q, 4) < 0) return -1;
  }
  if (i < n) {
    unsigned long v = (unsigned long)u[i] << 16 | (i + 1 < n ? (unsigned long)u[i + 1] << 8 : 0);
    char q[4] = { alphabet[v >> 18], alphabet[(v >> 12) & 63],
                  i + 1 < n ? alphabet[(v >> 6) & 63] : '=', '=' };
    if (str_catb(out, q, 4) < 0) return -1;
  }
  return 0;
}

static int value(char c)
{
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* one group of four characters, pad = how many '=' end it */
static int quad(struct str *out, const char *q, int pad)
{
  unsigned long v = 0;
  int i;
  for (i = 0; i < 4; i++) {
    int d = i < 4 - pad ? value(q[i]) : 0;
    if (d < 0) { errno = EINVAL; return -1; }
    v = v << 6 | (unsigned long)d;
  }
  {
    char b[3] = { (char)(v >> 16), (char)(v >> 8 & 255), (char)(v & 255) };
    return str_catb(out, b, (size_t)(3 - pad));
  }
}

int b64_decode(struct str *out, const char *s, size_t n)
{
  size_t i;
  if (n % 4) { errno = EINVAL; return -1; }
  for (i = 0; i < n; i += 4) {
    int pad = 0;
    if (i + 4 == n) pad = (s[i + 3] == '=') + (s[i + 2] == '=' && s[i + 3] == '=');
    if (quad(out, s + i, pad) < 0) return -1;
  }
  return 0;
}
