/* spawn.h: start a child process the way posix_spawn does, with
 * clone(CLONE_VM | CLONE_VFORK): the child borrows our memory until it
 * execs, so no page tables are copied and the parent takes no
 * copy-on-write faults afterwards. Programs that spawn once per message
 * (queue-manager, smtpd's queue-writer) use it instead of fork.
 *
 * The child function runs on a stack of its own with every caught signal
 * reset to its default. It must only set up file descriptors, ids and the
 * directory, then exec or _exit: no malloc, no stdio, no changes to
 * memory that the parent will read (errno excepted). Its return value is
 * the child's exit code. The parent is suspended until the child execs
 * or exits. */
#ifndef SPAWN_H
#define SPAWN_H
#include <sys/types.h>

pid_t spawn_vm(int (*child)(void *), void *arg);

/* for child functions: write "a b: strerror(errno) tail" to fd, without
 * stdio */
void spawn_report(int fd, const char *a, const char *b, const char *tail);

#endif
