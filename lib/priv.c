/* priv.c: giving up root (see priv.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
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

int priv_lookup(const char *name, uid_t *uid, gid_t *gid)
{
  FILE *f = fopen("/etc/passwd", "re");
  struct passwd *pw;
  int found = 0;
  if (!f) return -1;
  while (!found && (pw = fgetpwent(f)))
    if (!strcmp(pw->pw_name, name)) { *uid = pw->pw_uid; *gid = pw->pw_gid; found = 1; }
  fclose(f);
  return found;
}

union one_fd { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; };

int priv_sendfd(int sock, const void *buf, size_t n, int fd)
{
  struct iovec iov = { (void *)buf, n };
  struct msghdr mh;
  union one_fd cm;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov; mh.msg_iovlen = 1;
  if (fd >= 0) {
    struct cmsghdr *c;
    memset(&cm, 0, sizeof cm);
    mh.msg_control = cm.b; mh.msg_controllen = sizeof cm.b;
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
    if (errno != EINTR) return -1;
  return 0;
}

long priv_recvfd(int sock, void *buf, size_t max, int *fd)
{
  struct iovec iov = { buf, max };
  struct msghdr mh;
  union one_fd cm;
  struct cmsghdr *c;
  ssize_t r;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov; mh.msg_iovlen = 1;
  mh.msg_control = cm.b; mh.msg_controllen = sizeof cm.b;
  *fd = -1;
  while ((r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0)
    if (errno != EINTR) return -1;
  for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
      memcpy(fd, CMSG_DATA(c), sizeof *fd);
  if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
    errno = EMSGSIZE;
    return -1;
  }
  return (long)r;
}
