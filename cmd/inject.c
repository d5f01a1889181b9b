/* inject: preprocess a mail message and queue it (qmail-inject).
 *
 * Reads the message on stdin; completes its header (Date, Message-ID,
 * From; addresses masqueraded; Bcc, Resent-Bcc, Return-Path and
 * Content-Length removed: inject(8)) and hands it with its envelope to
 * $QMAILQUEUE, else HOME/bin/queue-writer; with -n prints it on stdout
 * instead, after a Return-Path line. Reads HOME/control/me, defaulthost,
 * defaultdomain, plusdomain and idhost.
 *
 * Exit codes: 0 queued or printed; 100 bad usage, a malformed message,
 * no recipients, or a permanent refusal by the queue program; 111 a
 * temporary failure. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "submit.h"

#define USAGE "[ -nNaAhH ] [ -f sender ] [ recipient ... ]"
#define PATH_SIZE 4096

enum { RCPT_DEFAULT, RCPT_ARGS, RCPT_HEADER, RCPT_BOTH };

struct opts {
  int rcpt;               /* RCPT_*: where recipients come from */
  int print;              /* -n */
  const char *sender;     /* -f */
};

static void __attribute__((noreturn)) die_usage(void) { diag_usage(USAGE); }

static void __attribute__((noreturn)) die_path(void)
{
  diag_die(EXIT_TEMP, "unable to name HOME/bin/queue-writer: path too long", (char *)0);
}

static void __attribute__((noreturn)) die_submit(const struct submit *s)
{
  struct str m = STR_ZERO;
  int t = submit_error(s, &m);
  if (t < 0) diag_nomem();
  diag_die(t ? EXIT_TEMP : EXIT_PERM, m.s, (char *)0);
}

static int letter(struct opts *o, char c)
{
  switch (c) {
  case 'a': o->rcpt = RCPT_ARGS; break;
  case 'A': o->rcpt = RCPT_DEFAULT; break;
  case 'h': o->rcpt = RCPT_HEADER; break;
  case 'H': o->rcpt = RCPT_BOTH; break;
  case 'n': o->print = 1; break;
  case 'N': o->print = 0; break;
  default: return 0;
  }
  return 1;
}

/* options by getopt(3) ("-nf sender" or "-fsender"); options end at
 * "--" or the first recipient; returns the recipients' index */
static int options(int argc, char **argv, struct opts *o)
{
  int c;
  opterr = 0;
  while ((c = getopt(argc, argv, "+nNaAhHf:")) != -1) {
    if (c == 'f') o->sender = optarg;
    else if (!letter(o, (char)c)) die_usage();
  }
  return optind;
}

static const char *queue_prog(const char *home, char *path, size_t size)
{
  const char *q = home_queue(home, getenv("QMAILQUEUE"), path, size);
  if (!q) die_path();
  return q;
}

int main(int argc, char **argv)
{
  struct submit s;
  struct opts o = { RCPT_DEFAULT, 0, 0 };
  char qpath[PATH_SIZE];
  int i, k;

  diag_init("inject");
  signal(SIGPIPE, SIG_IGN);
  i = options(argc, argv, &o);
  if (o.rcpt == RCPT_DEFAULT) o.rcpt = i < argc ? RCPT_ARGS : RCPT_HEADER;

  submit_zero(&s);
  for (k = 0; k < SUBMIT_ENVS; k++) s.env[k] = getenv(submit_envnames[k]);
  s.home = home_dir(getenv("QUAIL_HOME"));
  s.sender = o.sender;
  s.header_rcpts = o.rcpt == RCPT_HEADER || o.rcpt == RCPT_BOTH;
  if (submit_init(&s) < 0) die_submit(&s);
  if (o.rcpt != RCPT_HEADER)
    for (; i < argc; i++)
      if (submit_rcpt(&s, argv[i]) < 0) die_submit(&s);

  if (submit_message(&s, 0, o.print ? 0 : queue_prog(s.home, qpath, sizeof qpath), 1) < 0)
    die_submit(&s);
  submit_free(&s);
  return EXIT_OK;
}
