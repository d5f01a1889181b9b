/* dmarcx.c: libopendmarc with the record handed in (opendmarc_policy_
 * store_dmarc), so its own resolver, fixed to /etc/resolv.conf, is never
 * used. */
#include <errno.h>
#include <string.h>
#include <opendmarc/dmarc.h>
#include "dmarcx.h"

static const char *names[] = { "none", "pass", "fail", "temperror", "permerror" };

const char *dmarcx_name(enum dmarcx_result r) { return names[r]; }

/* the organizational domain: the last two labels */
static const char *org_domain(const char *d)
{
  const char *last = strrchr(d, '.'), *p;
  if (!last) return d;
  for (p = last - 1; p > d; p--)
    if (*p == '.') return p + 1;
  return d;
}

/* the first "v=DMARC1" record of _dmarc.domain into rec: a DNS outcome */
static int fetch(struct dns *dns, const char *domain, struct str *rec)
{
  struct str name = STR_ZERO, all = STR_ZERO;
  size_t i;
  int r = str_catf(&name, "_dmarc.%s", domain) < 0 ? DNS_NOMEM : dns_txt(dns, name.s, &all);
  if (r == DNS_OK) r = DNS_NOADDR;
  for (i = 0; r == DNS_NOADDR && i < all.len; i += strlen(all.s + i) + 1)
    if (!strncmp(all.s + i, "v=DMARC1", 8)) r = str_copys(rec, all.s + i) < 0 ? DNS_NOMEM : DNS_OK;
  str_free(&name);
  str_free(&all);
  return r;
}

static void store_results(DMARC_POLICY_T *p, const struct dmarcx_in *in)
{
  int i, spf = in->spf_pass ? DMARC_POLICY_SPF_OUTCOME_PASS
             : in->spf_fail ? DMARC_POLICY_SPF_OUTCOME_FAIL : DMARC_POLICY_SPF_OUTCOME_NONE;
  if (in->spf_domain && *in->spf_domain)
    opendmarc_policy_store_spf(p, (u_char *)in->spf_domain, spf, DMARC_POLICY_SPF_ORIGIN_MAILFROM, 0);
  for (i = 0; i < in->nsigs; i++) {
    int d = in->sigs[i].result == DKIMX_PASS ? DMARC_POLICY_DKIM_OUTCOME_PASS
          : in->sigs[i].result == DKIMX_TEMPERROR ? DMARC_POLICY_DKIM_OUTCOME_TMPFAIL : DMARC_POLICY_DKIM_OUTCOME_FAIL;
    opendmarc_policy_store_dkim(p, (u_char *)in->sigs[i].domain, (u_char *)in->sigs[i].selector, d, 0);
  }
}

static void evaluate(const struct dmarcx_in *in, const char *rec, const char *org, struct dmarcx_out *out)
{
  OPENDMARC_LIB_T lib;
  DMARC_POLICY_T *p;
  int pol, pv = 0;
  memset(&lib, 0, sizeof lib);
  lib.tld_type = OPENDMARC_TLD_TYPE_NONE;
  opendmarc_policy_library_init(&lib);
  p = opendmarc_policy_connect_init((u_char *)"0.0.0.0", DMARC_POLICY_IP_TYPE_IPV4);
  if (!p) { out->result = DMARCX_TEMPERROR; return; }
  opendmarc_policy_store_from_domain(p, (u_char *)in->from);
  store_results(p, in);
  if (opendmarc_policy_store_dmarc(p, (u_char *)rec, (u_char *)in->from, (u_char *)org) != DMARC_PARSE_OKAY) {
    out->result = DMARCX_PERMERROR;
  } else {
    pol = opendmarc_get_policy_to_enforce(p);
    opendmarc_policy_fetch_p(p, &pv);
    out->policy = (char)pv;
    out->result = pol == DMARC_POLICY_PASS ? DMARCX_PASS : pol == DMARC_POLICY_ABSENT ? DMARCX_NONE : DMARCX_FAIL;
    out->reject = pol == DMARC_POLICY_REJECT;
  }
  opendmarc_policy_connect_shutdown(p);
  opendmarc_policy_library_shutdown(&lib);
}

int dmarcx_check(struct dns *dns, const struct dmarcx_in *in, struct dmarcx_out *out)
{
  struct str rec = STR_ZERO;
  const char *org = org_domain(in->from);
  int r = fetch(dns, in->from, &rec);
  memset(out, 0, sizeof *out);
  if ((r == DNS_NXDOMAIN || r == DNS_NOADDR) && strcmp(org, in->from)) r = fetch(dns, org, &rec);
  if (r == DNS_NOMEM) { str_free(&rec); errno = ENOMEM; return -1; }
  if (r == DNS_SOFT) out->result = DMARCX_TEMPERROR;
  else if (r == DNS_OK) evaluate(in, rec.s, org, out);
  str_free(&rec);
  return 0;
}
