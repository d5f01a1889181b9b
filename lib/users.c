/* users.c: users/assign entries and their cdb lookup. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "cdbx.h"
#include "users.h"

int users_parse_line(const char *line, struct str *key, struct str *val)
{
  const char *f[8];
  size_t n[8];
  const char *p = line + 1;
  int i;
  if (!strcmp(line, ".")) return 0;
  if (line[0] != '=' && line[0] != '+') { errno = EINVAL; return -1; }
  for (i = 0; i < 7; i++) {
    const char *c = strchr(p, ':');
    if (!c) { errno = EINVAL; return -1; }
    f[i] = p;
    n[i] = (size_t)(c - p);
    p = c + 1;
  }
  if (*p) { errno = EINVAL; return -1; }   /* the line ends with the 7th colon */
  for (i = 2; i <= 3; i++) {                /* uid and gid are numbers */
    size_t k;
    if (!n[i]) { errno = EINVAL; return -1; }
    for (k = 0; k < n[i]; k++) if (!isdigit((unsigned char)f[i][k])) { errno = EINVAL; return -1; }
  }
  if (!n[1] || !n[4] || f[4][0] != '/') { errno = EINVAL; return -1; }
  key->len = 0;
  if (str_catc(key, line[0]) < 0 || str_catb(key, f[0], n[0]) < 0) return -1;
  str_lower(key);
  val->len = 0;
  for (i = 1; i < 7; i++)
    if (str_catb(val, f[i], n[i]) < 0 || str_catc(val, 0) < 0) return -1;
  return 1;
}

static int fill(struct userinfo *u, const struct str *v, const char *rest)
{
  const char *f[6];
  size_t i, k = 0;
  unsigned long num;
  for (i = 0; i < v->len && k < 6; i++) {
    f[k++] = v->s + i;
    i += strlen(v->s + i);
  }
  if (k != 6) { errno = EINVAL; return -1; }
  if (str_copys(&u->user, f[0]) < 0 || str_copys(&u->home, f[3]) < 0 ||
      str_copys(&u->dash, f[4]) < 0 || str_copys(&u->ext, f[5]) < 0 ||
      str_cats(&u->ext, rest) < 0)
    return -1;
  if (!scan_ulong(f[1], &num)) { errno = EINVAL; return -1; }
  u->uid = num;
  if (!scan_ulong(f[2], &num)) { errno = EINVAL; return -1; }
  u->gid = num;
  return 1;
}

int users_lookup(const char *cdbpath, const char *local, struct userinfo *u)
{
  struct str key = STR_ZERO, val = STR_ZERO;
  struct cdb c;
  int r = cdbx_open(&c, cdbpath);
  if (r <= 0) return r;
  if (str_catc(&key, '=') < 0 || str_cats(&key, local) < 0) { r = -1; goto done; }
  str_lower(&key);
  r = cdbx_find(&c, key.s, key.len, &val);
  if (r == 1) { r = fill(u, &val, ""); goto done; }
  if (r < 0) goto done;
  /* the longest prefix entry wins; "+" alone matches everything */
  key.s[0] = '+';
  for (;;) {
    r = cdbx_find(&c, key.s, key.len, &val);
    if (r == 1) { r = fill(u, &val, local + (key.len - 1)); goto done; }
    if (r < 0 || key.len == 1) break;
    key.len--;
  }
done:
  cdbx_close(&c);
  str_free(&key);
  str_free(&val);
  return r;
}

void users_free(struct userinfo *u)
{
  str_free(&u->user);
  str_free(&u->home);
  str_free(&u->dash);
  str_free(&u->ext);
}
