/* srs.c: SRS0 addresses, hashed with HMAC-MD5 (RFC 2104) over lib/md5. */
#include <errno.h>
#include <string.h>
#include "md5.h"
#include "control.h"
#include "srs.h"

#define HASH_LEN 6
#define BLOCK 64
#define DAY 86400

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

static void hmac(const char *key, const char *s, unsigned char out[MD5_SIZE])
{
  unsigned char k[BLOCK], pad[BLOCK], inner[MD5_SIZE];
  struct md5 m;
  size_t i, n = strlen(key);
  memset(k, 0, sizeof k);
  if (n > BLOCK) { md5_init(&m); md5_update(&m, key, n); md5_final(&m, k); } else memcpy(k, key, n);
  for (i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x36;
  md5_init(&m); md5_update(&m, pad, BLOCK); md5_update(&m, s, strlen(s)); md5_final(&m, inner);
  for (i = 0; i < BLOCK; i++) pad[i] = k[i] ^ 0x5c;
  md5_init(&m); md5_update(&m, pad, BLOCK); md5_update(&m, inner, MD5_SIZE); md5_final(&m, out);
}

/* the hash of "TT=domain=local", lower-cased, as HASH_LEN base32 letters */
static int hash(const char *secret, const char *data, char out[HASH_LEN + 1])
{
  struct str low = STR_ZERO;
  unsigned char d[MD5_SIZE];
  int i;
  if (str_copys(&low, data) < 0 || str_0(&low) < 0) return -1;
  str_lower(&low);
  hmac(secret, low.s, d);
  for (i = 0; i < HASH_LEN; i++) out[i] = b32[d[i] & 31];
  out[HASH_LEN] = 0;
  str_free(&low);
  return 0;
}

static unsigned today(time_t now) { return (unsigned)(now / DAY) % 1024; }

/* does local start "SRS0-" (any case)? */
static int srs_is(const char *local) { return case_starts(local, "srs0-"); }

int srs_forward(const char *secret, const char *sender, const char *srsdomain, time_t now, struct str *out)
{
  const char *at = strrchr(sender, '@');
  struct str data = STR_ZERO;
  char h[HASH_LEN + 1];
  unsigned t = today(now);
  int r;
  if (!at || at == sender || !at[1]) { errno = EINVAL; return -1; }
  r = str_catf(&data, "%c%c=%s=%.*s", b32[t >> 5], b32[t & 31], at + 1, (int)(at - sender), sender);
  if (r == 0) r = hash(secret, data.s, h);
  out->len = 0;
  if (r == 0) r = str_catf(out, "SRS0-%s=%s@%s", h, data.s, srsdomain);
  str_free(&data);
  return r;
}

static int b32_value(char c)
{
  const char *p = c ? strchr(b32, c | 0x20) : 0;
  return p ? (int)(p - b32) : -1;
}

/* the age in days of the stamp "TT" */
static int age(const char *tt, time_t now)
{
  int hi = b32_value(tt[0]), lo = b32_value(tt[1]);
  if (hi < 0 || lo < 0) return -1;
  return (int)((today(now) + 1024 - (unsigned)(hi * 32 + lo)) % 1024);
}

int srs_reverse(const char *secret, const char *local, time_t now, struct str *out)
{
  const char *data = local + 5 + HASH_LEN + 1, *dom, *user, *end;
  char h[HASH_LEN + 1];
  struct str d = STR_ZERO;
  int r;
  if (!srs_is(local) || strlen(local) < 5 + HASH_LEN + 1 || local[5 + HASH_LEN] != '=') { errno = EINVAL; return -1; }
  if (data[0] == 0 || data[1] == 0 || data[2] != '=' || !(dom = data + 3) || !(user = strchr(dom, '='))) { errno = EINVAL; return -1; }
  end = strrchr(user, '@');
  if (!end) end = user + strlen(user);
  if (user == dom || end == user + 1) { errno = EINVAL; return -1; }
  if (str_copyb(&d, data, (size_t)(end - data)) < 0 || str_0(&d) < 0 || hash(secret, d.s, h) < 0) { str_free(&d); return -1; }
  str_free(&d);
  if (!case_equalb(local + 5, HASH_LEN, h)) { errno = EPERM; return -1; }
  if ((r = age(data, now)) < 0 || r > SRS_MAX_AGE) { errno = ETIMEDOUT; return -1; }
  out->len = 0;
  return str_catf(out, "%.*s@%.*s", (int)(end - user - 1), user + 1, (int)(user - dom), dom);
}

int srs_load(struct srs_conf *c, const char *home)
{
  struct str path = STR_ZERO;
  int r = -1;
  if (str_copys(&path, home) < 0 || str_cats(&path, "/control/srsdomain") < 0) goto done;
  if (control_readline(path.s, &c->domain, 0) < 0) goto done;
  r = 0;
  if (!c->domain.len) goto done;
  r = -1;
  path.len = 0;
  if (str_cats(&path, home) < 0 || str_cats(&path, "/control/srssecret") < 0) goto done;
  if (control_readline(path.s, &c->secret, 0) < 0) goto done;
  path.len = 0;
  if (str_cats(&path, home) < 0 || str_cats(&path, "/control/locals") < 0) goto done;
  r = control_readlines(path.s, &c->locals) < 0 ? -1 : 0;
done:
  str_free(&path);
  return r;
}

int srs_sender(const struct srs_conf *c, const char *sender, time_t now, struct str *out)
{
  const char *at = strrchr(sender, '@');
  if (!c->domain.len || !c->secret.len || !at || !at[1] || at[1] == '[' ||   /* #@[] too */
      case_equals(at + 1, c->domain.s) || control_member(&c->locals, at + 1))
    return str_copys(out, sender);
  return srs_forward(c->secret.s, sender, c->domain.s, now, out);
}
