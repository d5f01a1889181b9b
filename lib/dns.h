/* dns.h: where mail for a domain goes, through the system resolver
 * (res_nquery of libresolv, answers read with ns_parserr): MX records by
 * preference, equal preferences shuffled, each exchanger's AAAA and A
 * records; the domain itself as an implicit MX when it has none; RFC 7505
 * null MX. Nothing here prints, exits or reads the environment: the
 * caller names any resolv.conf to use instead of the system's. */
#ifndef DNS_H
#define DNS_H
#include <stddef.h>
#include <sys/socket.h>
#include "str.h"

#define DNS_NAME_MAX    1025   /* a host name, NUL included */
#define DNS_TARGETS_MAX 64     /* addresses kept for one destination */
#define DNS_MX_MAX      32     /* exchangers looked at for one domain */
#define DNS_NS_MAX      3      /* name servers taken from a resolv.conf */

/* outcomes */
#define DNS_OK       0
#define DNS_SOFT     1   /* SERVFAIL, time-out, refused: try again later */
#define DNS_NXDOMAIN 2   /* the name does not exist */
#define DNS_NOADDR   3   /* the names exist but give no address */
#define DNS_NULLMX   4   /* RFC 7505: the domain accepts no mail */
#define DNS_NOMEM    5

struct dns_target {
  unsigned pref;                  /* MX preference; 0 for an implicit MX */
  char name[DNS_NAME_MAX];        /* the exchanger (or host) name */
  struct sockaddr_storage sa;     /* its address, port 0 */
  socklen_t salen;
};

struct dns_targets {
  struct dns_target t[DNS_TARGETS_MAX];
  size_t n;
};

struct dns;   /* opaque: a resolver state */

/* a resolver from the system's configuration, or from conf (a file in
 * resolv.conf's syntax: "nameserver IPv4[#PORT]" lines, up to DNS_NS_MAX,
 * and "options timeout:N attempts:N") when conf is not 0. 0 on failure
 * with errno set (ENOENT and friends for conf, EINVAL when it names no
 * usable name server, ENOMEM). */
struct dns *dns_open(const char *conf);
void dns_close(struct dns *);

/* the MX targets of domain, best first (seed shuffles equal preferences);
 * a domain with no MX record is its own exchanger */
int dns_mx(struct dns *, const char *domain, unsigned long seed, struct dns_targets *);
/* the addresses of one host: an IP address or an address literal
 * ("[192.0.2.1]", "[IPv6:2001:db8::1]", "[::1]") as it is, else its AAAA
 * and A records */
int dns_host(struct dns *, const char *host, struct dns_targets *);
/* one query of type (ns_t_txt, ns_t_a ...) for name: the answer's
 * length with *ans pointing into the resolver's buffer (valid until the
 * next query), or -1 with *outcome set (DNS_NXDOMAIN, DNS_NOADDR, DNS_SOFT) */
int dns_raw(struct dns *, const char *name, int type, const unsigned char **ans, int *outcome);
/* the TXT records of name, each one's strings joined and followed by a
 * NUL, appended to out (at most DNS_TXT_MAX records); an outcome */
#define DNS_TXT_MAX 32
int dns_txt(struct dns *, const char *name, struct str *out);
/* dns_answer: an answer (n bytes, as res_nquery gives it) to a query of
 * type ns_t_mx, ns_t_a, ns_t_aaaa or ns_t_txt, read as dns_mx, dns_host
 * and dns_txt read theirs: the exchangers (pref and name, no address; at
 * most DNS_MX_MAX, ordered with seed) or the addresses into t, the TXT
 * records into txt. An outcome. For tests and fuzzing (fuzz/dns.c). */
int dns_answer(const unsigned char *ans, int n, int type, unsigned long seed,
               struct dns_targets *t, struct str *txt);
/* a sentence for an outcome */
const char *dns_text(int outcome);
/* the numeric form of a target's address into out */
void dns_ntop(const struct dns_target *, char *out, size_t size);
/* a TCP connection to target on port, waiting at most timeout seconds
 * (0: no limit); the fd (close-on-exec, non-blocking), or -1 with errno */
int dns_connect(const struct dns_target *, unsigned long port, int timeout);

#endif
