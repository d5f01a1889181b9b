/* usock.c: Unix stream sockets and SO_PEERCRED. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include "usock.h"

#define USOCK_BACKLOG 16

static int address(struct sockaddr_un *sa, const char *path)
{
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa->sun_path) { errno = ENAMETOOLONG; return -1; }
  strcpy(sa->sun_path, path);
  return 0;
}

static int fail_close(int fd)
{
  int e = errno;
  close(fd);
  errno = e;
  return -1;
}

int usock_listen(const char *path, int mode)
{
  struct sockaddr_un sa;
  int fd;
  if (address(&sa, path) < 0) return -1;
  if (unlink(path) < 0 && errno != ENOENT) return -1;
  if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0) return -1;
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, (mode_t)mode) < 0 ||
      listen(fd, USOCK_BACKLOG) < 0)
    return fail_close(fd);
  return fd;
}

int usock_connect(const char *path)
{
  struct sockaddr_un sa;
  int fd;
  if (address(&sa, path) < 0) return -1;
  if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) return -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return fail_close(fd);
  return fd;
}

int usock_peer_uid(int fd, uid_t *uid)
{
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return -1;
  if (len != sizeof cred) { errno = EINVAL; return -1; }
  *uid = cred.uid;
  return 0;
}

int usock_timeout(int fd, unsigned secs)
{
  struct timeval tv;
  tv.tv_sec = (time_t)secs;
  tv.tv_usec = 0;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0) return -1;
  return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}
