/* dns.c: MX and address lookups over libresolv. Answers are read with
 * ns_initparse/ns_parserr and names expanded with dn_expand: no DNS
 * packet is parsed by hand here. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "buf.h"
#include "dns.h"
#include "fsx.h"
#include "str.h"

#define ANSWER_MAX 65536          /* the largest DNS message (TCP) */
#define CONF_MAX   65536          /* a resolv.conf larger than this is an error */
#define OPT_MAX    30             /* timeout: and attempts: are cut to this */

struct mx { unsigned pref; char name[DNS_NAME_MAX]; };

struct dns {
  struct __res_state rs;
  unsigned char ans[ANSWER_MAX];
  struct mx mx[DNS_MX_MAX];
  int custom;                     /* name servers from a file: not glibc's to free */
};

/* ---- the resolver's configuration ---- */

static int add_server(struct dns *d, const char *w)
{
  char ip[64];
  const char *hash = strchr(w, '#');
  size_t n = hash ? (size_t)(hash - w) : strlen(w);
  unsigned long port = 53;
  struct sockaddr_in *sin;
  if (d->rs.nscount >= DNS_NS_MAX || n >= sizeof ip) return 0;
  memcpy(ip, w, n);
  ip[n] = 0;
  if (hash && (!scan_ulong(hash + 1, &port) || !port || port > 65535)) return 0;
  sin = &d->rs.nsaddr_list[d->rs.nscount];
  memset(sin, 0, sizeof *sin);
  if (inet_pton(AF_INET, ip, &sin->sin_addr) != 1) return 0;   /* IPv4 only here */
  sin->sin_family = AF_INET;
  sin->sin_port = htons((unsigned short)port);
  d->rs.nscount++;
  return 0;
}

static void set_option(struct dns *d, const char *w)
{
  unsigned long v;
  if (!strncmp(w, "timeout:", 8) && scan_ulong(w + 8, &v) && v) d->rs.retrans = v > OPT_MAX ? OPT_MAX : (int)v;
  if (!strncmp(w, "attempts:", 9) && scan_ulong(w + 9, &v) && v) d->rs.retry = v > OPT_MAX ? OPT_MAX : (int)v;
}

/* one line of a resolv.conf, split in place at white space */
static void conf_line(struct dns *d, char *line)
{
  char *w[8];
  size_t n = 0, i;
  char *tok, *save = 0;
  for (tok = strtok_r(line, " \t\r", &save); tok && n < 8; tok = strtok_r(0, " \t\r", &save)) w[n++] = tok;
  if (n >= 2 && !strcmp(w[0], "nameserver")) add_server(d, w[1]);
  if (n >= 2 && !strcmp(w[0], "options"))
    for (i = 1; i < n; i++) set_option(d, w[i]);
}

/* replace the system's name servers by those of the file conf */
static int load_conf(struct dns *d, const char *conf)
{
  struct str all = STR_ZERO;
  size_t i = 0, k;
  int r = file_read(conf, &all, CONF_MAX);
  if (r <= 0) { if (r == 0) errno = ENOENT; str_free(&all); return -1; }
  if (str_0(&all) < 0) { str_free(&all); return -1; }
  d->rs.nscount = 0;
  for (k = 0; k < MAXNS; k++) d->rs._u._ext.nsaddrs[k] = 0;   /* glibc's IPv6 servers */
  while (i < all.len) {
    char *nl = memchr(all.s + i, '\n', all.len - i);
    size_t end = nl ? (size_t)(nl - all.s) : all.len;
    all.s[end] = 0;
    if (all.s[i] != '#' && all.s[i] != ';') conf_line(d, all.s + i);
    i = end + 1;
  }
  str_free(&all);
  if (!d->rs.nscount) { errno = EINVAL; return -1; }
  return 0;
}

struct dns *dns_open(const char *conf)
{
  struct dns *d = calloc(1, sizeof *d);
  if (!d) return 0;
  if (res_ninit(&d->rs) < 0) { free(d); errno = ENOMEM; return 0; }
  d->rs.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);   /* names are absolute */
  d->custom = conf != 0;
  if (conf && load_conf(d, conf) < 0) {
    int e = errno;
    free(d);   /* not res_nclose: load_conf may have dropped glibc's pointers */
    errno = e;
    return 0;
  }
  return d;
}

void dns_close(struct dns *d)
{
  if (!d) return;
  if (!d->custom) res_nclose(&d->rs);
  free(d);
}

const char *dns_text(int r)
{
  switch (r) {
  case DNS_OK: return "ok";
  case DNS_SOFT: return "temporary DNS failure";
  case DNS_NXDOMAIN: return "no such domain";
  case DNS_NOADDR: return "no mail exchanger or address";
  case DNS_NULLMX: return "the domain accepts no mail (null MX)";
  default: return "out of memory";
  }
}

/* ---- queries ---- */

static int query(struct dns *d, const char *name, int type, ns_msg *msg)
{
  int n = res_nquery(&d->rs, name, ns_c_in, type, d->ans, sizeof d->ans);
  if (n < 0) {
    switch (d->rs.res_h_errno) {
    case HOST_NOT_FOUND: return DNS_NXDOMAIN;
    case NO_DATA: return DNS_NOADDR;
    default: return DNS_SOFT;
    }
  }
  if (ns_initparse(d->ans, n, msg) < 0) return DNS_SOFT;
  return DNS_OK;
}

static int add_target(struct dns_targets *t, unsigned pref, const char *name, int family, const void *addr)
{
  struct dns_target *x;
  if (t->n >= DNS_TARGETS_MAX) return 0;
  x = &t->t[t->n];
  memset(&x->sa, 0, sizeof x->sa);
  if (family == AF_INET6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&x->sa;
    s6->sin6_family = AF_INET6;
    memcpy(&s6->sin6_addr, addr, 16);
    x->salen = sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&x->sa;
    s4->sin_family = AF_INET;
    memcpy(&s4->sin_addr, addr, 4);
    x->salen = sizeof *s4;
  }
  x->pref = pref;
  snprintf(x->name, sizeof x->name, "%s", name);
  t->n++;
  return 0;
}

/* an answer's records of one type (A or AAAA) into t, named name */
static int answer_addrs(ns_msg *msg, const char *name, unsigned pref, int type, struct dns_targets *t)
{
  ns_rr rr;
  int i, count = ns_msg_count(*msg, ns_s_an);
  size_t want = type == ns_t_aaaa ? 16 : 4;
  for (i = 0; i < count; i++) {
    if (ns_parserr(msg, ns_s_an, i, &rr) < 0) return DNS_SOFT;
    if ((int)ns_rr_type(rr) != type || ns_rr_rdlen(rr) != want) continue;
    add_target(t, pref, name, type == ns_t_aaaa ? AF_INET6 : AF_INET, ns_rr_rdata(rr));
  }
  return DNS_OK;
}

/* the records of one type (A or AAAA) of name into t */
static int addrs_of(struct dns *d, const char *name, unsigned pref, int type, struct dns_targets *t)
{
  ns_msg msg;
  int r = query(d, name, type, &msg);
  return r != DNS_OK ? r : answer_addrs(&msg, name, pref, type, t);
}

/* AAAA then A: the outcome is OK when either gave an address */
static int host_addrs(struct dns *d, const char *name, unsigned pref, struct dns_targets *t)
{
  size_t before = t->n;
  int r6 = addrs_of(d, name, pref, ns_t_aaaa, t);
  int r4 = addrs_of(d, name, pref, ns_t_a, t);
  if (t->n > before) return DNS_OK;
  if (r6 == DNS_SOFT || r4 == DNS_SOFT) return DNS_SOFT;
  if (r6 == DNS_NXDOMAIN || r4 == DNS_NXDOMAIN) return DNS_NXDOMAIN;
  return DNS_NOADDR;
}

/* the MX records of an answer, *nullmx set for a lone "0 ." record */
static int mx_records(ns_msg *msg, struct mx *mx, size_t *n, int *nullmx)
{
  ns_rr rr;
  int i, count = ns_msg_count(*msg, ns_s_an), roots = 0;
  *n = 0;
  for (i = 0; i < count && *n < DNS_MX_MAX; i++) {
    const unsigned char *rd;
    if (ns_parserr(msg, ns_s_an, i, &rr) < 0) return DNS_SOFT;
    if (ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3) continue;
    rd = ns_rr_rdata(rr);
    if (dn_expand(ns_msg_base(*msg), ns_msg_end(*msg), rd + 2, mx[*n].name, DNS_NAME_MAX) < 0) return DNS_SOFT;
    if (!mx[*n].name[0] || !strcmp(mx[*n].name, ".")) { roots++; continue; }
    mx[*n].pref = ns_get16(rd);
    (*n)++;
  }
  *nullmx = roots && !*n;
  return DNS_OK;
}

/* sort by preference, then shuffle each run of equal preferences */
static void order(struct mx *mx, size_t n, unsigned long seed)
{
  size_t i, j, k;
  for (i = 1; i < n; i++)
    for (j = i; j > 0 && mx[j - 1].pref > mx[j].pref; j--) {
      struct mx t = mx[j]; mx[j] = mx[j - 1]; mx[j - 1] = t;
    }
  for (i = 0; i < n; i = j) {
    for (j = i + 1; j < n && mx[j].pref == mx[i].pref; j++) {}
    for (k = j - 1; k > i; k--) {
      size_t pick;
      struct mx t;
      seed = seed * 6364136223846793005UL + 1442695040888963407UL;
      pick = i + (size_t)((seed >> 33) % (k - i + 1));
      t = mx[k]; mx[k] = mx[pick]; mx[pick] = t;
    }
  }
}

int dns_mx(struct dns *d, const char *domain, unsigned long seed, struct dns_targets *t)
{
  struct mx *mx = d->mx;
  ns_msg msg;
  size_t n = 0, i;
  int nullmx = 0, soft = 0, r = query(d, domain, ns_t_mx, &msg);
  t->n = 0;
  if (r == DNS_NXDOMAIN || r == DNS_SOFT) return r;
  if (r == DNS_OK && (r = mx_records(&msg, mx, &n, &nullmx)) != DNS_OK) return r;
  if (r == DNS_OK && nullmx) return DNS_NULLMX;
  if (r == DNS_NOADDR || n == 0) {   /* no MX: the domain is its own exchanger */
    r = host_addrs(d, domain, 0, t);
    return r == DNS_NXDOMAIN ? DNS_NOADDR : r;
  }
  order(mx, n, seed);
  for (i = 0; i < n; i++)
    if (host_addrs(d, mx[i].name, mx[i].pref, t) == DNS_SOFT) soft = 1;
  if (t->n) return DNS_OK;
  return soft ? DNS_SOFT : DNS_NOADDR;
}

/* "[192.0.2.1]", "[IPv6:::1]", "::1" or "192.0.2.1": 1 when host is one */
static int literal(const char *host, struct dns_targets *t)
{
  char ip[64];
  unsigned char a[16];
  size_t n = strlen(host);
  if (host[0] == '[' && n > 2 && host[n - 1] == ']') { host++; n -= 2; }
  if (n > 5 && !strncasecmp(host, "IPv6:", 5)) { host += 5; n -= 5; }
  if (n >= sizeof ip) return 0;
  memcpy(ip, host, n);
  ip[n] = 0;
  if (inet_pton(AF_INET, ip, a) == 1) add_target(t, 0, ip, AF_INET, a);
  else if (inet_pton(AF_INET6, ip, a) == 1) add_target(t, 0, ip, AF_INET6, a);
  else return 0;
  return 1;
}

int dns_host(struct dns *d, const char *host, struct dns_targets *t)
{
  t->n = 0;
  if (literal(host, t)) return DNS_OK;
  return host_addrs(d, host, 0, t);
}

void dns_ntop(const struct dns_target *x, char *out, size_t size)
{
  const void *a = x->sa.ss_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)&x->sa)->sin6_addr
                                              : (const void *)&((const struct sockaddr_in *)&x->sa)->sin_addr;
  if (!inet_ntop(x->sa.ss_family, a, out, (socklen_t)size)) snprintf(out, size, "?");
}

/* ---- raw queries, for the sender-authentication libraries ---- */

int dns_raw(struct dns *d, const char *name, int type, const unsigned char **ans, int *outcome)
{
  int n = res_nquery(&d->rs, name, ns_c_in, type, d->ans, sizeof d->ans);
  if (n < 0) {
    switch (d->rs.res_h_errno) {
    case HOST_NOT_FOUND: *outcome = DNS_NXDOMAIN; break;
    case NO_DATA: *outcome = DNS_NOADDR; break;
    default: *outcome = DNS_SOFT; break;
    }
    return -1;
  }
  *ans = d->ans;
  return n;
}

/* one TXT record's character-strings, joined */
static int txt_join(const unsigned char *p, size_t n, struct str *out)
{
  while (n > 0) {
    size_t len = *p++;
    n--;
    if (len > n) len = n;
    if (str_catb(out, (const char *)p, len) < 0) return -1;
    p += len;
    n -= len;
  }
  return str_catc(out, 0);
}

/* an answer's TXT records into out */
static int answer_txt(ns_msg *msg, struct str *out)
{
  ns_rr rr;
  int i, count = ns_msg_count(*msg, ns_s_an), found = 0;
  for (i = 0; i < count && found < DNS_TXT_MAX; i++) {
    if (ns_parserr(msg, ns_s_an, i, &rr) < 0) return DNS_SOFT;
    if (ns_rr_type(rr) != ns_t_txt) continue;
    if (txt_join(ns_rr_rdata(rr), ns_rr_rdlen(rr), out) < 0) return DNS_NOMEM;
    found++;
  }
  return found ? DNS_OK : DNS_NOADDR;
}

int dns_txt(struct dns *d, const char *name, struct str *out)
{
  const unsigned char *ans;
  ns_msg msg;
  int r, n = dns_raw(d, name, ns_t_txt, &ans, &r);
  if (n < 0) return r;
  if (ns_initparse(ans, n, &msg) < 0) return DNS_SOFT;
  return answer_txt(&msg, out);
}

/* an answer read as the lookups above read theirs */
int dns_answer(const unsigned char *ans, int n, int type, unsigned long seed,
               struct dns_targets *t, struct str *txt)
{
  ns_msg msg;
  struct mx *mx;
  size_t i, nmx = 0;
  int nullmx = 0, r;
  t->n = 0;
  if (ns_initparse(ans, n, &msg) < 0) return DNS_SOFT;
  if (type == ns_t_txt) return answer_txt(&msg, txt);
  if (type != ns_t_mx) return answer_addrs(&msg, "answer", 0, type, t);
  if (!(mx = malloc(DNS_MX_MAX * sizeof *mx))) return DNS_NOMEM;
  if ((r = mx_records(&msg, mx, &nmx, &nullmx)) == DNS_OK) {
    order(mx, nmx, seed);
    for (i = 0; i < nmx; i++) {
      t->t[i].pref = mx[i].pref;
      snprintf(t->t[i].name, sizeof t->t[i].name, "%s", mx[i].name);
    }
    t->n = nmx;
    if (nullmx) r = DNS_NULLMX;
  }
  free(mx);
  return r;
}

int dns_connect(const struct dns_target *t, unsigned long port, int timeout)
{
  struct sockaddr_storage sa = t->sa;
  int fd, err = 0;
  socklen_t len = sizeof err;
  if (sa.ss_family == AF_INET6) ((struct sockaddr_in6 *)&sa)->sin6_port = htons((unsigned short)port);
  else ((struct sockaddr_in *)&sa)->sin_port = htons((unsigned short)port);
  fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&sa, t->salen) == 0) return fd;
  if (errno != EINPROGRESS || fd_wait(fd, 1, timeout) < 0) { err = errno; close(fd); errno = err; return -1; }
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err) { close(fd); errno = err; return -1; }
  return fd;
}
