/* pw.c: the password database over libcdb, and crypt(3) from libcrypt. */
#include <cdb.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cdbx.h"
#include "md5.h"
#include "pw.h"

#define FIELDS 6

/* what pw_spend hashes against: yescrypt at libcrypt's default cost */
static const char spend_hash[] =
  "$y$j9T$pArg8zjOw7pw1ULJNDoS20$t4SICjAz4d3nnuUTGREWxjaFIH4a0CHyLn9SvhHwnT8";

int pw_name_ok(const char *name)
{
  size_t i;
  if (!name[0] || name[0] == '-' || name[0] == '.') return 0;
  for (i = 0; name[i]; i++) {
    if (i >= PW_NAME_MAX) return 0;
    if (name[i] < '!' || name[i] > '~' || name[i] == ':' || name[i] == '/') return 0;
  }
  return 1;
}

int pw_key(const char *name, struct str *key)
{
  if (str_copys(key, name) < 0) return -1;
  str_lower(key);
  return 0;
}

static int cat_field(struct str *val, const char *s)
{
  return str_cats(val, s) < 0 || str_catc(val, 0) < 0 ? -1 : 0;
}

int pw_encode(const struct pw_entry *e, struct str *val)
{
  val->len = 0;
  if (cat_field(val, e->hash.s ? e->hash.s : "") < 0) return -1;
  if (str_catu(val, e->uid) < 0 || str_catc(val, 0) < 0) return -1;
  if (str_catu(val, e->gid) < 0 || str_catc(val, 0) < 0) return -1;
  if (cat_field(val, e->home.s ? e->home.s : "") < 0) return -1;
  if (cat_field(val, e->maildir.s ? e->maildir.s : "") < 0) return -1;
  return cat_field(val, e->apop.s ? e->apop.s : "");
}

static int number(const char *s, size_t n, unsigned long *u)
{
  return n && scan_ulong(s, u) == (int)n ? 0 : -1;
}

int pw_decode(const char *val, size_t n, struct pw_entry *e)
{
  const char *f[FIELDS];
  size_t len[FIELDS], i = 0, k;
  for (k = 0; k < FIELDS; k++) {
    const char *nul = i < n ? memchr(val + i, 0, n - i) : 0;
    if (!nul) { errno = EINVAL; return -1; }
    f[k] = val + i;
    len[k] = (size_t)(nul - f[k]);
    i += len[k] + 1;
  }
  if (number(f[1], len[1], &e->uid) < 0 || number(f[2], len[2], &e->gid) < 0 || f[3][0] != '/') {
    errno = EINVAL;
    return -1;
  }
  if (str_copyb(&e->hash, f[0], len[0]) < 0 || str_copyb(&e->home, f[3], len[3]) < 0 ||
      str_copyb(&e->maildir, f[4], len[4]) < 0 || str_copyb(&e->apop, f[5], len[5]) < 0)
    return -1;
  return 0;
}

int pw_find(struct cdb *c, const char *name, struct pw_entry *e)
{
  struct str key = STR_ZERO, val = STR_ZERO;
  int r;
  if (pw_key(name, &key) < 0) return -1;
  r = cdbx_find(c, key.s, key.len, &val);
  if (r == 1 && pw_decode(val.s, val.len, e) < 0) r = -1;
  if (val.s) explicit_bzero(val.s, val.len);
  str_free(&key);
  str_free(&val);
  return r;
}

int pw_lookup(const char *path, const char *name, struct pw_entry *e)
{
  struct cdb c;
  int r = cdbx_open(&c, path);
  if (r == 0) errno = ENOENT;                /* a missing database is not "no such user" */
  if (r <= 0) return -1;
  r = pw_find(&c, name, e);
  cdbx_close(&c);
  return r;
}

int pw_input_read(int fd, struct pw_input *in)
{
  size_t len = 0, i = 0, field;
  const char *f[3];
  for (;;) {
    ssize_t r = read(fd, in->buf + len, sizeof in->buf - len);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    len += (size_t)r;
    if (len > PW_INPUT_MAX) { errno = EMSGSIZE; return -1; }
  }
  for (field = 0; field < 3; field++) {
    const char *nul = i < len ? memchr(in->buf + i, 0, len - i) : 0;
    if (!nul) { errno = EINVAL; return -1; }
    f[field] = in->buf + i;
    i = (size_t)(nul - in->buf) + 1;
  }
  in->name = f[0];
  in->password = f[1];
  in->stamp = f[2];
  return 0;
}

void pw_input_forget(struct pw_input *in) { explicit_bzero(in->buf, sizeof in->buf); }

int pw_each(const char *path, int (*fn)(void *, const char *, size_t, const char *, size_t),
            void *ctx)
{
  struct cdb c;
  unsigned pos;
  int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0, e;
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  if (cdb_init(&c, fd) < 0) { e = errno; close(fd); errno = e ? e : EINVAL; return -1; }
  cdb_seqinit(&pos, &c);
  while (r == 0) {
    const char *k, *v;
    int n = cdb_seqnext(&pos, &c);
    if (n <= 0) { if (n < 0) r = -1; break; }
    k = cdb_getkey(&c);
    v = cdb_getdata(&c);
    if (!k || !v) { errno = EINVAL; r = -1; break; }
    r = fn(ctx, k, cdb_keylen(&c), v, cdb_datalen(&c));
  }
  e = errno;
  cdb_free(&c);
  close(fd);
  errno = e;
  return r;
}

void pw_free(struct pw_entry *e)
{
  if (e->hash.s) explicit_bzero(e->hash.s, e->hash.len);
  if (e->apop.s) explicit_bzero(e->apop.s, e->apop.len);
  str_free(&e->hash);
  str_free(&e->home);
  str_free(&e->maildir);
  str_free(&e->apop);
}

int pw_hash(const char *password, const char *prefix, struct str *out)
{
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data *cd;
  const char *h;
  int r = -1;
  if (strcmp(prefix, PW_YESCRYPT) && strcmp(prefix, PW_SHA512)) { errno = EINVAL; return -1; }
  if (!crypt_gensalt_rn(prefix, 0, 0, 0, setting, sizeof setting)) return -1;
  if (!(cd = calloc(1, sizeof *cd))) { errno = ENOMEM; return -1; }
  h = crypt_rn(password, setting, cd, sizeof *cd);
  if (!h || h[0] == '*') errno = EINVAL;
  else r = str_copys(out, h);
  explicit_bzero(cd, sizeof *cd);
  free(cd);
  return r;
}

static int usable(const char *hash) { return hash[0] && hash[0] != '!' && hash[0] != '*'; }

void pw_spend(const char *password) { (void)pw_check(password, spend_hash); }

/* equal strings, in a time that depends on their lengths only */
static int same(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b), i;
  unsigned char d = la != lb;
  for (i = 0; i < la && i < lb; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

int pw_check(const char *password, const char *hash)
{
  struct crypt_data *cd;
  const char *h;
  int r;
  if (!usable(hash)) { pw_spend(password); return 0; }
  if (!(cd = calloc(1, sizeof *cd))) { errno = ENOMEM; return -1; }
  h = crypt_rn(password, hash, cd, sizeof *cd);
  r = h && h[0] != '*' && same(h, hash);
  explicit_bzero(cd, sizeof *cd);
  free(cd);
  return r;
}

int pw_apop_check(const char *timestamp, const char *secret, const char *digest)
{
  struct md5 m;
  unsigned char d[MD5_SIZE];
  char want[MD5_HEX], got[MD5_HEX];
  size_t i;
  if (!*secret || strlen(digest) != MD5_HEX - 1) return 0;
  md5_init(&m);
  md5_update(&m, timestamp, strlen(timestamp));
  md5_update(&m, secret, strlen(secret));
  md5_final(&m, d);
  md5_tohex(d, want);
  for (i = 0; i < MD5_HEX; i++)     /* clients may send the hex in upper case */
    got[i] = (char)(digest[i] >= 'A' && digest[i] <= 'F' ? digest[i] - 'A' + 'a' : digest[i]);
  return same(want, got);
}
