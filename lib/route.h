/* route.h: local or remote, decided once for every program (qmail-send's
 * rule). A recipient is local when its domain is in control/locals, or when
 * control/virtualdomains has, first found, the whole address, the domain, a
 * ".suffix" of the domain, or the empty key, with a non-empty prefix (an
 * empty prefix means "not virtual"). An address without '@' gets
 * @envnoathost first. A virtual recipient's local part becomes
 * prefix-local. */
#ifndef ROUTE_H
#define ROUTE_H
#include "str.h"

struct route {
  struct str locals, vdoms, envnoathost;
};
#define ROUTE_ZERO { STR_ZERO, STR_ZERO, STR_ZERO }

/* read control/{locals,virtualdomains,envnoathost} under dir (locals and
 * envnoathost default to me); -1 with errno and *bad naming the file */
int route_load(struct route *, const char *dir, const char *me, const char **bad);
/* 1 local (local and domain filled in for delivery), 0 remote, -1 ENOMEM */
int route_classify(const struct route *, const char *rcpt, struct str *local, struct str *domain);
void route_free(struct route *);

#endif
