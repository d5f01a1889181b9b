/* dkim-sign: sign outgoing mail with DKIM, a QMAILQUEUE filter.
 *
 *   QMAILQUEUE=HOME/bin/dkim-sign   (for sendmail, inject, or smtpd's
 *                                    relay clients through tcprules)
 *
 * Reads the message on fd 0 and the envelope on fd 1 (qmail-queue's
 * protocol), takes the domain of the From: field (else of the envelope
 * sender) and signs with every key HOME/control/dkim/DOMAIN/SELECTOR.key
 * (rsa-sha256 or ed25519-sha256, relaxed/relaxed), then hands the
 * DKIM-Signature fields and the message to DKIMQUEUE, or to
 * HOME/bin/queue-writer, and exits with its code. A domain without a
 * directory under control/dkim/ passes unsigned; a domain with one must be
 * signed: a key that is missing or unreadable is a temporary failure and
 * nothing goes on unsigned.
 *
 * Exit codes: qmail-queue's (queue-writer(8)): the next program's own, or
 * 54 the input could not be read, 51 out of memory, 55 a key could not be
 * read or used, 81 the next program could not be run.
 *
 * Only mail from this host or from trusted clients is signed: a message
 * that came over the network (TCPREMOTEIP set) is signed only when the
 * client may relay (RELAYCLIENT, from tcprules) or authenticated
 * (QUAIL_AUTH, set by smtpd); anything else passes on unsigned, so a
 * stranger cannot get a forged From: signed with our key. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diag.h"
#include "dkimx.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "qfilter.h"
#include "str.h"

#define MESSAGE_MAX (64UL * 1024 * 1024)   /* larger messages are refused */
#define KEY_MAX     65536                   /* a key file */
#define KEYS_MAX    4                       /* signatures per message */
#define PATH_MAX_HOME 4096

static void __attribute__((noreturn)) die_nomem(void) { diag_die(QQ_NOMEM, "out of memory", (char *)0); }
static void __attribute__((noreturn)) die_read(void) { diag_diesys(QQ_READ, "unable to read the message or envelope", (char *)0); }
static void __attribute__((noreturn)) die_home(void) { diag_diesys(QQ_CONFIG, "unable to find the home directory", (char *)0); }
static void __attribute__((noreturn)) die_dir(const char *d) { diag_diesys(QQ_CONFIG, "unable to read ", d, (char *)0); }
static void __attribute__((noreturn)) die_nokey(const char *d)
{
  diag_die(QQ_CONFIG, "no usable key in ", d, ": refusing to send unsigned", (char *)0);
}
static void __attribute__((noreturn)) die_key(const char *k) { diag_diesys(QQ_CONFIG, "unable to read key ", k, (char *)0); }
static void __attribute__((noreturn)) die_sign(const char *k) { diag_diesys(QQ_CONFIG, "unable to sign with ", k, (char *)0); }
static void __attribute__((noreturn)) die_next(const char *p) { diag_diesys(QQ_BUG, "unable to run ", p, (char *)0); }

static void pick_domain(const struct str *msg, const struct str *env, struct str *d)
{
  const char *sender = qfilter_sender(env), *at = sender ? strrchr(sender, '@') : 0;
  if (!qfilter_from_domain(msg, d) && at && str_copys(d, at + 1) < 0) die_nomem();
  if (str_0(d) < 0) die_nomem();
  str_lower(d);
}

/* sign with one key file dir/name ("SELECTOR.key") */
static void sign_one(const struct str *msg, const char *domain, const char *dir, const char *name, struct str *top)
{
  struct str path = STR_ZERO, key = STR_ZERO, sel = STR_ZERO;
  int ed;
  if (str_catf(&path, "%s/%s", dir, name) < 0 || str_copyb(&sel, name, strlen(name) - 4) < 0 || str_0(&sel) < 0) die_nomem();
  if (file_read(path.s, &key, KEY_MAX) <= 0 || str_0(&key) < 0) {
    if (errno == ENOMEM) die_nomem();
    if (!errno) errno = ENOENT;
    die_key(path.s);
  }
  if ((ed = dkimx_ed25519(key.s)) < 0) die_sign(path.s);
  if (dkimx_sign(msg->s, msg->len, domain, sel.s, key.s, ed, top) < 0) die_sign(path.s);
  str_free(&path);
  str_free(&key);
  str_free(&sel);
}

static int is_key(const char *name)
{
  size_t n = strlen(name);
  return name[0] != '.' && n > 4 && !strcmp(name + n - 4, ".key");
}

/* every key of the domain: 0 signatures when it has no directory */
static void sign_all(const struct str *msg, const char *domain, struct str *top)
{
  struct str dir = STR_ZERO;
  struct dirent *e;
  DIR *d;
  int n = 0;
  if (!*domain || strchr(domain, '/') || domain[0] == '.') return;
  if (str_catf(&dir, "control/dkim/%s", domain) < 0) die_nomem();
  if (!(d = opendir(dir.s))) {
    if (errno == ENOENT) { str_free(&dir); return; }
    die_dir(dir.s);
  }
  while ((e = readdir(d)) && n < KEYS_MAX)
    if (is_key(e->d_name)) { sign_one(msg, domain, dir.s, e->d_name, top); n++; }
  closedir(d);
  if (!n) die_nokey(dir.s);
  str_free(&dir);
}

/* local submission, a relay client or an authenticated session */
static int trusted(void)
{
  return !getenv("TCPREMOTEIP") || getenv("RELAYCLIENT") || getenv("QUAIL_AUTH");
}

int main(int argc, char **argv)
{
  struct str msg = STR_ZERO, env = STR_ZERO, domain = STR_ZERO, top = STR_ZERO;
  const char *home = home_dir(getenv("QUAIL_HOME")), *next;
  char nextbuf[PATH_MAX_HOME];
  int r;

  diag_init("dkim-sign");
  if (argc > 1) diag_usage("");
  if (!(next = home_queue(home, getenv("DKIMQUEUE"), nextbuf, sizeof nextbuf))) die_home();
  if (chdir(home) < 0) die_home();
  if (qfilter_read(&msg, &env, MESSAGE_MAX) < 0) { if (errno == ENOMEM) die_nomem(); die_read(); }
  if (trusted()) {
    pick_domain(&msg, &env, &domain);
    sign_all(&msg, domain.s, &top);
  }
  if ((r = qfilter_pass(next, &top, &msg, &env)) < 0) die_next(next);
  return r;
}
