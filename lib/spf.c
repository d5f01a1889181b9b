/* spf.c: SPF over libspf2. libspf2's own resolver layer keeps a private
 * res_state initialised from /etc/resolv.conf, out of our reach; so we
 * give it a DNS layer of ours (SPF_server_new_dns) whose lookups go
 * through lib/dns.c, and turn the answers into libspf2's records here. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <resolv.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include "dns.h"
#include "spf.h"

struct spf {
  SPF_server_t *server;
  SPF_dns_server_t layer;
  struct dns *dns;
  int soft;         /* a lookup of this check failed for now */
};

static const char *names[] = { "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror" };

const char *spf_name(enum spf_result r) { return names[r]; }

/* libspf2 logs to stderr on its own; lib/ prints nothing */
static void quiet(const char *file, int line, const char *msg) { }

/* ---- the DNS layer ---- */

static int herrno_of(int outcome)
{
  switch (outcome) {
  case DNS_NXDOMAIN: return HOST_NOT_FOUND;
  case DNS_NOADDR: return NO_DATA;
  default: return TRY_AGAIN;
  }
}

/* one record's data into rr slot i; 0 or -1 */
static int put_name(SPF_dns_rr_t *rr, int i, const ns_msg *msg, const unsigned char *p, int mx)
{
  char name[NS_MAXDNAME];
  if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), p, name, sizeof name) < 0) return -1;
  if (SPF_dns_rr_buf_realloc(rr, i, strlen(name) + 1) != SPF_E_SUCCESS) return -1;
  strcpy(mx ? rr->rr[i]->mx : rr->rr[i]->ptr, name);
  return 0;
}

static int put_txt(SPF_dns_rr_t *rr, int i, const unsigned char *p, size_t n)
{
  char *dst;
  if (SPF_dns_rr_buf_realloc(rr, i, n + 1) != SPF_E_SUCCESS) return -1;
  dst = rr->rr[i]->txt;
  while (n > 0) {
    size_t len = *p++;
    n--;
    if (len > n) len = n;
    memcpy(dst, p, len);
    dst += len; p += len; n -= len;
  }
  *dst = 0;
  return 0;
}

static int put_rr(SPF_dns_rr_t *rr, int i, const ns_msg *msg, ns_rr *x)
{
  const unsigned char *p = ns_rr_rdata(*x);
  size_t n = ns_rr_rdlen(*x);
  switch (ns_rr_type(*x)) {
  case ns_t_a:
    if (n != 4 || SPF_dns_rr_buf_realloc(rr, i, sizeof rr->rr[i]->a) != SPF_E_SUCCESS) return -1;
    memcpy(&rr->rr[i]->a, p, 4);
    return 0;
  case ns_t_aaaa:
    if (n != 16 || SPF_dns_rr_buf_realloc(rr, i, sizeof rr->rr[i]->aaaa) != SPF_E_SUCCESS) return -1;
    memcpy(&rr->rr[i]->aaaa, p, 16);
    return 0;
  case ns_t_mx: return n < 3 ? -1 : put_name(rr, i, msg, p + NS_INT16SZ, 1);
  case ns_t_ptr: return put_name(rr, i, msg, p, 0);
  case ns_t_txt: return put_txt(rr, i, p, n);
  default: return -1;
  }
}

/* the answer section's records of the type asked for */
static void fill(SPF_dns_rr_t *rr, const unsigned char *ans, int len, ns_type type)
{
  ns_msg msg;
  ns_rr x;
  int i, count, n = 0;
  if (ns_initparse(ans, len, &msg) < 0) { rr->herrno = TRY_AGAIN; return; }
  count = ns_msg_count(msg, ns_s_an);
  for (i = 0; i < count; i++) {
    if (ns_parserr(&msg, ns_s_an, i, &x) < 0) { rr->herrno = TRY_AGAIN; break; }
    if (ns_rr_type(x) != type || put_rr(rr, n, &msg, &x) < 0) continue;
    n++;
  }
  rr->num_rr = n;
  if (!n && rr->herrno == NETDB_SUCCESS) rr->herrno = NO_DATA;
}

static SPF_dns_rr_t *lookup(SPF_dns_server_t *layer, const char *domain, ns_type type, int cache)
{
  struct spf *x = layer->hook;
  const unsigned char *ans;
  int outcome, len = dns_raw(x->dns, domain, type, &ans, &outcome);
  SPF_dns_rr_t *rr;
  if (len < 0) {
    if (outcome == DNS_SOFT) x->soft = 1;
    return SPF_dns_rr_new_init(layer, domain, type, 0, herrno_of(outcome));
  }
  rr = SPF_dns_rr_new_init(layer, domain, type, 0, NETDB_SUCCESS);
  if (rr) fill(rr, ans, len, type);
  return rr;
}

/* ---- checks ---- */

static void spf_close(struct spf *x)
{
  if (!x) return;
  if (x->server) SPF_server_free(x->server);
  dns_close(x->dns);
  free(x);
}

struct spf *spf_open(const char *conf, const char *me)
{
  struct spf *x = calloc(1, sizeof *x);
  if (!x) return 0;
  SPF_warning_handler = SPF_info_handler = SPF_debug_handler = quiet;
  x->dns = dns_open(conf);
  if (!x->dns) { free(x); return 0; }
  x->layer.lookup = lookup;
  x->layer.name = "quail";
  x->layer.hook = x;   /* destroy stays 0: the layer is ours to free */
  x->server = SPF_server_new_dns(&x->layer, 0);
  if (!x->server) { spf_close(x); errno = ENOMEM; return 0; }
  if (me && *me) SPF_server_set_rec_dom(x->server, me);
  return x;
}

static enum spf_result ours(SPF_result_t r)
{
  switch (r) {
  case SPF_RESULT_NEUTRAL: return SPF_R_NEUTRAL;
  case SPF_RESULT_PASS: return SPF_R_PASS;
  case SPF_RESULT_FAIL: return SPF_R_FAIL;
  case SPF_RESULT_SOFTFAIL: return SPF_R_SOFTFAIL;
  case SPF_RESULT_TEMPERROR: return SPF_R_TEMPERROR;
  case SPF_RESULT_PERMERROR: return SPF_R_PERMERROR;
  default: return SPF_R_NONE;
  }
}

/* RFC 7208 2.4: the null sender is checked as postmaster@HELO */
static int set_request(SPF_request_t *req, const char *ip, const char *helo, const char *sender)
{
  char null[DNS_NAME_MAX + 16];
  SPF_errcode_t e = strchr(ip, ':') ? SPF_request_set_ipv6_str(req, ip) : SPF_request_set_ipv4_str(req, ip);
  if (e != SPF_E_SUCCESS) { errno = EINVAL; return -1; }
  if (helo && *helo && SPF_request_set_helo_dom(req, helo) != SPF_E_SUCCESS) { errno = EINVAL; return -1; }
  if ((!sender || !*sender) && helo && *helo && strlen(helo) < DNS_NAME_MAX) {
    snprintf(null, sizeof null, "postmaster@%s", helo);
    sender = null;
  }
  if (sender && *sender && SPF_request_set_env_from(req, sender) != 0) { errno = EINVAL; return -1; }
  return 0;
}

/* libspf2's result, corrected: a record that does not compile gives
 * "none" there, permerror in RFC 7208 4.6; a lookup that failed for now
 * makes anything short of a pass temperror (RFC 7208 4.4, 5) */
static enum spf_result result_of(struct spf *x, SPF_response_t *resp)
{
  enum spf_result r = ours(SPF_response_result(resp));
  int i, n = SPF_response_messages(resp);
  if (x->soft && r != SPF_R_PASS) return SPF_R_TEMPERROR;
  for (i = 0; r == SPF_R_NONE && i < n; i++) {
    SPF_error_t *e = SPF_response_message(resp, i);
    if (SPF_error_errorp(e) && SPF_error_code(e) != SPF_E_NOT_SPF) r = SPF_R_PERMERROR;
  }
  return r;
}

/* the header from libspf2's value and comment, control characters out */
static int make_header(SPF_response_t *resp, enum spf_result r, struct str *h)
{
  const char *v = SPF_response_get_received_spf_value(resp);
  size_t i;
  h->len = 0;
  if (str_cats(h, "Received-SPF: ") < 0 || str_cats(h, v ? v : spf_name(r)) < 0) return -1;
  for (i = 0; i < h->len; i++)
    if ((unsigned char)h->s[i] < 32 || h->s[i] == 127) h->s[i] = ' ';
  return str_catc(h, '\n');
}

int spf_check(struct spf *x, const char *ip, const char *helo, const char *sender,
              enum spf_result *result, struct str *header)
{
  SPF_request_t *req = SPF_request_new(x->server);
  SPF_response_t *resp = 0;
  int r = -1;
  if (!req) { errno = ENOMEM; return -1; }
  x->soft = 0;
  if (set_request(req, ip, helo, sender) == 0) {
    SPF_request_query_mailfrom(req, &resp);
    if (resp) {
      *result = result_of(x, resp);
      r = make_header(resp, *result, header);
      SPF_response_free(resp);
    } else errno = ENOMEM;
  }
  SPF_request_free(req);
  return r;
}
