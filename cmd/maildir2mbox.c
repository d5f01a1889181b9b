/* maildir2mbox: move the messages of a Maildir to the end of an mbox.
 *
 * Reads the environment: MAILDIR (the Maildir) and MAIL (the mbox file).
 * Locks MAIL (flock and fcntl), appends every message of MAILDIR's new/
 * and cur/, oldest first, each after a "From " line made from its
 * Return-Path line and its delivery time, with >From quoting and a blank
 * line after it, fsyncs MAIL, and only then removes the messages from
 * the Maildir. On any failure MAIL is truncated back to its old size and
 * nothing is removed. MAILTMP, which qmail's maildir2mbox needed for a
 * copy of the whole mbox, is not used: the append is taken back instead.
 * Exit codes: 0 done (also when there was nothing to move); 100 usage;
 * 111 failure (MAIL as it was, the Maildir untouched). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "maildir.h"
#include "mbox.h"
#include "str.h"

#define RETURN_PATH_MAX 2048    /* bytes of a first line looked at for the sender */
#define NO_SENDER "unknown"     /* the From line's sender without a Return-Path */

struct job {
  const char *maildir, *mail;
  struct maildir_list list;
  struct mbox mbox;
  struct buf out;
  char space[BUF_SIZE * 8];
};

static void __attribute__((noreturn)) die_unset(const char *var)
{
  diag_die(EXIT_TEMP, var, " is not set", (char *)0);
}
static void __attribute__((noreturn)) die_nomem(void) { diag_nomem(); }
static void __attribute__((noreturn)) die_scan(const char *dir)
{
  diag_diesys(EXIT_TEMP, "unable to scan the Maildir ", dir, (char *)0);
}
static void __attribute__((noreturn)) die_lock(const char *mail)
{
  if (errno == ETIMEDOUT)
    diag_die(EXIT_TEMP, "unable to lock ", mail, ": it stayed locked too long", (char *)0);
  diag_diesys(EXIT_TEMP, "unable to open and lock ", mail, (char *)0);
}
/* the failures after the append began take it back first */
static void __attribute__((noreturn)) die_read(struct job *j, const char *path)
{
  mbox_abort(&j->mbox);
  diag_diesys(EXIT_TEMP, "unable to read ", path, (char *)0);
}
static void __attribute__((noreturn)) die_write(struct job *j)
{
  mbox_abort(&j->mbox);
  diag_diesys(EXIT_TEMP, "unable to write ", j->mail, (char *)0);
}

/* the sender of a message delivered with "Return-Path: <sender>" first,
 * NO_SENDER without one; the null sender is "" */
static int first_sender(int fd, struct str *out)
{
  char b[RETURN_PATH_MAX];
  ssize_t n = pread(fd, b, sizeof b, 0);
  const char *end;
  if (n < 0) return -1;
  if (n < 14 || memcmp(b, "Return-Path: <", 14) || !(end = memchr(b, '\n', (size_t)n)))
    return str_copys(out, NO_SENDER);
  while (end > b + 14 && end[-1] != '>') end--;
  if (end == b + 14) return str_copys(out, NO_SENDER);
  return str_copyb(out, b + 14, (size_t)(end - 1 - (b + 14)));
}

/* one message: its From line, then the message quoted */
static void append(struct job *j, const char *path, time_t when)
{
  char space[BUF_SIZE];
  struct str sender = STR_ZERO, from = STR_ZERO;
  struct buf in;
  int r, fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) die_read(j, path);
  if (first_sender(fd, &sender) < 0) die_read(j, path);
  if (mbox_fromline(&from, sender.s, when) < 0) { mbox_abort(&j->mbox); die_nomem(); }
  if (buf_putstr(&j->out, &from) < 0) die_write(j);
  buf_init(&in, fd, space, sizeof space);
  r = mbox_copy(&in, &j->out);
  if (r == -1) die_read(j, path);
  if (r == -2) die_write(j);
  close(fd);
  str_free(&sender);
  str_free(&from);
}

/* the mbox holds them all: a message that cannot be removed comes again */
static void remove_all(const struct job *j)
{
  size_t i;
  for (i = 0; i < j->list.n; i++)
    if (unlink(maildir_path(&j->list, i)) < 0 && errno != ENOENT)
      diag_warnsys(maildir_path(&j->list, i), " will be moved twice: unable to remove it", (char *)0);
}

int main(int argc, char **argv)
{
  static struct job j;
  size_t i;

  diag_init("maildir2mbox");
  umask(077);
  if (argc > 1) diag_usage("");
  if (!(j.maildir = getenv("MAILDIR")) || !*j.maildir) die_unset("MAILDIR");
  if (!(j.mail = getenv("MAIL")) || !*j.mail) die_unset("MAIL");
  j.list = (struct maildir_list)MAILDIR_LIST_ZERO;
  if (maildir_list(j.maildir, &j.list) < 0) die_scan(j.maildir);
  if (!j.list.n) return EXIT_OK;

  if (mbox_open(&j.mbox, j.mail, MBOX_LOCK_WAIT) < 0) die_lock(j.mail);
  buf_init(&j.out, j.mbox.fd, j.space, sizeof j.space);
  for (i = 0; i < j.list.n; i++) append(&j, maildir_path(&j.list, i), j.list.m[i].mtime);
  if (buf_flush(&j.out) < 0) die_write(&j);
  if (mbox_commit(&j.mbox) < 0) diag_diesys(EXIT_TEMP, "unable to write ", j.mail, (char *)0);

  remove_all(&j);
  maildir_list_free(&j.list);
  return EXIT_OK;
}
