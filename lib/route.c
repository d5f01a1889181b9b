/* route.c: qmail-send's local/remote rule, in one place. */
#include <stdio.h>
#include <string.h>
#include "control.h"
#include "route.h"

static int load(const char *dir, const char *name, struct str *out, const char **bad, int lines, const char *def)
{
  char p[4096];
  int r;
  snprintf(p, sizeof p, "%s/%s", dir, name);
  r = lines ? control_readlines(p, out) : control_readline(p, out, def);
  if (r < 0) { *bad = name; return -1; }
  if (!lines && str_0(out) < 0) return -1;
  return r;
}

int route_load(struct route *rt, const char *dir, const char *me, const char **bad)
{
  int r = load(dir, "locals", &rt->locals, bad, 1, 0);
  if (r < 0) return -1;
  if (r == 0 && str_catb(&rt->locals, me, strlen(me) + 1) < 0) return -1;
  if (load(dir, "virtualdomains", &rt->vdoms, bad, 1, 0) < 0) return -1;
  if (load(dir, "envnoathost", &rt->envnoathost, bad, 0, me) < 0) return -1;
  return 0;
}

/* the prefix of the virtualdomains entry whose key is k[0..n), or 0 */
static const char *vdom_find(const struct str *vdoms, const char *k, size_t n)
{
  size_t pos = 0;
  const char *line;
  while ((line = control_next(vdoms, &pos))) {
    const char *colon = strchr(line, ':');
    if (colon && (size_t)(colon - line) == n && !strncasecmp(line, k, n)) return colon + 1;
  }
  return 0;
}

int route_classify(const struct route *rt, const char *rcpt, struct str *local, struct str *domain)
{
  struct str a = STR_ZERO;
  size_t at, i;
  int r = 0;
  if (str_copys(&a, rcpt) < 0) return -1;
  if (!strchr(rcpt, '@') && (str_catc(&a, '@') < 0 || str_cats(&a, rt->envnoathost.s) < 0)) goto nomem;
  at = (size_t)(strrchr(a.s, '@') - a.s);
  if (str_copyb(local, a.s, at) < 0 || str_copys(domain, a.s + at + 1) < 0) goto nomem;
  if (control_member(&rt->locals, a.s + at + 1)) { r = 1; goto done; }
  for (i = 0; i <= a.len; i++) {
    const char *prefix;
    if (i && i != at + 1 && i != a.len && !(i > at && a.s[i] == '.')) continue;
    if (!(prefix = vdom_find(&rt->vdoms, a.s + i, a.len - i))) continue;
    if (*prefix) {
      local->len = 0;
      if (str_cats(local, prefix) < 0 || str_catc(local, '-') < 0 || str_catb(local, a.s, at) < 0) goto nomem;
      r = 1;
    }
    break;
  }
done:
  str_free(&a);
  return r;
nomem:
  str_free(&a);
  return -1;
}

void route_free(struct route *rt)
{
  str_free(&rt->locals);
  str_free(&rt->vdoms);
  str_free(&rt->envnoathost);
}
