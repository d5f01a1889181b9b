/* queue-stat: how many messages are in the queue (qmail-qstat).
 *
 * Prints
 *   messages in queue: N
 *   messages in queue but not yet preprocessed: M
 * where N counts the message files HOME/queue/mess/ID and M the messages
 * queue-writer is still writing in HOME/queue/tmp/ (its work files,
 * not counting their .env halves), then, only when some message is held
 * by queue-admin,
 *   messages held: H
 * counting the envelopes in HOME/queue/hold/ (held messages are counted
 * in N too). Reads directories only.
 * Exit codes: 0 printed; 100 usage; 111 a queue directory cannot be
 * read, or output error. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buf.h"
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "str.h"

#define ID_DIGITS 20            /* a queue id is an inode number */

static void __attribute__((noreturn)) die_home(const char *home)
{
  diag_diesys(EXIT_TEMP, "unable to enter the quail home directory ", home, (char *)0);
}
static void __attribute__((noreturn)) die_read(const char *dir)
{
  diag_diesys(EXIT_TEMP, "unable to read ", dir, (char *)0);
}
static void __attribute__((noreturn)) die_output(void)
{
  diag_diesys(EXIT_TEMP, "unable to write to standard output", (char *)0);
}

/* mess/ID: all digits */
static int is_message(const char *name)
{
  unsigned long id;
  int n = scan_ulong(name, &id);
  return n > 0 && n <= ID_DIGITS && !name[n];
}

/* hold/ID.env */
static int is_held(const char *name)
{
  unsigned long id;
  int n = scan_ulong(name, &id);
  return n > 0 && n <= ID_DIGITS && !strcmp(name + n, ".env");
}

/* tmp/PID.TIME.N: anything but "." entries and the .env halves */
static int is_work(const char *name)
{
  size_t n = strlen(name);
  if (name[0] == '.') return 0;
  return !(n >= 4 && !strcmp(name + n - 4, ".env"));
}

static unsigned long count(const char *dir, int (*wanted)(const char *))
{
  unsigned long n = 0;
  struct dirent *de;
  DIR *d = opendir(dir);
  if (!d && errno == ENOENT && wanted == is_held) return 0;   /* a queue from before hold/ */
  if (!d) die_read(dir);
  for (;;) {
    errno = 0;
    if (!(de = readdir(d))) break;
    if (wanted(de->d_name)) n++;
  }
  if (errno) die_read(dir);
  closedir(d);
  return n;
}

int main(int argc, char **argv)
{
  char space[256];
  struct buf out;
  const char *home;
  unsigned long mess, work, held;

  diag_init("queue-stat");
  if (argc > 1) diag_usage("");
  home = home_dir(getenv("QUAIL_HOME"));
  if (chdir(home) < 0) die_home(home);
  mess = count("queue/mess", is_message);
  work = count("queue/tmp", is_work);
  held = count("queue/hold", is_held);
  buf_init(&out, 1, space, sizeof space);
  if (buf_puts(&out, "messages in queue: ") < 0 || buf_putu(&out, mess) < 0 ||
      buf_puts(&out, "\nmessages in queue but not yet preprocessed: ") < 0 ||
      buf_putu(&out, work) < 0 || buf_puts(&out, "\n") < 0)
    die_output();
  if (held && (buf_puts(&out, "messages held: ") < 0 || buf_putu(&out, held) < 0 || buf_puts(&out, "\n") < 0))
    die_output();
  if (buf_flush(&out) < 0) die_output();
  return EXIT_OK;
}
