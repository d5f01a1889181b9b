/* auth-check: DKIM verification and DMARC on incoming mail, a QMAILQUEUE
 * filter that smtpd runs in front of queue-writer when configured
 * (QMAILQUEUE=HOME/bin/auth-check in smtpd's environment).
 *
 * Reads the message on fd 0 and the envelope on fd 1 (qmail-queue's
 * protocol); verifies every DKIM-Signature (libopendkim), evaluates the
 * From: domain's DMARC policy (libopendmarc) with those results and the
 * SPF result smtpd left in QUAIL_SPF and QUAIL_SPF_DOMAIN, puts an
 * Authentication-Results field (RFC 8601) on top and hands the message
 * to AUTHQUEUE, or to HOME/bin/queue-writer. Keys and policies are looked
 * up through QUAIL_RESOLVCONF's name servers when it is set.
 * Reads HOME/control/me (the authserv-id) and control/dmarcreject: when
 * it holds 1, a message that fails DMARC under a "reject" policy is
 * refused (exit 31). DNS trouble never refuses: it is marked temperror.
 *
 * Exit codes: qmail-queue's: the next program's own, or 31 refused by
 * DMARC, 51 out of memory, 54 the input could not be read, 55 control
 * files unreadable, 81 the next program could not be run. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "diag.h"
#include "dkimx.h"
#include "dmarcx.h"
#include "dns.h"
#include "exitcode.h"
#include "home.h"
#include "qfilter.h"
#include "str.h"

#define MESSAGE_MAX (64UL * 1024 * 1024)
#define PATH_MAX_HOME 4096

struct check {
  struct str msg, env, me, from, top;
  int reject_switch;
  const char *spf, *spf_domain;       /* from smtpd, may be 0 */
  struct dkimx_sig sigs[DKIMX_SIGS_MAX];
  int nsigs;
  struct dmarcx_out dmarc;
};

static void __attribute__((noreturn)) die_nomem(void) { diag_die(QQ_NOMEM, "out of memory", (char *)0); }
static void __attribute__((noreturn)) die_read(void) { diag_diesys(QQ_READ, "unable to read the message or envelope", (char *)0); }
static void __attribute__((noreturn)) die_home(void) { diag_diesys(QQ_CONFIG, "unable to find the home directory", (char *)0); }
static void __attribute__((noreturn)) die_control(const char *f) { diag_diesys(QQ_CONFIG, "unable to read ", f, (char *)0); }
static void __attribute__((noreturn)) die_dns(void) { diag_diesys(QQ_CONFIG, "unable to set up the resolver", (char *)0); }
static void __attribute__((noreturn)) die_next(const char *p) { diag_diesys(QQ_BUG, "unable to run ", p, (char *)0); }
static void __attribute__((noreturn)) die_dmarc(const char *from)
{
  diag_die(QQ_PERM_REFUSED, "refused: DMARC policy of ", from, " is reject and the message fails it", (char *)0);
}

static void load_control(struct check *c)
{
  struct str flag = STR_ZERO;
  if (control_readline("control/me", &c->me, "localhost") < 0) die_control("control/me");
  if (control_readline("control/dmarcreject", &flag, "0") < 0) die_control("control/dmarcreject");
  c->reject_switch = !strcmp(flag.s, "1");
  str_free(&flag);
}

static void verify(struct check *c, struct dns *dns)
{
  struct dmarcx_in in;
  const char *spf = c->spf ? c->spf : "none";
  if (dkimx_verify(dns, c->msg.s, c->msg.len, c->sigs, &c->nsigs) < 0) die_nomem();
  if (!qfilter_from_domain(&c->msg, &c->from)) return;
  if (str_0(&c->from) < 0) die_nomem();
  str_lower(&c->from);
  in.from = c->from.s;
  in.spf_domain = c->spf_domain;
  in.spf_pass = !strcmp(spf, "pass");
  in.spf_fail = !strcmp(spf, "fail") || !strcmp(spf, "softfail");
  in.sigs = c->sigs;
  in.nsigs = c->nsigs;
  if (dmarcx_check(dns, &in, &c->dmarc) < 0) die_nomem();
}

/* a value from outside, made safe for a header: no spaces, ';' or controls */
static int cat_token(struct str *t, const char *s)
{
  for (; *s; s++)
    if (str_catc(t, (unsigned char)*s <= ' ' || *s == ';' || *s == 127 ? '_' : *s) < 0) return -1;
  return 0;
}

static void results_header(struct check *c)
{
  struct str *t = &c->top;
  int i, e = str_catf(t, "Authentication-Results: %s;\n\tspf=", c->me.s);
  e |= cat_token(t, c->spf ? c->spf : "none");
  if (c->spf_domain) e |= str_cats(t, " smtp.mailfrom=") | cat_token(t, c->spf_domain);
  if (!c->nsigs) e |= str_cats(t, ";\n\tdkim=none");
  for (i = 0; i < c->nsigs; i++) {
    e |= str_catf(t, ";\n\tdkim=%s header.d=", dkimx_name(c->sigs[i].result));
    e |= cat_token(t, c->sigs[i].domain) | str_cats(t, " header.s=") | cat_token(t, c->sigs[i].selector);
  }
  e |= str_catf(t, ";\n\tdmarc=%s", dmarcx_name(c->dmarc.result));
  if (c->dmarc.policy) e |= str_catf(t, " (p=%s)", c->dmarc.policy == 'r' ? "reject" : c->dmarc.policy == 'q' ? "quarantine" : "none");
  if (c->from.len) e |= str_cats(t, " header.from=") | cat_token(t, c->from.s);
  if (e || str_catc(t, '\n') < 0) die_nomem();
}

int main(int argc, char **argv)
{
  static struct check c;
  const char *home = home_dir(getenv("QUAIL_HOME")), *next;
  char nextbuf[PATH_MAX_HOME];
  struct dns *dns;
  int r;

  diag_init("auth-check");
  if (argc > 1) diag_usage("");
  if (!(next = home_queue(home, getenv("AUTHQUEUE"), nextbuf, sizeof nextbuf))) die_home();
  if (chdir(home) < 0) die_home();
  load_control(&c);
  c.spf = getenv("QUAIL_SPF");
  c.spf_domain = getenv("QUAIL_SPF_DOMAIN");
  if (qfilter_read(&c.msg, &c.env, MESSAGE_MAX) < 0) { if (errno == ENOMEM) die_nomem(); die_read(); }
  if (!(dns = dns_open(getenv("QUAIL_RESOLVCONF")))) die_dns();
  verify(&c, dns);
  dns_close(dns);
  if (c.reject_switch && c.dmarc.reject) die_dmarc(c.from.s);
  results_header(&c);
  if ((r = qfilter_pass(next, &c.top, &c.msg, &c.env)) < 0) die_next(next);
  return r;
}
