/* relay.c: rcpthosts, morercpthosts.cdb, RELAYCLIENT, badmailfrom and
 * badrcptto, as qmail-smtpd applies them. Never exits or prints. */
#include <errno.h>
#include <fnmatch.h>
#include <string.h>
#include "addr.h"
#include "cdbx.h"
#include "control.h"
#include "relay.h"

#define MORERCPTHOSTS  "control/morercpthosts.cdb"
#define BADMAILFROM    "control/badmailfrom"
#define BADRCPTTO      "control/badrcptto"

int relay_load(struct relay *r, const char **bad)
{
  int x = control_readlines(*bad = "control/rcpthosts", &r->rcpthosts);
  if (x < 0) return -1;
  r->have_rcpthosts = x == 1;
  return 0;
}

int relay_load_bad(struct relay *r, const char **bad)
{
  if (control_readlines(*bad = BADMAILFROM, &r->badmailfrom) < 0) return -1;
  return control_readlines(*bad = BADRCPTTO, &r->badrcptto) < 0 ? -1 : 0;
}

int relay_qualify(struct str *addr, const char *me)
{
  if (str_0(addr) < 0) return -1;
  if (addr_domain(addr->s)) return 0;
  if (!case_equals(addr->s, "postmaster")) { errno = EINVAL; return -1; }
  if (str_catc(addr, '@') < 0 || str_cats(addr, me) < 0) return -1;
  return 0;
}

/* is dom ours: rcpthosts, then morercpthosts.cdb */
static int relay_rcpthost(struct relay *r, const char *dom)
{
  const char *e;
  size_t pos = 0, j;
  while ((e = control_next(&r->rcpthosts, &pos)))
    if (addr_domain_match(dom, e)) return 1;
  if (str_copys(&r->key, dom) < 0) return -1;
  str_lower(&r->key);
  for (j = 0; j < r->key.len; j++)
    if (!j || r->key.s[j] == '.') {
      int x = cdbx_get(MORERCPTHOSTS, r->key.s + j, r->key.len - j, &r->val);
      if (x) return x;
    }
  return 0;
}

int relay_allowed(struct relay *r, const char *addr, int authenticated)
{
  const char *dom = addr_domain(addr);
  if (r->client || authenticated) return 1;
  return dom ? relay_rcpthost(r, dom) : 0;
}

int relay_append(const struct relay *r, struct str *addr)
{
  return r->client ? str_cats(addr, r->client) : 0;
}

/* a wildcard entry, any case: "@*.example.com" a shell pattern for the
 * domain, "*@*.example.com" or "spam*@example.com" for the address */
static int glob_match(const char *e, const char *addr, const char *dom)
{
  if (!strpbrk(e, "*?[")) return 0;
  if (e[0] == '@') return dom && fnmatch(e + 1, dom, FNM_CASEFOLD) == 0;
  return fnmatch(e, addr, FNM_CASEFOLD) == 0;
}

/* is addr listed: the exact address, "@domain" or a wildcard entry in
 * list, or the exact address or "@domain" in cdb */
static int listed(struct relay *r, const struct str *list, const char *cdb, const char *addr)
{
  const char *dom = addr_domain(addr), *e;
  size_t pos = 0, at;
  int x;
  while ((e = control_next(list, &pos)))
    if (case_equals(e, addr) || (dom && e[0] == '@' && case_equals(e + 1, dom)) || glob_match(e, addr, dom))
      return 1;
  if (str_copys(&r->key, addr) < 0) return -1;
  str_lower(&r->key);
  if ((x = cdbx_get(cdb, r->key.s, r->key.len, &r->val)) != 0 || !dom) return x;
  at = (size_t)(dom - 1 - addr);
  return cdbx_get(cdb, r->key.s + at, r->key.len - at, &r->val);
}

int relay_badmailfrom(struct relay *r, const char *addr)
{
  return listed(r, &r->badmailfrom, BADMAILFROM ".cdb", addr);
}

int relay_badrcptto(struct relay *r, const char *addr)
{
  return listed(r, &r->badrcptto, BADRCPTTO ".cdb", addr);
}
