/* dkimx.c: libopendkim, used plainly: one library handle per call, the
 * whole message through dkim_chunk (the library makes CRLF), and our own
 * key lookup (dkim_set_key_lookup) so a test's name server is honoured. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <opendkim/dkim.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "dkimx.h"

#define JOBID "quail"

static const char *names[] = { "none", "pass", "fail", "neutral", "temperror", "permerror" };

const char *dkimx_name(enum dkimx_result r) { return names[r]; }

static DKIM_LIB *lib_open(void)
{
  DKIM_LIB *lib = dkim_init(0, 0);
  unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
  if (!lib) { errno = ENOMEM; return 0; }
  dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
  return lib;
}

/* the message, then the end of it */
static DKIM_STAT feed(DKIM *d, const char *msg, size_t len)
{
  DKIM_STAT st = dkim_chunk(d, (unsigned char *)msg, len);
  if (st == DKIM_STAT_OK) st = dkim_chunk(d, 0, 0);
  if (st == DKIM_STAT_OK) st = dkim_eom(d, 0);
  return st;
}

/* the signature's value, its CRLFs made LF */
static int take_header(DKIM *d, struct str *out)
{
  static const char name[] = "DKIM-Signature: ";
  unsigned char *v;
  size_t n, i;
  if (dkim_getsighdr_d(d, sizeof name - 1, &v, &n) != DKIM_STAT_OK) { errno = EINVAL; return -1; }
  if (str_cats(out, name) < 0) return -1;
  for (i = 0; i < n; i++)
    if (v[i] != '\r' && str_catc(out, (char)v[i]) < 0) return -1;
  return str_catc(out, '\n');
}

int dkimx_ed25519(const char *key)
{
  BIO *b = BIO_new_mem_buf(key, -1);
  EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, 0, 0, 0) : 0;
  int r = k ? EVP_PKEY_id(k) == EVP_PKEY_ED25519 : -1;
  if (k) EVP_PKEY_free(k);
  if (b) BIO_free(b);
  if (r < 0) errno = EINVAL;
  return r;
}

int dkimx_sign(const char *msg, size_t len, const char *domain, const char *selector,
               const char *key, int ed25519, struct str *out)
{
  DKIM_LIB *lib = lib_open();
  DKIM_STAT st;
  DKIM *d;
  int r = -1;
  if (!lib) return -1;
  d = dkim_sign(lib, (const unsigned char *)JOBID, 0, (unsigned char *)(uintptr_t)key,
                (const unsigned char *)selector, (const unsigned char *)domain,
                DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
                ed25519 ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256, -1, &st);
  if (!d) errno = st == DKIM_STAT_NORESOURCE ? ENOMEM : EINVAL;
  else if (feed(d, msg, len) != DKIM_STAT_OK) errno = EINVAL;
  else r = take_header(d, out);
  if (d) dkim_free(d);
  dkim_close(lib);
  return r;
}

static enum dkimx_result sig_result(DKIM_SIGINFO *sig)
{
  switch (dkim_sig_geterror(sig)) {
  case DKIM_SIGERROR_OK: return DKIM_SIG_CHECK(sig) ? DKIMX_PASS : DKIMX_FAIL;
  case DKIM_SIGERROR_KEYFAIL: return DKIMX_TEMPERROR;
  case DKIM_SIGERROR_BADSIG: case DKIM_SIGERROR_NOKEY: return DKIMX_FAIL;
  default: return (dkim_sig_getflags(sig) & DKIM_SIGFLAG_PROCESSED) && !DKIM_SIG_CHECK(sig) ? DKIMX_FAIL : DKIMX_PERMERROR;
  }
}

static void describe(DKIM_SIGINFO *sig, struct dkimx_sig *out)
{
  const char *dom = (const char *)dkim_sig_getdomain(sig);
  const char *sel = (const char *)dkim_sig_getselector(sig);
  snprintf(out->domain, sizeof out->domain, "%s", dom ? dom : "");
  snprintf(out->selector, sizeof out->selector, "%s", sel ? sel : "");
  out->result = sig_result(sig);
}

/* what key_lookup needs, and what it saw: libopendkim gives up on the
 * whole message when a lookup says "try again", and then lists no
 * signature, so the signatures whose keys failed are kept here */
struct lookup {
  struct dns *dns;
  struct dkimx_sig soft[DKIMX_SIGS_MAX];
  int nsoft;
};

/* the key record selector._domainkey.domain, for libopendkim */
static DKIM_CBSTAT key_lookup(DKIM *d, DKIM_SIGINFO *sig, unsigned char *buf, size_t size)
{
  struct lookup *l = dkim_get_user_context(d);
  struct str name = STR_ZERO, txt = STR_ZERO;
  DKIM_CBSTAT st = DKIM_CBSTAT_TRYAGAIN;
  int r = DNS_NOMEM;
  if (str_catf(&name, "%s._domainkey.%s", (char *)dkim_sig_getselector(sig), (char *)dkim_sig_getdomain(sig)) == 0)
    r = dns_txt(l->dns, name.s, &txt);
  if (r == DNS_NXDOMAIN || r == DNS_NOADDR) st = DKIM_CBSTAT_NOTFOUND;
  if (r == DNS_OK && strlen(txt.s) < size) { strcpy((char *)buf, txt.s); st = DKIM_CBSTAT_CONTINUE; }
  if (st == DKIM_CBSTAT_TRYAGAIN && l->nsoft < DKIMX_SIGS_MAX) {
    describe(sig, &l->soft[l->nsoft]);
    l->soft[l->nsoft++].result = DKIMX_TEMPERROR;
  }
  str_free(&name);
  str_free(&txt);
  return st;
}

int dkimx_verify(struct dns *dns, const char *msg, size_t len, struct dkimx_sig *sigs, int *n)
{
  DKIM_LIB *lib = lib_open();
  DKIM_SIGINFO **list;
  DKIM_STAT st;
  DKIM *d;
  struct lookup l;
  int i, count = 0;
  *n = 0;
  l.dns = dns;
  l.nsoft = 0;
  if (!lib) return -1;
  dkim_set_key_lookup(lib, key_lookup);
  d = dkim_verify(lib, (const unsigned char *)JOBID, 0, &st);
  if (!d) { dkim_close(lib); errno = ENOMEM; return -1; }
  dkim_set_user_context(d, &l);
  st = feed(d, msg, len);   /* other failures show in each signature's error */
  if (st == DKIM_STAT_CBTRYAGAIN)
    for (i = 0; i < l.nsoft; i++) sigs[(*n)++] = l.soft[i];
  else if (dkim_getsiglist(d, &list, &count) == DKIM_STAT_OK)
    for (i = 0; i < count && i < DKIMX_SIGS_MAX; i++) describe(list[i], &sigs[(*n)++]);
  dkim_free(d);
  dkim_close(lib);
  return 0;
}
