/* qspawn.c: queue-manager's requests to queue-spawn (see qspawn.h). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "qspawn.h"

union cmsg_space { struct cmsghdr h; char b[CMSG_SPACE(2 * sizeof(int))]; };

int qspawn_send(int sock, uint32_t token, char *const *args, size_t n, const int *fds)
{
  struct iovec iov[QSPAWN_ARGS_MAX + 1];
  struct msghdr mh;
  union cmsg_space cm;
  size_t i, total = 4;
  if (n > QSPAWN_ARGS_MAX) { errno = EMSGSIZE; return -1; }
  iov[0].iov_base = &token; iov[0].iov_len = 4;
  for (i = 0; i < n; i++) {
    iov[i + 1].iov_base = args[i];
    iov[i + 1].iov_len = strlen(args[i]) + 1;
    total += iov[i + 1].iov_len;
  }
  if (total > QSPAWN_REQ_MAX) { errno = EMSGSIZE; return -1; }
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = iov;
  mh.msg_iovlen = n + 1;
  if (fds) {
    struct cmsghdr *c;
    memset(&cm, 0, sizeof cm);
    mh.msg_control = cm.b;
    mh.msg_controllen = sizeof cm.b;
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    memcpy(CMSG_DATA(c), fds, 2 * sizeof(int));
  }
  while (sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
    if (errno != EINTR) return -1;
  return 0;
}

/* the two descriptors of a request, or -1 each */
static int take_fds(struct msghdr *mh, int *fds)
{
  struct cmsghdr *c;
  int got = 0;
  fds[0] = fds[1] = -1;
  for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
    size_t n;
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    if (n == 2 && !got) { memcpy(fds, CMSG_DATA(c), 2 * sizeof(int)); got = 1; continue; }
    while (n--) { int fd; memcpy(&fd, CMSG_DATA(c) + n * sizeof(int), sizeof fd); close(fd); }
    got = -1;
  }
  if (got < 0 || (mh->msg_flags & MSG_CTRUNC)) {
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
    fds[0] = fds[1] = -1;
    return -1;
  }
  return got;
}

long qspawn_recv(int sock, char *buf, uint32_t *token, char **args, size_t max, size_t *nargs, int *fds)
{
  struct iovec iov;
  struct msghdr mh;
  union cmsg_space cm;
  ssize_t r;
  size_t at;
  int got;
  iov.iov_base = buf; iov.iov_len = QSPAWN_REQ_MAX;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = &iov; mh.msg_iovlen = 1;
  mh.msg_control = cm.b; mh.msg_controllen = sizeof cm.b;
  while ((r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0)
    if (errno != EINTR) return -1;
  *nargs = 0;
  got = take_fds(&mh, fds);
  if (r == 0) return 0;
  memcpy(token, buf, r >= 4 ? 4 : 0);
  if (r < 4 || (mh.msg_flags & MSG_TRUNC) || got < 0 || (r > 4 && buf[r - 1] != 0) ||
      (*token == QSPAWN_REREAD) == (got == 1)) goto bad;
  for (at = 4; at < (size_t)r && *nargs < max; at += strlen(buf + at) + 1) args[(*nargs)++] = buf + at;
  if (at < (size_t)r) goto bad;
  args[*nargs] = 0;
  return (long)r;
bad:
  if (fds[0] >= 0) close(fds[0]);
  if (fds[1] >= 0) close(fds[1]);
  fds[0] = fds[1] = -1;
  errno = EPROTO;
  return -1;
}
