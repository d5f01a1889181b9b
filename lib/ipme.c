/* ipme.c: this host's own addresses, from getifaddrs(3). */
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string.h>
#include "ipme.h"

static int same(const struct sockaddr *a, const struct sockaddr *b)
{
  if (!a || !b || a->sa_family != b->sa_family) return 0;
  if (a->sa_family == AF_INET)
    return !memcmp(&((const struct sockaddr_in *)a)->sin_addr, &((const struct sockaddr_in *)b)->sin_addr, 4);
  if (a->sa_family == AF_INET6)
    return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr, 16);
  return 0;
}

int ipme_is(const struct sockaddr *sa)
{
  struct ifaddrs *all, *i;
  int r = 0;
  if (getifaddrs(&all) < 0) return -1;
  for (i = all; i && !r; i = i->ifa_next) r = same(i->ifa_addr, sa);
  freeifaddrs(all);
  return r;
}
