/* home.c: the instance's home directory. */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "home.h"

const char *home_dir(const char *env)
{
  if (env && *env && getuid() == geteuid() && getgid() == getegid()) return env;
  return QUAIL_PREFIX;
}

int home_path(const char *home, const char *rel, char *out, unsigned size)
{
  int n = snprintf(out, size, "%s/%s", home, rel);
  if (n < 0 || (unsigned)n >= size) { errno = ENAMETOOLONG; return -1; }
  return 0;
}

const char *home_queue(const char *home, const char *qmailqueue, char *out, unsigned size)
{
  if (qmailqueue && *qmailqueue) return qmailqueue;
  return home_path(home, "bin/queue-writer", out, size) < 0 ? 0 : out;
}

int home_instance(const char *home)
{
  char bin[4096];
  struct stat st;
  if (home_path(home, "bin", bin, sizeof bin) < 0 || lstat(bin, &st) < 0) return 0;
  return S_ISLNK(st.st_mode);
}
