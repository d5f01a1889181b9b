/* priv.c: giving up root (see priv.h). */
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "priv.h"

int priv_become(uid_t uid, gid_t gid)
{
  if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) return -1;
  return 0;
}

int priv_become_owner(const char *path)
{
  struct stat st;
  if (getuid() != 0) return 0;
  if (stat(path, &st) < 0) return -1;
  if (st.st_uid == 0) return 0;
  return priv_become(st.st_uid, st.st_gid) < 0 ? -1 : 1;
}

int priv_hide_args(int argc, char **argv)
{
  char **copy;
  int i;
  if (argc < 2) return 0;
  if (!(copy = malloc((size_t)argc * sizeof *copy))) return -1;
  for (i = 1; i < argc; i++)
    if (!(copy[i] = strdup(argv[i]))) {
      while (--i >= 1) free(copy[i]);
      free(copy);
      return -1;
    }
  for (i = 1; i < argc; i++) {
    memset(argv[i], 0, strlen(argv[i]));
    argv[i] = copy[i];
  }
  free(copy);
  return 0;
}
