/* rcptcheck.c: local recipients checked at RCPT time against
 * users/rcpt.cdb (see rcptcheck.h). Never exits or prints. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "addr.h"
#include "control.h"
#include "rcptcheck.h"

int rcptcheck_safe(struct str *out, const char *s, size_t n)
{
  size_t i;
  if (str_copyb(out, s, n) < 0 || str_0(out) < 0) return -1;
  str_lower(out);
  for (i = 0; i < out->len; i++) if (out->s[i] == '.') out->s[i] = ':';
  return 0;
}

long rcptcheck_default_prefix(const char *x)
{
  size_t n = strlen(x);
  if (n < 7 || strcmp(x + n - 7, "default")) return -1;
  if (n > 7 && x[n - 8] != '-') return -1;
  return (long)(n - 7);
}

int rcptcheck_qmail_match(const char *x, const char *ext)
{
  long pre = rcptcheck_default_prefix(x);
  if (!strcmp(x, ext)) return 1;
  return pre >= 0 && *ext && !strncmp(x, ext, (size_t)pre);
}

int rcptcheck_load(struct rcptcheck *r, const char *me, const char **bad)
{
  struct str v = STR_ZERO;
  int x = control_readline(*bad = RCPTCHECK_CONTROL, &v, 0);
  r->fd = -1;
  if (x < 0) return -1;
  r->mode = x == 0 ? RCPTCHECK_AUTO : v.len && v.s[0] == '0' ? RCPTCHECK_OFF : RCPTCHECK_ON;
  str_free(&v);
  if (r->mode == RCPTCHECK_OFF) return 0;
  if (route_load(&r->rt, "control", me, bad) < 0) return -1;
  r->fd = open(*bad = RCPTCHECK_CDB, O_RDONLY | O_CLOEXEC);
  if (r->fd < 0) return errno == ENOENT ? 0 : -1;
  if (cdb_init(&r->c, r->fd) < 0) { close(r->fd); r->fd = -1; errno = EINVAL; return -1; }
  return 0;
}

/* does the check apply: switched on and the cdb present */
static int rcptcheck_active(const struct rcptcheck *r)
{
  return r->mode != RCPTCHECK_OFF && r->fd >= 0;
}

/* the value of key (a one-byte verdict), or 0 when absent; -1 error */
static int get(struct rcptcheck *r, const struct str *key)
{
  char v;
  int x = cdb_find(&r->c, key->s, (unsigned)key->len);
  if (x <= 0) return x < 0 ? -1 : 0;
  if (cdb_datalen(&r->c) < 1) return '?';
  if (cdb_read(&r->c, &v, 1, cdb_datapos(&r->c)) < 0) return -1;
  return (unsigned char)v;
}

/* "K" SPACE NUL s[0..n) into the key */
static int pattern_key(struct rcptcheck *r, char k, const struct str *space, const char *s, size_t n)
{
  r->key.len = 0;
  if (str_catc(&r->key, k) < 0 || str_catb(&r->key, space->s, space->len) < 0) return -1;
  return str_catc(&r->key, 0) < 0 || str_catb(&r->key, s, n) < 0 ? -1 : 0;
}

/* is rest deliverable in the space whose key is in r->val */
static int in_space(struct rcptcheck *r, const char *rest)
{
  struct str safe = STR_ZERO, space = STR_ZERO;
  size_t i;
  int x = -1;
  if (str_copyb(&space, r->val.s, r->val.len) < 0 || rcptcheck_safe(&safe, rest, strlen(rest)) < 0) goto done;
  if (pattern_key(r, '?', &space, safe.s, safe.len) < 0 || (x = get(r, &r->key)) != 0) goto done;
  for (i = safe.len + 1; i-- > 0;) {
    if (i && safe.s[i - 1] != '-') continue;
    if (pattern_key(r, '*', &space, safe.s, i) < 0) { x = -1; goto done; }
    if ((x = get(r, &r->key)) != 0) goto done;
  }
done:
  str_free(&safe);
  str_free(&space);
  return x < 0 ? -1 : x != 0;
}

/* a space key in r->val: its verdict for rest; 0 when the key is absent
 * (*found 0), else 1 or 0 with *found 1 */
static int space(struct rcptcheck *r, const char *rest, int *found)
{
  int x = get(r, &r->val);
  *found = x != 0;
  if (x <= 0) return x;
  return x == 'y' ? 1 : in_space(r, rest);
}

/* users/assign entries: exact, then the longest prefix ("+" alone last) */
static int by_assign(struct rcptcheck *r, const char *local, int *found)
{
  int x;
  if (str_copys(&r->val, "=") < 0 || str_cats(&r->val, local) < 0) return -1;
  str_lower(&r->val);
  if ((x = get(r, &r->val)) != 0) { *found = 1; return x < 0 ? -1 : x == 'y'; }
  r->val.s[0] = '+';
  for (;;) {
    x = space(r, local + (r->val.len - 1), found);
    if (*found || x < 0 || r->val.len == 1) return x;
    r->val.len--;
  }
}

/* a system user: the name before the first '-' */
static int by_system(struct rcptcheck *r, const char *local, int *found)
{
  const char *dash = strchr(local, '-');
  size_t n = dash ? (size_t)(dash - local) : strlen(local);
  *found = 0;
  if (!n || n >= RCPTCHECK_NAME_MAX) return 0;
  if (str_copys(&r->val, "u") < 0 || str_catb(&r->val, local, n) < 0) return -1;
  return space(r, dash ? dash + 1 : "", found);
}

static int known_local(struct rcptcheck *r, const char *local)
{
  int found, x;
  if (!addr_local_safe(local, strlen(local))) return 0;
  if ((x = by_assign(r, local, &found)) < 0 || found) return x;
  if ((x = by_system(r, local, &found)) < 0 || found) return x;
  if (str_copys(&r->val, "a") < 0) return -1;
  return space(r, local, &found);
}

int rcptcheck_known(struct rcptcheck *r, const char *addr)
{
  int x;
  if (!rcptcheck_active(r)) return 1;
  x = route_classify(&r->rt, addr, &r->local, &r->domain);
  if (x <= 0) return x < 0 ? -1 : 1;
  if (str_0(&r->local) < 0) return -1;
  return known_local(r, r->local.s);
}
