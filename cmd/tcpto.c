/* tcpto: print remote delivery's memory of hosts that timed out
 * (HOME/queue/lock/tcpto, lib/tcpto.h), qmail-tcpto's job; installed as
 * qmail-tcpto too. One line per address:
 *   192.0.2.1 timed out 35 seconds ago; # recent timeouts: 2; assumed dead for 85 more seconds
 * Run it as root or as quailr (the file's owner).
 * Exit codes: 0 printed (nothing when nothing is remembered); 100 usage;
 * 111 the file could not be read. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "diag.h"
#include "exitcode.h"
#include "home.h"
#include "tcpto.h"

#define PATH_SIZE 4096
#define TCPTO_FILE "queue/lock/tcpto"

static void __attribute__((noreturn)) die_read(const char *p) { diag_diesys(EXIT_TEMP, "unable to read ", p, (char *)0); }

static void show(const struct tcpto_entry *e, time_t now)
{
  char ip[INET6_ADDRSTRLEN];
  if (!inet_ntop(e->family, e->addr, ip, sizeof ip)) return;
  printf("%s timed out %ld seconds ago; # recent timeouts: %u", ip, (long)(now - e->last), e->fails);
  if (e->until) printf("; assumed dead for %ld more seconds", (long)(e->until - now));
  printf("\n");
}

int main(int argc, char **argv)
{
  static struct tcpto_entry all[TCPTO_SLOTS];
  char path[PATH_SIZE];
  time_t now = time(0);
  int n, i;

  diag_init("tcpto");
  if (argc > 1) diag_usage("");
  if (home_path(home_dir(getenv("QUAIL_HOME")), TCPTO_FILE, path, sizeof path) < 0) die_read(TCPTO_FILE);
  n = tcpto_list(path, all, now);
  if (n < 0) die_read(path);
  for (i = 0; i < n; i++) show(all + i, now);
  if (fflush(stdout) != 0) diag_diesys(EXIT_TEMP, "unable to write", (char *)0);
  (void)argv;
  return EXIT_OK;
}
