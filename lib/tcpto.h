/* tcpto.h: the dead-host memory of remote delivery (qmail's tcpto).
 *
 * A small file (HOME/queue/lock/tcpto) of fixed records, one per address
 * that failed to answer a connection attempt: the address, how many
 * attempts in a row failed, and when the last one did. The concurrent
 * deliveries share it under an exclusive fcntl lock held only while one
 * record is read and written. After TCPTO_FAILS failures in a row an
 * address counts as dead for a while that doubles with every further
 * failure (TCPTO_HOLD_MIN up to TCPTO_HOLD_MAX seconds), so the queue
 * does not wait on it again and again; one success forgets it.
 * Functions return -1 with errno set; nothing here prints or exits. */
#ifndef TCPTO_H
#define TCPTO_H
#include <sys/socket.h>
#include <time.h>

#define TCPTO_SLOTS    128     /* addresses remembered; the oldest is reused */
#define TCPTO_FAILS    2       /* failures in a row before an address is dead */
#define TCPTO_HOLD_MIN 120     /* seconds */
#define TCPTO_HOLD_MAX 3600

/* is the address dead at time now: 1 yes, 0 no (or unknown), -1 error */
int tcpto_dead(const char *path, const struct sockaddr *, time_t now);
/* record an attempt: failed 1 counts a failure, 0 forgets the address */
int tcpto_note(const char *path, const struct sockaddr *, int failed, time_t now);

#endif
