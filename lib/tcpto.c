/* tcpto.c: the dead-host file, records of fixed size under fcntl locks. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "tcpto.h"

struct rec {
  unsigned char family;        /* 0: a free slot */
  unsigned char fails;
  unsigned char pad[6];
  unsigned char addr[16];
  int64_t last;                /* time of the last failure */
};

/* the address bytes of sa into r; 0 for a family we do not keep */
static int key(const struct sockaddr *sa, struct rec *r)
{
  memset(r, 0, sizeof *r);
  r->family = (unsigned char)sa->sa_family;
  if (sa->sa_family == AF_INET) memcpy(r->addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
  else if (sa->sa_family == AF_INET6) memcpy(r->addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
  else return 0;
  return 1;
}

static int lock(int fd, short type)
{
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  while (fcntl(fd, F_SETLKW, &fl) < 0)
    if (errno != EINTR) return -1;
  return 0;
}

/* read every record (a short or missing file reads as free slots) */
static int load(int fd, struct rec *all)
{
  ssize_t r;
  memset(all, 0, TCPTO_SLOTS * sizeof *all);
  do r = pread(fd, all, TCPTO_SLOTS * sizeof *all, 0); while (r < 0 && errno == EINTR);
  return r < 0 ? -1 : 0;
}

/* the slot of k, or -1 */
static int find(const struct rec *all, const struct rec *k)
{
  int i;
  for (i = 0; i < TCPTO_SLOTS; i++)
    if (all[i].family == k->family && !memcmp(all[i].addr, k->addr, sizeof k->addr)) return i;
  return -1;
}

static time_t hold(unsigned fails)
{
  time_t h = TCPTO_HOLD_MIN;
  for (; fails > TCPTO_FAILS && h < TCPTO_HOLD_MAX; fails--) h *= 2;
  return h > TCPTO_HOLD_MAX ? TCPTO_HOLD_MAX : h;
}

int tcpto_dead(const char *path, const struct sockaddr *sa, time_t now)
{
  struct rec all[TCPTO_SLOTS], k;
  int fd, i, dead = 0;
  if (!key(sa, &k)) return 0;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  if (lock(fd, F_RDLCK) < 0 || load(fd, all) < 0) { close(fd); return -1; }
  close(fd);
  i = find(all, &k);
  if (i >= 0 && all[i].fails >= TCPTO_FAILS && now - (time_t)all[i].last < hold(all[i].fails)) dead = 1;
  return dead;
}

/* the slot for k: its own, else a free one, else the oldest */
static int slot_for(const struct rec *all, const struct rec *k)
{
  int i = find(all, k), oldest = 0;
  if (i >= 0) return i;
  for (i = 0; i < TCPTO_SLOTS; i++) {
    if (!all[i].family) return i;
    if (all[i].last < all[oldest].last) oldest = i;
  }
  return oldest;
}

int tcpto_note(const char *path, const struct sockaddr *sa, int failed, time_t now)
{
  struct rec all[TCPTO_SLOTS], k;
  int fd, i, r = 0;
  if (!key(sa, &k)) return 0;
  fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  if (lock(fd, F_WRLCK) < 0 || load(fd, all) < 0) { close(fd); return -1; }
  i = failed ? slot_for(all, &k) : find(all, &k);
  if (i >= 0) {
    if (!failed) memset(&k, 0, sizeof k);   /* success frees the slot */
    else {
      if (find(all, &k) == i && all[i].fails < 255) k.fails = (unsigned char)(all[i].fails + 1);
      else k.fails = 1;
      k.last = (int64_t)now;
    }
    if (pwrite(fd, &k, sizeof k, (off_t)i * (off_t)sizeof k) != (ssize_t)sizeof k) r = -1;
  }
  close(fd);   /* and with it the lock */
  return r;
}

int tcpto_list(const char *path, struct tcpto_entry *out, time_t now)
{
  struct rec all[TCPTO_SLOTS];
  int fd, i, n = 0;
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  if (lock(fd, F_RDLCK) < 0 || load(fd, all) < 0) { close(fd); return -1; }
  close(fd);
  for (i = 0; i < TCPTO_SLOTS; i++) {
    struct tcpto_entry *e = out + n;
    time_t end = (time_t)all[i].last + hold(all[i].fails);
    if (!all[i].family) continue;
    e->family = all[i].family;
    memcpy(e->addr, all[i].addr, sizeof e->addr);
    e->fails = all[i].fails;
    e->last = (time_t)all[i].last;
    e->until = all[i].fails >= TCPTO_FAILS && now < end ? end : 0;
    n++;
  }
  return n;
}

int tcpto_clear(const char *path)
{
  struct rec none[TCPTO_SLOTS];
  int fd, r = 0;
  fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  memset(none, 0, sizeof none);
  if (lock(fd, F_WRLCK) < 0) r = -1;
  else if (pwrite(fd, none, sizeof none, 0) != (ssize_t)sizeof none) r = -1;
  close(fd);
  return r;
}
