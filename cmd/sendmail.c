/* sendmail: the sendmail command line in front of quail's submission.
 *
 * sendmail [ flags ] [ recipient ... ] reads a message on stdin and
 * queues it exactly as inject does (lib/submit.c, no further exec): to
 * the recipients named, and with -t to the header's recipients as well
 * (Postfix's semantics). A line "." ends the input unless -i or -oi.
 * -bp (or the name mailq) runs HOME/bin/queue-reader; -q writes "flush"
 * to HOME/queue/lock/trigger so queue-manager retries everything now.
 * Other sendmail flags are accepted and ignored: sendmail(8).
 *
 * Exit codes: 0 queued; 100 bad usage, an unsupported mode, a malformed
 * message, no recipients, or a permanent refusal by the queue program;
 * 111 a temporary failure (the queue program's, a read error). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "submit.h"

#define USAGE "[ -t ] [ -i ] [ -f sender ] [ -F name ] [ -bm | -bp | -q ] [ recipient ... ]"
#define PATH_SIZE 4096
#define VALUED    "frFboBCNRVXLOhpeA"    /* option letters that take a value */
#define OPTSTRING "+q::f:r:F:b:o:B:C:N:R:V:X:L:O:h:p:e:A:tiIvmGUnxc"
#define TRIGGER_TRIES 100       /* 10 ms apart, when the FIFO is full */

enum { MODE_SEND, MODE_LIST, MODE_FLUSH };

struct opts {
  int mode;               /* MODE_* */
  int header;             /* -t */
  int dotstop;            /* cleared by -i and -oi */
  const char *sender;     /* -f, -r */
  const char *name;       /* -F */
};

static void __attribute__((noreturn)) die_usage(void) { diag_usage(USAGE); }

static void __attribute__((noreturn)) die_unsupported(const char *flag, const char *what)
{
  diag_die(EXIT_PERM, flag, " (", what, ") is not supported", (char *)0);
}

static void __attribute__((noreturn)) die_norcpt(void)
{
  diag_die(EXIT_PERM, "no recipients: name them as arguments, or use -t", (char *)0);
}

static void __attribute__((noreturn)) die_path(const char *rel)
{
  diag_die(EXIT_TEMP, "unable to name HOME/", rel, ": path too long", (char *)0);
}

static void __attribute__((noreturn)) die_exec(const char *path) { diag_diesys(EXIT_TEMP, "unable to run ", path, (char *)0); }
static void __attribute__((noreturn)) die_trigger(const char *path) { diag_diesys(EXIT_TEMP, "unable to write to ", path, (char *)0); }

static void __attribute__((noreturn)) die_submit(const struct submit *s)
{
  struct str m = STR_ZERO;
  int t = submit_error(s, &m);
  if (t < 0) diag_nomem();
  diag_die(t ? EXIT_TEMP : EXIT_PERM, m.s, (char *)0);
}

static void mode(struct opts *o, const char *m)
{
  if (!strcmp(m, "m")) o->mode = MODE_SEND;
  else if (!strcmp(m, "p")) o->mode = MODE_LIST;
  else if (!strcmp(m, "s")) die_unsupported("-bs", "SMTP on stdin: run smtpd under tcpserver");
  else if (!strcmp(m, "i")) die_unsupported("-bi", "newaliases: aliases are .qmail files in alias/");
  else if (m[0] && strchr("dDvtThHPa", m[0]) && !m[1]) die_unsupported("this -b mode", "quail has none");
  else die_usage();
}

/* a letter that takes a value: -f -r -F -b -o mean something, the rest
 * (-B -C -N -R -V -X -L -O -h -p -e -A) are accepted and ignored */
static void valued(struct opts *o, char c, const char *v)
{
  switch (c) {
  case 'f': case 'r': o->sender = v; break;
  case 'F': o->name = v; break;
  case 'b': mode(o, v); break;
  case 'o': if (!strcmp(v, "i")) o->dotstop = 0; break;
  }
}

/* a letter alone: -t -i mean something, -v -m -G -U -n -x -c are ignored */
static int flag(struct opts *o, char c)
{
  if (c == 't') o->header = 1;
  else if (c == 'i') o->dotstop = 0;
  else if (c == 'I') die_unsupported("-I", "newaliases: aliases are .qmail files in alias/");
  else return strchr("vmGUnxc", c) != 0;
  return 1;
}

/* options by getopt(3), clustered or not; options end at "--" or the
 * first recipient; returns the recipients' index */
static int options(int argc, char **argv, struct opts *o)
{
  int c;
  opterr = 0;
  while ((c = getopt(argc, argv, OPTSTRING)) != -1) {
    if (c == 'q') o->mode = MODE_FLUSH;   /* -q, -qR..., -q1h alike */
    else if (c != '?' && strchr(VALUED, c)) valued(o, (char)c, optarg);
    else if (!flag(o, (char)c)) die_usage();
  }
  return optind;
}

/* -bp and mailq: queue-reader, with argv as its arguments after argv[0] */
static void __attribute__((noreturn)) list_queue(const char *home, char **argv)
{
  char path[PATH_SIZE];
  if (home_path(home, "bin/queue-reader", path, sizeof path) < 0) die_path("bin/queue-reader");
  argv[0] = path;
  execv(path, argv);
  die_exec(path);
}

/* -q: ask queue-manager to retry now; nobody listening is fine, it
 * scans the queue when it starts */
static void flush(const char *home)
{
  char path[PATH_SIZE];
  int fd, tries;
  if (home_path(home, "queue/lock/trigger", path, sizeof path) < 0) die_path("queue/lock/trigger");
  fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 && errno == ENXIO) return;
  if (fd < 0) die_trigger(path);
  for (tries = 0; write(fd, "flush\n", 6) != 6; tries++) {
    if (errno != EAGAIN || tries >= TRIGGER_TRIES) die_trigger(path);
    usleep(10000);
  }
  close(fd);
}

static const char *invoked_as(const char *argv0)
{
  const char *slash = strrchr(argv0, '/');
  return slash ? slash + 1 : argv0;
}

static const char *queue_prog(const char *home, char *path, size_t size)
{
  const char *q = home_queue(home, getenv("QMAILQUEUE"), path, size);
  if (!q) die_path("bin/queue-writer");
  return q;
}

static void submit(const char *home, const struct opts *o, int argc, char **argv)
{
  struct submit s;
  char qpath[PATH_SIZE];
  int k;
  submit_zero(&s);
  for (k = 0; k < SUBMIT_ENVS; k++) s.env[k] = getenv(submit_envnames[k]);
  s.home = home;
  s.sender = o->sender;
  s.fromaddr = o->sender;         /* Postfix: a missing From shows -f */
  s.fullname = o->name;
  s.header_rcpts = o->header;
  s.dotstop = o->dotstop;
  if (submit_init(&s) < 0) die_submit(&s);
  for (k = 0; k < argc; k++)
    if (submit_rcpt(&s, argv[k]) < 0) die_submit(&s);
  if (submit_message(&s, 0, queue_prog(home, qpath, sizeof qpath), 1) < 0) die_submit(&s);
  submit_free(&s);
}

int main(int argc, char **argv)
{
  struct opts o = { MODE_SEND, 0, 1, 0, 0 };
  const char *home = home_dir(getenv("QUAIL_HOME"));
  const char *me = argc ? invoked_as(argv[0]) : "";
  char *none[2] = { 0, 0 };
  int i;

  diag_init("sendmail");
  signal(SIGPIPE, SIG_IGN);
  if (!strcmp(me, "mailq")) list_queue(home, argv);
  if (!strcmp(me, "newaliases")) die_unsupported("newaliases", "aliases are .qmail files in alias/");
  i = options(argc, argv, &o);
  if (o.mode == MODE_LIST) list_queue(home, none);
  if (o.mode == MODE_FLUSH) { flush(home); return EXIT_OK; }
  if (i == argc && !o.header) die_norcpt();
  submit(home, &o, argc - i, argv + i);
  return EXIT_OK;
}
