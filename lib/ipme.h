/* ipme.h: is an address one of this host's own (qmail-remote's ipme)? */
#ifndef IPME_H
#define IPME_H
#include <sys/socket.h>

/* 1 when sa is an address of one of this host's interfaces, 0 when not,
 * -1 with errno when the interfaces cannot be listed */
int ipme_is(const struct sockaddr *sa);

#endif
