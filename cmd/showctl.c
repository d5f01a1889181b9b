/* showctl: show the effective configuration (qmail-showctl).
 *
 * Reads every file in HOME/control/ and prints, for each control file
 * quail knows, a paragraph "\nNAME: TEXT" with its value, or
 * "(Default.) " and the value used when the file is missing, or
 * "Oops! ..." when it cannot be read; then every other file in control/
 * as "I have no idea what this file does.", and the state of
 * users/assign and users/cdb. Bytes outside printable ASCII are shown
 * as '?'. The private key in servercert.pem is never printed.
 * Exit codes: 0 shown; 100 usage; 111 HOME or control/ cannot be read,
 * or some file could not be read (it is marked "Oops!"), or output
 * error. */
#include <cdb.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buf.h"
#include "control.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "str.h"

#define ME_DEFAULT  "localhost"   /* what every program uses without control/me */
#define NAMES_MAX   10000         /* unknown files in control/ we list */
#define NAMES_MAX_TEXT "10000"

struct show {
  struct buf out;
  char space[BUF_SIZE];
  struct str me;                /* control/me, or ME_DEFAULT */
  int have_me;
  struct str v;                 /* scratch: the file being shown */
  int trouble;                  /* something was unreadable: exit 111 */
};

struct ctl;
typedef void (*shower)(struct show *, const struct ctl *);

/* one known control file: how it is shown, its default, its wording */
struct ctl {
  const char *name;
  shower fn;
  const char *def;              /* the default value (0: control/me), the text shown
                                 * for a missing file, or for a cdb its source file */
  const char *pre, *post;
};

static void __attribute__((noreturn)) die_home(const char *home)
{
  diag_diesys(EXIT_TEMP, "unable to enter the quail home directory ", home, (char *)0);
}
static void __attribute__((noreturn)) die_control(void)
{
  diag_diesys(EXIT_TEMP, "unable to read the directory control", (char *)0);
}
static void __attribute__((noreturn)) die_me(void)
{
  diag_diesys(EXIT_TEMP, "unable to read control/me", (char *)0);
}
static void __attribute__((noreturn)) die_output(void)
{
  diag_diesys(EXIT_TEMP, "unable to write to standard output", (char *)0);
}

/* ---------- output ---------- */

static void puts_(struct show *s, const char *x)
{
  if (buf_puts(&s->out, x) < 0) die_output();
}

static void put_safe(struct show *s, const char *x, size_t n)
{
  size_t i;
  for (i = 0; i < n; i++) {
    char c = x[i] >= 32 && x[i] <= 126 ? x[i] : '?';
    if (buf_put(&s->out, &c, 1) < 0) die_output();
  }
}

static void put_u(struct show *s, unsigned long u)
{
  if (buf_putu(&s->out, u) < 0) die_output();
}

/* "\nNAME: " */
static void head(struct show *s, const char *name)
{
  puts_(s, "\n");
  puts_(s, name);
  puts_(s, ": ");
}

static void oops(struct show *s, const char *what)
{
  puts_(s, "Oops! ");
  puts_(s, what);
  if (errno) { puts_(s, ": "); puts_(s, strerror(errno)); }
  puts_(s, ".\n");
  s->trouble = 1;
}

/* "Oops! abcd." for a problem that is no system error */
static void oops_text(struct show *s, const char *a, const char *b, const char *c, const char *d)
{
  puts_(s, "Oops! ");
  puts_(s, a);
  puts_(s, b);
  puts_(s, c);
  puts_(s, d);
  puts_(s, ".\n");
  s->trouble = 1;
}

/* ---------- one paragraph per kind of control file ---------- */

static void show_int(struct show *s, const struct ctl *c)
{
  unsigned long u;
  int r;
  head(s, c->name);
  errno = 0;
  r = control_readulong(c->name, &u, 0);
  if (r < 0 && errno == EINVAL) { oops_text(s, "This file does not start with a number", "", "", ""); return; }
  if (r < 0) { oops(s, "Trouble reading this file"); return; }
  if (r == 0) { puts_(s, "(Default.) "); puts_(s, c->pre); puts_(s, c->def); }
  else { puts_(s, c->pre); put_u(s, u); }
  puts_(s, c->post);
  puts_(s, ".\n");
}

/* a one-line file; c->def 0 means the default is control/me */
static void show_str(struct show *s, const struct ctl *c)
{
  int r;
  head(s, c->name);
  r = control_readline(c->name, &s->v, c->def ? c->def : s->me.s);
  if (r < 0) { oops(s, "Trouble reading this file"); return; }
  if (r == 0) puts_(s, "(Default.) ");
  puts_(s, c->pre);
  put_safe(s, s->v.s, s->v.len);
  puts_(s, c->post);
  puts_(s, ".\n");
}

/* a host name whose default is control/me, or the file's own name
 * without control/me (qmail-inject's rule) */
static void show_host(struct show *s, const struct ctl *c)
{
  struct ctl named = *c;
  named.def = s->have_me ? s->me.s : c->name;
  show_str(s, &named);
}

/* a file whose presence is the setting; its content does not matter */
static void show_flag(struct show *s, const struct ctl *c)
{
  head(s, c->name);
  if (access(c->name, F_OK) == 0) { puts_(s, c->pre); puts_(s, "\n"); return; }
  if (errno != ENOENT) { oops(s, "Trouble reading this file"); return; }
  puts_(s, "(Default.) ");
  puts_(s, c->def);
  puts_(s, "\n");
}

/* a list, one line each: 1 present, 0 missing, -1 unreadable */
static int list(struct show *s, const struct ctl *c, const char *def, const char *pre, const char *post)
{
  size_t pos = 0;
  const char *line;
  int r;
  head(s, c->name);
  r = control_readlines(c->name, &s->v);
  if (r < 0) { oops(s, "Trouble reading this file"); return -1; }
  if (r == 0) { puts_(s, "(Default.) "); puts_(s, def); puts_(s, "\n"); return 0; }
  puts_(s, "\n");
  while ((line = control_next(&s->v, &pos))) {
    puts_(s, pre);
    put_safe(s, line, strlen(line));
    puts_(s, post);
    puts_(s, "\n");
  }
  return 1;
}

static void show_list(struct show *s, const struct ctl *c) { list(s, c, c->def, c->pre, c->post); }

/* morercpthosts only counts beside rcpthosts */
static void show_more(struct show *s, const struct ctl *c)
{
  struct stat st;
  if (stat("rcpthosts", &st) == 0) list(s, c, c->def, c->pre, c->post);
  else list(s, c, "No rcpthosts; morercpthosts is irrelevant.",
            "No rcpthosts; doesn't matter that morercpthosts has ", ".");
}

/* a cdb compiled from the text file c->def: is it there and newer? */
static void show_cdb(struct show *s, const struct ctl *c)
{
  struct stat src, cdb;
  int have_src = stat(c->def, &src) == 0, have_cdb = stat(c->name, &cdb) == 0;
  head(s, c->name);
  if (!have_src && !have_cdb) puts_(s, "(Default.) No effect.\n");
  else if (!have_src) oops_text(s, c->name, " exists but ", c->def, " doesn't");
  else if (!have_cdb) oops_text(s, c->def, " exists but ", c->name, " doesn't");
  else if (src.st_mtime > cdb.st_mtime) oops_text(s, c->name, " is older than ", c->def, "");
  else puts_(s, c->pre);
}

/* certificate and private key: say whether there is one, never print it */
static void show_cert(struct show *s, const struct ctl *c)
{
  struct stat st;
  int fd;
  head(s, c->name);
  fd = open(c->name, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) { puts_(s, "(Default.) "); puts_(s, c->def); puts_(s, "\n"); return; }
  if (fd < 0 || fstat(fd, &st) < 0) { oops(s, "Trouble reading this file"); if (fd >= 0) close(fd); return; }
  close(fd);
  puts_(s, c->pre);
  puts_(s, "\n");
  if (st.st_mode & S_IROTH) oops_text(s, "It holds the private key and everybody may read it: chmod o-r", "", "", "");
}

/* logto: where the log services send the lines (quail-log(8)); a value
 * quail-log does not know is svlogd there, and a mistake here */
static void show_logto(struct show *s, const struct ctl *c)
{
  static const char *const says[][2] = {
    { "svlogd", "Services log to svlogd, in log/SERVICE/" },
    { "syslog", "Services log to syslog (splogger, facility mail), not to log/" },
    { "both", "Services log to svlogd in log/SERVICE/ and to syslog (splogger, facility mail)" },
  };
  size_t i;
  int r;
  head(s, c->name);
  r = control_readline(c->name, &s->v, c->def);
  if (r < 0) { oops(s, "Trouble reading this file"); return; }
  if (str_0(&s->v) < 0) diag_nomem();
  for (i = 0; i < sizeof says / sizeof says[0]; i++)
    if (!strcmp(s->v.s, says[i][0])) break;
  if (i == sizeof says / sizeof says[0]) {
    puts_(s, "Oops! It says \"");
    put_safe(s, s->v.s, s->v.len);
    puts_(s, "\", not svlogd, syslog or both: services log to svlogd, in log/SERVICE/, with a warning.\n");
    s->trouble = 1;
    return;
  }
  if (r == 0) puts_(s, "(Default.) ");
  puts_(s, says[i][1]);
  puts_(s, c->post);
  puts_(s, ".\n");
}

/* ---------- the known files, in name order ---------- */

static const struct ctl known[] = {
  { "authplaintext", show_flag, "AUTH is offered only under TLS.",
    "AUTH PLAIN and LOGIN are offered without TLS too.", 0 },
  { "badmailfrom", show_list, "Any MAIL FROM is allowed.", "", " not accepted in MAIL FROM." },
  { "badmailfrom.cdb", show_flag, "No effect.", "More MAIL FROM addresses not accepted, in this cdb.", 0 },
  { "badrcptto", show_list, "Any RCPT TO is allowed.", "", " not accepted in RCPT TO." },
  { "badrcptto.cdb", show_flag, "No effect.", "More RCPT TO addresses not accepted, in this cdb.", 0 },
  { "bouncefrom", show_str, "MAILER-DAEMON", "Bounce user name is ", "" },
  { "bouncehost", show_str, 0, "Bounce host name is ", "" },
  { "checkpassword", show_list, "AUTH checks passwords with bin/verifypw /bin/true.",
    "AUTH checkpassword command: ", "" },
  { "checkpasswordpop3", show_list, "POP3 checks passwords with bin/checkpassword.",
    "POP3 checkpassword program: ", "" },
  { "clientcert.pem", show_cert, "No client certificate: deliver-remote shows none.",
    "Client certificate and key present: deliver-remote shows them to a server that asks.", 0 },
  { "concurrencyincoming", show_int, "100", "SMTP, QMTP and QMQP server concurrency is ", "" },
  { "concurrencylocal", show_int, "10", "Local concurrency is ", "" },
  { "concurrencypop3", show_int, "100", "POP3 server concurrency is ", "" },
  { "concurrencyremote", show_int, "20", "Remote concurrency is ", "" },
  { "databytes", show_int, "52428800", "SMTP, QMTP and QMQP message limit is ", " bytes" },
  { "defaultdelivery", show_str, "./Maildir/", "Default delivery is ", "" },
  { "defaultdomain", show_host, 0, "Default domain name is ", "" },
  { "defaulthost", show_host, 0, "Default host name is ", "" },
  { "dkim", show_flag, "No DKIM keys: dkim-sign signs nothing.",
    "DKIM signing keys are in dkim/DOMAIN/mail.key (dkim-sign(8)).", 0 },
  { "dmarcreject", show_str, "0", "DMARC p=reject is enforced (1) or only marked (0): ", "" },
  { "doublebouncehost", show_str, 0, "2B recipient host: ", "" },
  { "doublebounceto", show_str, "postmaster", "2B recipient user: ", "" },
  { "envnoathost", show_str, 0, "Presumed domain name is ", "" },
  { "etrndomains", show_list, "ETRN pushes no domain's held mail.", "ETRN domain (held in a Maildir): ", "" },
  { "helohost", show_host, 0, "SMTP client HELO host name is ", "" },
  { "idhost", show_host, 0, "Message-ID host name is ", "" },
  { "linksdown", show_list, "No link is down.", "Link down (its routes are deferred): ", "" },
  { "listenip", show_list, "Servers listen on every address (127.0.0.1 in an instance).",
    "Servers listen on ", "." },
  { "localiphost", show_host, 0, "Local IP address becomes ", "" },
  { "locals", show_list, "Messages for me are delivered locally.", "Messages for ", " are delivered locally." },
  { "logto", show_logto, "svlogd", 0, "; read when a log service starts: quailctl restart, or sv restart service/*/log" },
  { "maxrcpt", show_int, "1000", "SMTP recipient limit per message is ", "" },
  { "me", show_str, ME_DEFAULT, "My name is ", "" },
  { "morercpthosts", show_more, "No effect.", "SMTP clients may send messages to recipients at ", "." },
  { "morercpthosts.cdb", show_cdb, "morercpthosts", "Modified recently enough; hopefully up to date.\n", 0 },
  { "notipme", show_list, "No local address is declared someone else's.", "Not one of our addresses: ", "" },
  { "percenthack", show_list, "The percent hack is not allowed.", "The percent hack is allowed for user%host@", "." },
  { "plusdomain", show_host, 0, "Plus domain name is ", "" },
  { "pop3faildelay", show_int, "2", "POP3 refused-login delay is ", " seconds" },
  { "pop3plaintext", show_flag, "POP3 plaintext passwords only under TLS (or AUTHPLAINTEXT from the rules).",
    "POP3 plaintext passwords are allowed without TLS.", 0 },
  { "qmqpservers", show_list, "No QMQP servers.", "QMQP server: ", "." },
  { "qmtproutes", show_list, "No artificial QMTP routes.", "QMTP route: ", "" },
  { "queuelifetime", show_int, "604800", "Message lifetime in the queue is ", " seconds" },
  { "rbls", show_list, "No DNS blocklists.", "DNS blocklist: ", "" },
  { "rcptcheck", show_str, "local recipients checked at RCPT when users/rcpt.cdb exists",
    "Local recipients checked at RCPT (1) or not (0): ", "" },
  { "rcpthosts", show_list, "No rcpthosts: SMTP clients may send messages to no recipient.",
    "SMTP clients may send messages to recipients at ", "." },
  { "remotereuse", show_int, "5", "An idle SMTP client connection waits for the next message ", " seconds" },
  { "rspamdfail", show_str, "defer", "When rspamd cannot answer, rspamd-filter says: ", "" },
  { "rspamdserver", show_str, "127.0.0.1:11333", "rspamd-filter asks rspamd at ", "" },
  { "servercert.pem", show_cert, "No certificate: STARTTLS is not offered.",
    "Certificate and key present: STARTTLS is offered.", 0 },
  { "smtpcredentials", show_flag, "No AUTH credentials for smarthosts.",
    "AUTH credentials for smarthosts are present (never shown).", 0 },
  { "smtpgreetdelay", show_int, "0", "SMTP greeting delay is ", " seconds" },
  { "smtpgreeting", show_str, 0, "SMTP greeting: 220 ", "" },
  { "smtpnormalize", show_flag, "Bare LF or CR in SMTP DATA, and bare CR on every way in, is refused.",
    "Bare LF or CR in SMTP DATA, and bare CR on every way in, is turned into a line end.", 0 },
  { "smtproutes", show_list, "No artificial SMTP routes.", "SMTP route: ", "" },
  { "spf", show_str, "off", "SPF at MAIL FROM: ", "" },
  { "srsdomain", show_str, "none: forwards keep their sender (no SRS)", "SRS domain: ", "" },
  { "srssecret", show_flag, "No SRS secret: no SRS.", "SRS secret present (never shown).", 0 },
  { "systempasswd", show_flag, "POP3 logins use users/passwd.cdb only.",
    "POP3 logins may use the system's users (passwd and shadow) too.", 0 },
  { "tcp.pop3", show_list, "No POP3 access rules: pop3d does not start.", "POP3 access rule: ", "" },
  { "tcp.pop3.cdb", show_cdb, "tcp.pop3", "Modified recently enough; hopefully up to date.\n", 0 },
  { "tcp.qmqp", show_list, "No QMQP access rules: qmqpd does not start.", "QMQP access rule: ", "" },
  { "tcp.qmqp.cdb", show_cdb, "tcp.qmqp", "Modified recently enough; hopefully up to date.\n", 0 },
  { "tcp.qmtp", show_list, "No QMTP access rules: qmtpd does not start.", "QMTP access rule: ", "" },
  { "tcp.qmtp.cdb", show_cdb, "tcp.qmtp", "Modified recently enough; hopefully up to date.\n", 0 },
  { "tcp.smtp", show_list, "No SMTP access rules: smtpd does not start.", "SMTP access rule: ", "" },
  { "tcp.smtp.cdb", show_cdb, "tcp.smtp", "Modified recently enough; hopefully up to date.\n", 0 },
  { "tcp.submission", show_list, "No submission access rules: submission and smtps do not start.", "Submission access rule: ", "" },
  { "tcp.submission.cdb", show_cdb, "tcp.submission", "Modified recently enough; hopefully up to date.\n", 0 },
  { "timeoutconnect", show_int, "60", "SMTP client connection timeout is ", " seconds" },
  { "timeoutlocal", show_int, "86400", "Local delivery program timeout is ", " seconds" },
  { "timeoutremote", show_int, "1200", "SMTP client data timeout is ", " seconds" },
  { "timeoutrspamd", show_int, "20", "rspamd answer timeout is ", " seconds" },
  { "timeoutsmtpd", show_int, "1200", "SMTP server data timeout is ", " seconds" },
  { "tlsdestinations", show_list, "No destination requires a verified certificate.",
    "Verified TLS required for: ", "" },
  { "virtualdomains", show_list, "No virtual domains.", "Virtual domain: ", "" },
};
#define NKNOWN (sizeof known / sizeof known[0])

static int is_known(const char *name)
{
  size_t i;
  for (i = 0; i < NKNOWN; i++)
    if (!strcmp(known[i].name, name)) return 1;
  return 0;
}

/* ---------- the rest ---------- */

static int by_name(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* every file in control/ that is not a known control file, sorted */
static void show_unknown(struct show *s, DIR *d)
{
  struct str names = STR_ZERO;
  const char *at[NAMES_MAX];
  struct dirent *de;
  size_t n = 0, i, pos = 0;
  for (;;) {
    errno = 0;
    if (!(de = readdir(d))) break;
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || is_known(de->d_name)) continue;
    if (n++ == NAMES_MAX) break;
    if (str_catb(&names, de->d_name, strlen(de->d_name) + 1) < 0) diag_nomem();
  }
  if (!de && errno) die_control();
  n = 0;
  while (n < NAMES_MAX && (at[n] = control_next(&names, &pos))) n++;
  qsort(at, n, sizeof at[0], by_name);
  for (i = 0; i < n; i++) {
    puts_(s, "\n");
    put_safe(s, at[i], strlen(at[i]));
    puts_(s, ": I have no idea what this file does.\n");
  }
  if (de) { puts_(s, "\n"); oops_text(s, "More than ", NAMES_MAX_TEXT, " unknown files; the rest are not shown", ""); }
  str_free(&names);
}

/* the exact ("=") and prefix ("+") entries of users/cdb; -1 with errno */
static int count_users(const char *path, unsigned long *exact, unsigned long *prefix)
{
  struct cdb c;
  unsigned pos;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (cdb_init(&c, fd) < 0) { int e = errno; close(fd); errno = e; return -1; }
  cdb_seqinit(&pos, &c);
  while (cdb_seqnext(&pos, &c) > 0) {
    char k;
    if (!cdb_keylen(&c) || cdb_read(&c, &k, 1, cdb_keypos(&c)) < 0) continue;
    if (k == '+') ++*prefix;
    else ++*exact;
  }
  cdb_free(&c);
  close(fd);
  return 0;
}

/* users/cdb: its entries, and whether it is newer than users/assign */
static void show_users(struct show *s)
{
  struct stat as, cs;
  int have_assign = stat("../users/assign", &as) == 0, have_cdb = stat("../users/cdb", &cs) == 0;
  unsigned long exact = 0, prefix = 0;
  head(s, "users/cdb");
  if (!have_cdb && have_assign) { oops_text(s, "users/assign exists but users/cdb doesn't: run newu", "", "", ""); return; }
  if (!have_cdb) {
    puts_(s, "(Default.) No users/cdb: local users are the system's accounts, else the user alias.\n");
    return;
  }
  if (count_users("../users/cdb", &exact, &prefix) < 0) { oops(s, "Trouble reading users/cdb"); return; }
  put_u(s, exact);
  puts_(s, " exact and ");
  put_u(s, prefix);
  puts_(s, " prefix entries. ");
  if (!have_assign) oops_text(s, "users/cdb exists but users/assign doesn't", "", "", "");
  else if (as.st_mtime > cs.st_mtime) oops_text(s, "users/cdb is older than users/assign: run newu", "", "", "");
  else puts_(s, "Modified recently enough; hopefully up to date.\n");
}

int main(int argc, char **argv)
{
  static struct show s;
  const char *home, *qq = getenv("QMAILQUEUE");
  size_t i;
  DIR *d;

  diag_init("showctl");
  if (argc > 1) diag_usage("");
  buf_init(&s.out, 1, s.space, sizeof s.space);
  home = home_dir(getenv("QUAIL_HOME"));
  puts_(&s, "quail home directory: ");
  puts_(&s, home);
  puts_(&s, ".\nqueue program: ");
  if (qq && *qq) put_safe(&s, qq, strlen(qq));
  else { puts_(&s, home); puts_(&s, "/bin/queue-writer"); }
  puts_(&s, ".\n");
  if (chdir(home) < 0) die_home(home);
  if (chdir("control") < 0 || !(d = opendir("."))) die_control();
  if ((s.have_me = control_readline("me", &s.me, ME_DEFAULT)) < 0) die_me();

  for (i = 0; i < NKNOWN; i++) known[i].fn(&s, &known[i]);
  show_unknown(&s, d);
  closedir(d);
  show_users(&s);
  if (buf_flush(&s.out) < 0) die_output();
  return s.trouble ? EXIT_TEMP : EXIT_OK;
}
