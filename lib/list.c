/* list.c: a mailing list's directory (quail-list(5)). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <cdb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "cdbx.h"
#include "date.h"
#include "exitcode.h"
#include "fsx.h"
#include "list.h"
#include "qq.h"

#define CONFIG_MAX  (64 * 1024)
#define TEXT_MAX    (64 * 1024)
#define NUM_MAX     32

const char *const list_keys[] = {
  "subscribe", "post", "moderated", "archive", "replyto", "prefix", "trailer",
  "maxsize", "digestcount", "digesttime", "bouncewait", "owner", 0
};

static int set_str(struct str *s, const char *v)
{
  return str_copys(s, v) < 0 || str_0(s) < 0 ? -1 : 0;
}

static unsigned long num(const char *v)
{
  unsigned long u = 0;
  scan_ulong(v, &u);
  return u;
}

/* one "key=value" line of DIR/config */
static int config_line(struct list *l, const char *k, const char *v)
{
  if (!strcmp(k, "local")) return set_str(&l->local, v);
  if (!strcmp(k, "host")) return set_str(&l->host, v);
  if (!strcmp(k, "prefix")) return set_str(&l->prefix, v);
  if (!strcmp(k, "owner")) return set_str(&l->owner, v);
  if (!strcmp(k, "subscribe"))
    l->sub = !strcmp(v, "open") ? LIST_SUB_OPEN : !strcmp(v, "closed") ? LIST_SUB_CLOSED : LIST_SUB_CONFIRM;
  else if (!strcmp(k, "post")) l->post = !strcmp(v, "open") ? LIST_POST_OPEN : LIST_POST_MEMBERS;
  else if (!strcmp(k, "replyto")) l->reply = !strcmp(v, "list") ? LIST_REPLY_LIST : LIST_REPLY_SENDER;
  else if (!strcmp(k, "moderated")) l->moderated = !strcmp(v, "yes");
  else if (!strcmp(k, "archive")) l->archive = strcmp(v, "no") != 0;
  else if (!strcmp(k, "maxsize")) l->maxsize = num(v);
  else if (!strcmp(k, "digestcount")) l->digestcount = num(v);
  else if (!strcmp(k, "digesttime")) l->digesttime = num(v);
  else if (!strcmp(k, "bouncewait")) l->bouncewait = num(v);
  return 0;
}

static int config_read(struct list *l, struct str *c)
{
  size_t i = 0;
  while (i < c->len) {
    char *nl = memchr(c->s + i, '\n', c->len - i), *eq;
    if (!nl) break;
    *nl = 0;
    eq = strchr(c->s + i, '=');
    if (eq && c->s[i] != '#') {
      *eq = 0;
      if (config_line(l, c->s + i, eq + 1) < 0) return -1;
    }
    i = (size_t)(nl - c->s) + 1;
  }
  return 0;
}

int list_path(const struct list *l, const char *rel, struct str *out)
{
  out->len = 0;
  if (str_catb(out, l->dir.s, l->dir.len) < 0 || str_catc(out, '/') < 0) return -1;
  return str_cats(out, rel) < 0 || str_0(out) < 0 ? -1 : 0;
}

static int read_rel(const struct list *l, const char *rel, struct str *out, size_t max)
{
  struct str p = STR_ZERO;
  int r = list_path(l, rel, &p);
  if (r == 0) r = file_read(p.s, out, max);
  str_free(&p);
  if (r >= 0 && str_0(out) < 0) r = -1;
  return r;
}

int list_open(struct list *l, const char *dir)
{
  struct str c = STR_ZERO;
  memset(l, 0, sizeof *l);
  l->archive = 1;
  l->bouncewait = 5 * 86400;
  l->lockfd = -1;
  if (set_str(&l->dir, dir) < 0 || set_str(&l->prefix, "") < 0 || set_str(&l->owner, "") < 0) return -1;
  if (read_rel(l, "config", &c, CONFIG_MAX) <= 0) { if (!errno) errno = ENOENT; str_free(&c); return -1; }
  if (config_read(l, &c) < 0) { str_free(&c); return -1; }
  str_free(&c);
  if (!l->local.len || !l->host.len) { errno = EINVAL; return -1; }
  if (read_rel(l, "secret", &l->secret, TEXT_MAX) <= 0 || l->secret.len < 16) {
    if (!errno) errno = EINVAL;
    return -1;
  }
  if (read_rel(l, "text/trailer", &l->trailer, TEXT_MAX) < 0) return -1;
  return 0;
}

/* "local-ext@host" (ext 0 or "": "local@host") */
static int list_addr(const struct list *l, const char *ext, struct str *out)
{
  out->len = 0;
  if (str_cats(out, l->local.s) < 0) return -1;
  if (ext && *ext && (str_catc(out, '-') < 0 || str_cats(out, ext) < 0)) return -1;
  if (str_catc(out, '@') < 0 || str_cats(out, l->host.s) < 0) return -1;
  return str_0(out);
}

int list_lock(struct list *l)
{
  struct str p = STR_ZERO;
  if (l->lockfd >= 0) return 0;
  if (list_path(l, "lock", &p) < 0) return -1;
  l->lockfd = open(p.s, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  str_free(&p);
  if (l->lockfd < 0) return -1;
  if (flock(l->lockfd, LOCK_EX) < 0) { int e = errno; close(l->lockfd); l->lockfd = -1; errno = e; return -1; }
  return 0;
}

void list_unlock(struct list *l)
{
  if (l->lockfd >= 0) close(l->lockfd);
  l->lockfd = -1;
}

static int set_path(const struct list *l, const char *set, struct str *out)
{
  struct str rel = STR_ZERO;
  int r = str_cats(&rel, set) < 0 || str_cats(&rel, ".cdb") < 0 || str_0(&rel) < 0 ? -1
        : list_path(l, rel.s, out);
  str_free(&rel);
  return r;
}

static int lower_key(const char *addr, struct str *key)
{
  if (str_copys(key, addr) < 0) return -1;
  str_lower(key);
  return str_0(key);
}

int list_set_has(const struct list *l, const char *set, const char *addr)
{
  struct str p = STR_ZERO, k = STR_ZERO, v = STR_ZERO;
  int r = set_path(l, set, &p) < 0 || lower_key(addr, &k) < 0 ? -1 : cdbx_get(p.s, k.s, k.len, &v);
  str_free(&p); str_free(&k); str_free(&v);
  return r;
}

/* the old set, opened; 0 with c->cdb_fd -1 when there is none */
static int set_open(const char *path, struct cdb *c)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  c->cdb_fd = -1;
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  if (cdb_init(c, fd) < 0) { close(fd); errno = EINVAL; return -1; }
  return 0;
}

static void set_close(struct cdb *c)
{
  if (c->cdb_fd < 0) return;
  close(c->cdb_fd);
  cdb_free(c);
}

static int cmp_key(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the lower-cased keys of addrs, sorted for bsearch */
static char **keys_sorted(const struct str *addrs, struct str *lower, size_t *n)
{
  size_t i, k = 0;
  char **v;
  if (str_copyb(lower, addrs->s, addrs->len) < 0) return 0;
  str_lower(lower);
  *n = 0;
  for (i = 0; i < lower->len; i++) if (!lower->s[i]) (*n)++;
  v = malloc((*n + 1) * sizeof *v);
  if (!v) return 0;
  for (i = 0; i < lower->len; i += strlen(lower->s + i) + 1) v[k++] = lower->s + i;
  qsort(v, *n, sizeof *v, cmp_key);
  return v;
}

static int in_keys(char **v, size_t n, const char *k, unsigned kl, struct str *tmp)
{
  const char *p;
  if (str_copyb(tmp, k, kl) < 0 || str_0(tmp) < 0) return -1;
  p = tmp->s;
  return bsearch(&p, v, n, sizeof *v, cmp_key) != 0;
}

/* copy the old records to m, leaving out removed keys; the count left out */
static long set_copy(struct cdb *old, struct cdbx_make *m, char **v, size_t n, int add)
{
  struct str tmp = STR_ZERO;
  unsigned pos;
  long gone = 0;
  int r;
  if (old->cdb_fd < 0) return 0;
  cdb_seqinit(&pos, old);
  while ((r = cdb_seqnext(&pos, old)) > 0) {
    const char *k = cdb_getkey(old), *d = cdb_getdata(old);
    if (!k || !d) { errno = EINVAL; gone = -1; break; }
    if (!add && (r = in_keys(v, n, k, cdb_keylen(old), &tmp)) != 0) {
      if (r < 0) { gone = -1; break; }
      gone++;
      continue;
    }
    if (cdbx_make_add(m, k, cdb_keylen(old), d, cdb_datalen(old)) < 0) { gone = -1; break; }
  }
  if (r < 0) { errno = EINVAL; gone = -1; }
  str_free(&tmp);
  return gone;
}

static long set_insert(struct cdbx_make *m, const struct str *addrs)
{
  struct str k = STR_ZERO;
  size_t i;
  long added = 0;
  for (i = 0; i < addrs->len; i += strlen(addrs->s + i) + 1) {
    int r;
    if (lower_key(addrs->s + i, &k) < 0) { added = -1; break; }
    r = cdb_make_put(&m->cm, k.s, k.len, addrs->s + i, strlen(addrs->s + i), CDB_PUT_INSERT);
    if (r < 0) { added = -1; break; }
    if (r == 0) added++;
  }
  str_free(&k);
  return added;
}

static long set_rebuild(const char *path, const struct str *addrs, int add)
{
  struct cdb old;
  struct cdbx_make m;
  struct str lower = STR_ZERO;
  size_t n = 0;
  char **v = keys_sorted(addrs, &lower, &n);
  long changed = -1;
  if (!v) { str_free(&lower); errno = ENOMEM; return -1; }
  if (set_open(path, &old) == 0) {
    if (cdbx_make_start(&m, path, 0644) == 0) {
      changed = set_copy(&old, &m, v, n, add);
      if (changed >= 0 && add) changed = set_insert(&m, addrs);
      if (changed < 0) cdbx_make_abort(&m);
      else if (cdbx_make_finish(&m) < 0) changed = -1;
    }
    set_close(&old);
  }
  free(v);
  str_free(&lower);
  return changed;
}

long list_set_edit(struct list *l, const char *set, const struct str *addrs, int add)
{
  struct str p = STR_ZERO;
  long r = -1;
  int held = l->lockfd >= 0;
  if (set_path(l, set, &p) == 0 && list_lock(l) == 0) {
    r = set_rebuild(p.s, addrs, add);
    if (!held) { int e = errno; list_unlock(l); errno = e; }
  }
  str_free(&p);
  return r;
}

long list_set_all(const struct list *l, const char *set, struct str *out)
{
  struct str p = STR_ZERO;
  struct cdb c;
  unsigned pos;
  long n = 0;
  int r;
  if (set_path(l, set, &p) < 0 || set_open(p.s, &c) < 0) { str_free(&p); return -1; }
  str_free(&p);
  if (c.cdb_fd < 0) return 0;
  cdb_seqinit(&pos, &c);
  while ((r = cdb_seqnext(&pos, &c)) > 0) {
    const char *d = cdb_getdata(&c);
    if (!d || str_catb(out, d, cdb_datalen(&c)) < 0 || str_catc(out, 0) < 0) { r = -1; break; }
    n++;
  }
  set_close(&c);
  if (r < 0) { errno = EINVAL; return -1; }
  return n;
}

int list_cookie(const struct list *l, const char *action, const char *addr,
                unsigned long when, char out[LIST_COOKIE_HEX + 1])
{
  struct str d = STR_ZERO, k = STR_ZERO;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0, i;
  int r = -1;
  if (lower_key(addr, &k) == 0 && str_cats(&d, action) == 0 && str_catc(&d, 0) == 0
      && str_catb(&d, k.s, k.len) == 0 && str_catc(&d, 0) == 0 && str_catu(&d, when) == 0
      && HMAC(EVP_sha256(), l->secret.s, (int)l->secret.len, (unsigned char *)d.s, d.len, md, &mdlen)
      && mdlen * 2 >= LIST_COOKIE_HEX) {
    for (i = 0; i < LIST_COOKIE_HEX; i++) out[i] = "0123456789abcdef"[(md[i / 2] >> (i % 2 ? 0 : 4)) & 15];
    out[LIST_COOKIE_HEX] = 0;
    r = 0;
  }
  str_free(&d); str_free(&k);
  if (r < 0) errno = ENOMEM;
  return r;
}

int list_cookie_parse(const char *s, unsigned long *when, struct str *hex, const char **dash)
{
  size_t n = scan_ulong(s, when);
  const char *d;
  if (!n || s[n] != '.' || !(d = strchr(s + n + 1, '-'))) { errno = EINVAL; return -1; }
  if (str_copyb(hex, s + n + 1, (size_t)(d - s) - n - 1) < 0 || str_0(hex) < 0) return -1;
  *dash = d;
  return 0;
}

int list_cookie_check(const struct list *l, const char *action, const char *addr,
                      unsigned long when, const char *hex, time_t now)
{
  char want[LIST_COOKIE_HEX + 1];
  if (strlen(hex) != LIST_COOKIE_HEX) return -1;
  if (list_cookie(l, action, addr, when, want) < 0) return -1;
  if (CRYPTO_memcmp(want, hex, LIST_COOKIE_HEX)) return -1;
  if ((unsigned long)now > when + LIST_COOKIE_TTL || when > (unsigned long)now + 86400) return -2;
  return 0;
}

static int verp_swap(const char *s, char from, char to, struct str *out)
{
  char *c;
  if (str_copys(out, s) < 0 || str_0(out) < 0) return -1;
  c = strrchr(out->s, from);
  if (!c) { errno = EINVAL; return -1; }
  *c = to;
  return 0;
}

int list_verp_encode(const char *addr, struct str *out) { return verp_swap(addr, '@', '=', out); }
int list_verp_decode(const char *s, struct str *out) { return verp_swap(s, '=', '@', out); }

int list_mod_parse(const char *s, struct str *id, const char **cookie, unsigned long *when)
{
  const char *dot = strrchr(s, '.');
  size_t n;
  if (!dot || (n = (size_t)(dot - s)) > LIST_MOD_ID_MAX || !scan_ulong(s, when) || strspn(s, "0123456789.") < n) {
    errno = EINVAL;
    return -1;
  }
  if (str_copyb(id, s, n) < 0 || str_0(id) < 0) return -1;
  *cookie = dot + 1;
  return 0;
}

enum list_return list_return_parse(const char *s, struct str *addr, const char **probe)
{
  const char *dash;
  if (!strncmp(s, "probe.", 6)) { *probe = s + 6; return LIST_RETURN_PROBE; }
  if (*s == 'd') s++;
  dash = s + strspn(s, "0123456789");
  if (dash == s || *dash != '-' || list_verp_decode(dash + 1, addr) < 0) return LIST_RETURN_UNKNOWN;
  return LIST_RETURN_POST;
}

/* the next header field at *p: name [n, n+nl), whole field to *end */
static int field_next(const char *m, size_t hend, size_t *p, size_t *nl, size_t *end)
{
  size_t i = *p;
  const char *c;
  if (i >= hend) return 0;
  c = memchr(m + i, ':', hend - i);
  *nl = c ? (size_t)(c - m) - i : 0;
  for (;;) {
    const char *e = memchr(m + i, '\n', hend - i);
    i = e ? (size_t)(e - m) + 1 : hend;
    if (i >= hend || (m[i] != ' ' && m[i] != '\t')) break;
  }
  *end = i;
  if (c && (size_t)(c - m) >= i) *nl = 0;
  return 1;
}

size_t list_header_end(const char *msg, size_t len)
{
  size_t i = 0;
  while (i < len) {
    const char *e;
    if (msg[i] == '\n') return i + 1;
    e = memchr(msg + i, '\n', len - i);
    if (!e) return len;
    i = (size_t)(e - msg) + 1;
  }
  return len;
}

int list_header(const char *msg, size_t len, const char *name, struct str *val)
{
  size_t p = 0, nl, end, hend = list_header_end(msg, len), i;
  while (field_next(msg, hend, &p, &nl, &end)) {
    if (nl && case_equalb(msg + p, nl, name)) {
      val->len = 0;
      for (i = p + nl + 1; i < end; i++) {
        char ch = msg[i];
        if (ch == '\n' || ch == '\r') continue;
        if (ch == '\t') ch = ' ';
        if (str_catc(val, ch) < 0) return -1;
      }
      while (val->len && val->s[0] == ' ') { memmove(val->s, val->s + 1, --val->len); }
      if (str_0(val) < 0) return -1;
      return 1;
    }
    p = end;
  }
  return 0;
}

int list_num_get(const struct list *l, const char *file, unsigned long *n)
{
  struct str s = STR_ZERO;
  int r = read_rel(l, file, &s, NUM_MAX);
  *n = 0;
  if (r > 0) scan_ulong(s.s, n);
  str_free(&s);
  return r < 0 ? -1 : 0;
}

int list_num_put(const struct list *l, const char *file, unsigned long n)
{
  struct str p = STR_ZERO, s = STR_ZERO;
  int r = list_path(l, file, &p) < 0 || str_catu(&s, n) < 0 || str_catc(&s, '\n') < 0 ? -1
        : file_replace(p.s, s.s, s.len, 0644);
  str_free(&p); str_free(&s);
  return r;
}

static int list_archive_path(const struct list *l, unsigned long n, struct str *out)
{
  struct str rel = STR_ZERO;
  int r = str_catf(&rel, "archive/%lu/%02lu", n / 100, n % 100) < 0 || str_0(&rel) < 0 ? -1
        : list_path(l, rel.s, out);
  str_free(&rel);
  return r;
}

/* one index line: "N<TAB>date<TAB>from<TAB>subject" */
static int index_add(const struct list *l, unsigned long n, const char *msg, size_t len)
{
  struct str line = STR_ZERO, v = STR_ZERO, p = STR_ZERO;
  int r = -1, fd;
  if (str_catu(&line, n) < 0) goto out;
  if (str_catc(&line, '\t') < 0 || list_header(msg, len, "Date", &v) < 0 || str_catb(&line, v.s, v.len) < 0) goto out;
  v.len = 0;
  if (str_catc(&line, '\t') < 0 || list_header(msg, len, "From", &v) < 0 || str_catb(&line, v.s, v.len) < 0) goto out;
  v.len = 0;
  if (str_catc(&line, '\t') < 0 || list_header(msg, len, "Subject", &v) < 0 || str_catb(&line, v.s, v.len) < 0) goto out;
  if (str_catc(&line, '\n') < 0 || list_path(l, "archive/index", &p) < 0) goto out;
  fd = open(p.s, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) goto out;
  r = fd_write_all(fd, line.s, line.len) < 0 || fsync(fd) < 0 ? -1 : 0;
  if (close(fd) < 0) r = -1;
out:
  str_free(&line); str_free(&v); str_free(&p);
  return r;
}

int list_archive_put(const struct list *l, unsigned long n, const char *msg, size_t len)
{
  struct str p = STR_ZERO;
  int r = -1;
  if (list_archive_path(l, n, &p) == 0) {
    char *slash = strrchr(p.s, '/');
    *slash = 0;
    if (mkdir_p(p.s, 0755) == 0) {
      *slash = '/';
      r = file_replace(p.s, msg, len, 0644);
    }
  }
  str_free(&p);
  return r == 0 ? index_add(l, n, msg, len) : -1;
}

int list_archive_get(const struct list *l, unsigned long n, struct str *msg)
{
  struct str p = STR_ZERO;
  int r = list_archive_path(l, n, &p) < 0 ? -1 : file_read(p.s, msg, LIST_MSG_MAX);
  str_free(&p);
  return r;
}

int list_log(const struct list *l, time_t now, const char *what, const char *addr)
{
  struct str p = STR_ZERO, line = STR_ZERO;
  int fd, r = -1;
  if (list_path(l, "log", &p) == 0 && str_catf(&line, "%ld %s %s\n", (long)now, what, addr) == 0) {
    fd = open(p.s, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
      r = fd_write_all(fd, line.s, line.len);
      if (close(fd) < 0) r = -1;
    }
  }
  str_free(&p); str_free(&line);
  return r;
}

int list_queue(const char *qqprog, const char *sender, const struct str *rcpts,
               const char *msg, size_t len)
{
  struct qq q;
  size_t i;
  if (qq_open(&q, qqprog) < 0) return QQ_CONFIG;
  qq_put(&q, msg, len);
  if (qq_from(&q, sender) < 0) { qq_abort(&q); return QQ_NOMEM; }
  for (i = 0; i < rcpts->len; i += strlen(rcpts->s + i) + 1)
    if (qq_to(&q, rcpts->s + i) < 0) { qq_abort(&q); return QQ_NOMEM; }
  return qq_close(&q);
}

int list_reply_header(const struct list *l, const char *to, const char *subject,
                      const char *replyto, time_t now, struct str *out)
{
  char date[DATE_MAX];
  date_rfc5322(now, date);
  if (str_catf(out, "Delivered-To: responder for %s@%s\n", l->local.s, l->host.s) < 0) return -1;
  if (str_catf(out, "Mailing-List: contact %s-help@%s; run by quail\n", l->local.s, l->host.s) < 0) return -1;
  if (str_catf(out, "List-Id: <%s.%s>\nPrecedence: bulk\nAuto-Submitted: auto-replied\n", l->local.s, l->host.s) < 0) return -1;
  if (str_catf(out, "Date: %s\nMessage-ID: <%ld.%ld.list@%s>\n", date, (long)now, (long)getpid(), l->host.s) < 0) return -1;
  if (str_catf(out, "From: %s-help@%s\nTo: %s\nSubject: %s\n", l->local.s, l->host.s, to, subject) < 0) return -1;
  if (replyto && str_catf(out, "Reply-To: %s\n", replyto) < 0) return -1;
  return str_catc(out, '\n');
}

static int replace_all(struct str *t, const char *tag, const char *val)
{
  struct str o = STR_ZERO;
  size_t i = 0, tl = strlen(tag);
  int r = 0;
  while (i < t->len) {
    char *f = memmem(t->s + i, t->len - i, tag, tl);
    size_t n = f ? (size_t)(f - t->s) - i : t->len - i;
    if (str_catb(&o, t->s + i, n) < 0 || (f && str_cats(&o, val) < 0)) { r = -1; break; }
    i += n + (f ? tl : 0);
  }
  if (r == 0 && str_copyb(t, o.s, o.len) < 0) r = -1;
  str_free(&o);
  return r;
}

int list_text(const struct list *l, const char *name, const char *target, struct str *out)
{
  struct str rel = STR_ZERO, a = STR_ZERO;
  int r = str_cats(&rel, "text/") < 0 || str_cats(&rel, name) < 0 || str_0(&rel) < 0 ? -1
        : read_rel(l, rel.s, out, TEXT_MAX);
  str_free(&rel);
  if (r < 0) return -1;
  if (list_addr(l, 0, &a) < 0 || replace_all(out, "<#l#>", l->local.s) < 0
      || replace_all(out, "<#h#>", l->host.s) < 0 || replace_all(out, "<#a#>", a.s) < 0
      || replace_all(out, "<#t#>", target ? target : "") < 0) r = -1;
  str_free(&a);
  return r < 0 ? -1 : str_0(out);
}
