/* addr.c: addresses. */
#include <string.h>
#include "addr.h"

const char *addr_domain(const char *addr)
{
  const char *at = strrchr(addr, '@');
  return at ? at + 1 : 0;
}

int addr_local_safe(const char *local, size_t n)
{
  size_t i;
  if (n && local[0] == '.') return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)local[i];
    if (c == '/' || c < 32 || c == 127) return 0;
  }
  return 1;
}

static int atom_char(unsigned char c)
{
  if (c >= 128) return 1;   /* SMTPUTF8 */
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
  return c && strchr("!#$%&'*+-/=?^_`{|}~.", c) != 0;
}

int addr_quote(struct str *out, const char *addr)
{
  const char *at = strrchr(addr, '@');
  size_t n = at ? (size_t)(at - addr) : strlen(addr);
  size_t i;
  int quote = n == 0 || addr[0] == '.' || addr[n - 1] == '.';
  for (i = 0; i < n && !quote; i++)
    if (!atom_char((unsigned char)addr[i]) || (addr[i] == '.' && addr[i + 1] == '.')) quote = 1;
  if (!quote) return str_cats(out, addr);
  if (str_catc(out, '"') < 0) return -1;
  for (i = 0; i < n; i++) {
    if ((addr[i] == '"' || addr[i] == '\\') && str_catc(out, '\\') < 0) return -1;
    if (str_catc(out, addr[i]) < 0) return -1;
  }
  if (str_catc(out, '"') < 0) return -1;
  return at ? str_cats(out, at) : 0;
}

int addr_domain_match(const char *d, const char *e)
{
  size_t dl = strlen(d), el = strlen(e);
  if (e[0] == '.') return dl > el && case_equals(d + dl - el, e);
  return case_equals(d, e);
}
