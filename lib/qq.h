/* qq.h: hand one message to queue-writer (or the program named by
 * QMAILQUEUE, which the caller passes in) over the qmail-queue protocol:
 * message on the child's fd 0, envelope on its fd 1. */
#ifndef QQ_H
#define QQ_H
#include <sys/types.h>
#include "buf.h"
#include "str.h"

/* qmail's custom-error convention (the qmail-queue-custom-error patch,
 * simscan, qmail-spp): a queue program that exits QQ_CUSTOM (82) has
 * written its reason on fd QQ_ERRFD, 'D' (permanent) or 'Z' (temporary)
 * then the text for the client. qq_close leaves that text in why. */
#define QQ_ERRFD   4
#define QQ_WHY_MAX 1024

struct qq {
  pid_t pid;
  int msgfd, envfd;
  struct buf out;
  char space[BUF_SIZE];
  struct str env;   /* the envelope, written at qq_close */
  int failed;       /* a write to the message pipe failed */
  int early;        /* set after qq_open: take the writer's report */
  int errfd;        /* the read end of the program's QQ_ERRFD */
  char why[QQ_WHY_MAX];   /* its text after QQ_CUSTOM, else "" */
};

/* queue-writer's report, written on its fd 1 once the message is safe on
 * disk. The envelope goes over a socket pair, so a writer can answer on
 * it; with early set, qq_close returns 0 on this line without waiting
 * for the writer to exit (it is reaped at the next qq_open). A program
 * that never writes it (any other qmail-queue) is waited for as before. */
#define QQ_REPORT "quail-queue-writer: queued\n"

/* start prog (an absolute path); -1 with errno on failure */
int qq_open(struct qq *, const char *prog);
int qq_put(struct qq *, const char *, size_t);
/* hand what is buffered to the writer now: 0, or -1 (then qq_close fails) */
int qq_flush(struct qq *);
int qq_from(struct qq *, const char *sender);
int qq_to(struct qq *, const char *rcpt);
/* finish: returns the writer's exit code (QQ_BUG if it crashed),
 * -1 with errno when the writer could not even be waited for; after
 * QQ_CUSTOM, why holds the program's 'D' or 'Z' line (else "") */
int qq_close(struct qq *);
/* kill the writer and discard the message (a client gave up) */
void qq_abort(struct qq *);

/* forward what fd holds from where it stands, behind line (a DTLINE,
 * may be 0), from sender to the 0-ended list rcpts, with the queue
 * program prog: the writer's exit code (QQ_READ when fd could not be
 * read), -1 with errno when it could not be started; *pid its pid */
int qq_forward(const char *prog, const char *line, const char *sender, char *const *rcpts,
               int fd, long *pid);

#endif
