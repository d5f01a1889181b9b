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

/* one remembered address, for qmail-tcpto's listing */
struct tcpto_entry {
  int family;                  /* AF_INET or AF_INET6 */
  unsigned char addr[16];
  unsigned fails;              /* failures in a row */
  time_t last;                 /* the last one */
  time_t until;                /* dead until then (0: not dead) */
};
/* every remembered address at time now into out[TCPTO_SLOTS]: how many,
 * 0 when there is no file, -1 error */
int tcpto_list(const char *path, struct tcpto_entry *out, time_t now);
/* forget every address (qmail-tcpok): 0, also when there is no file, or -1 */
int tcpto_clear(const char *path);

#endif
