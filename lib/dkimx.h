/* dkimx.h: DKIM (RFC 6376) signing and verification over libopendkim,
 * with key records fetched through lib/dns.h. Messages are given whole,
 * in the queue's form (LF line ends); CRLF is made by the library. Nothing
 * here prints or exits. */
#ifndef DKIMX_H
#define DKIMX_H
#include <stddef.h>
#include "dns.h"
#include "str.h"

#define DKIMX_SIGS_MAX 8          /* signatures looked at on one message */
#define DKIMX_NAME_MAX 256

/* outcomes of one signature, RFC 8601's names (dkimx_name) */
enum dkimx_result { DKIMX_NONE, DKIMX_PASS, DKIMX_FAIL, DKIMX_NEUTRAL, DKIMX_TEMPERROR, DKIMX_PERMERROR };

struct dkimx_sig {
  enum dkimx_result result;
  char domain[DKIMX_NAME_MAX];    /* d= */
  char selector[DKIMX_NAME_MAX];  /* s= */
};

/* sign msg with key (PEM) as selector._domainkey.domain; ed25519 picks
 * ed25519-sha256, else rsa-sha256; relaxed/relaxed. Appends a whole
 * "DKIM-Signature: ...\n" field (key NUL-terminated) (LF line ends) to out. 0, or -1 with
 * errno (EINVAL for a key the library refuses, ENOMEM). */
int dkimx_sign(const char *msg, size_t len, const char *domain, const char *selector,
               const char *key, int ed25519, struct str *out);

/* is key (PEM, NUL-terminated) an ed25519 key (1) or not (0); -1 with
 * EINVAL when it is no private key at all */
int dkimx_ed25519(const char *key);

/* verify every signature of msg (up to DKIMX_SIGS_MAX) with keys looked
 * up through dns; *n signatures described in sigs. 0, or -1 with errno. */
int dkimx_verify(struct dns *, const char *msg, size_t len, struct dkimx_sig *sigs, int *n);

const char *dkimx_name(enum dkimx_result);
#endif
