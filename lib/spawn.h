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


/* For qmail's .qmail helpers (forward, condredirect, preline, ...), which
 * run another program once and want its exit code; plain fork and
 * execvp, argv[0] searched in PATH. With feed not 0 the child's fd 0 is
 * the read end of a new pipe and *feed its write end (close-on-exec).
 * A child that cannot exec exits 111 when the reason is temporary, else
 * 100, as qmail's helpers' children do. Returns the pid, or -1. */
pid_t spawn_prog(char *const argv[], int *feed);
/* the same, but -1 with the exec's errno when the program could not be
 * run at all (the child is reaped then) */
pid_t spawn_checked(char *const argv[], int *feed);
#define SPAWN_CRASHED (-2)
/* wait for pid: its exit code, SPAWN_CRASHED when a signal ended it, or
 * -1 with errno */
int spawn_reap(pid_t pid);
/* feed: write head, then copy fd 0 to the pipe fd (closed at the end);
 * 0, or -1 with errno when fd 0 could not be read or the pipe written
 * (EPIPE: the program stopped reading, which is its own affair) */
int spawn_feed(int fd, const char *head, size_t n);
/* spawn_prog and spawn_reap without a pipe: the child reads our fd 0 */
int spawn_run(char *const argv[]);

#endif
