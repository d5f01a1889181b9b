/* dmarcx.h: DMARC (RFC 7489) over libopendmarc: the policy record is
 * fetched through lib/dns.h (_dmarc.FROM-DOMAIN, else at the
 * organizational domain, taken as the last two labels), the SPF and DKIM
 * results are given by the caller. Nothing here prints or exits. */
#ifndef DMARCX_H
#define DMARCX_H
#include "dkimx.h"
#include "dns.h"

enum dmarcx_result { DMARCX_NONE, DMARCX_PASS, DMARCX_FAIL, DMARCX_TEMPERROR, DMARCX_PERMERROR };

struct dmarcx_in {
  const char *from;             /* the From: field's domain */
  const char *spf_domain;       /* MAIL FROM's (or HELO's) domain; may be 0 */
  int spf_pass, spf_fail;       /* the SPF outcome */
  const struct dkimx_sig *sigs; /* DKIM outcomes */
  int nsigs;
};

struct dmarcx_out {
  enum dmarcx_result result;
  int reject;                   /* failed, and the policy to enforce is reject */
  char policy;                  /* 'n', 'q', 'r', or 0 without a record */
};

/* 0, or -1 with errno ENOMEM */
int dmarcx_check(struct dns *, const struct dmarcx_in *, struct dmarcx_out *);
const char *dmarcx_name(enum dmarcx_result);
#endif
