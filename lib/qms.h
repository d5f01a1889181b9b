/* qms.h: what the QMTP and QMQP servers (qmtpd, qmqpd) share: the
 * client connection with its timeouts, the queue program with a Received
 * line on top of the message, addresses read from netstrings, the
 * response made from the queue program's exit code, and the log lines in
 * smtpd's format. Nothing here exits, prints or reads the environment:
 * the program passes values in and writes the lines it gets back. */
#ifndef QMS_H
#define QMS_H
#include <time.h>
#include "buf.h"
#include "qq.h"
#include "smtp.h"
#include "str.h"

#define QMS_SESSION_MAX  3600     /* seconds: "a QMTP session should take at most 1 hour" */
#define QMS_TIMEOUT_DEF  1200     /* control/timeoutsmtpd when missing */
#define QMS_ME_DEF       "localhost"
#define QMS_PATH_MAX     4096
#define QMS_CHUNK        16384    /* message bytes read at a time */

struct qms {
  const char *prog, *proto;     /* "qmtpd", "QMTP": in the Received line and logs */
  const char *qqprog;           /* the queue program */
  const char *remoteip, *remotehost;
  struct str me;                /* control/me */
  int timeout;                  /* seconds for each read and write */
  unsigned long long databytes; /* control/databytes: the largest message, 0 no limit */
  int normalize;                /* control/smtpnormalize: a bare CR becomes LF */
  struct smtp_data d;           /* the message being read, in LF form */
  struct str dec;               /* decoded bytes on their way to the queue */
  time_t deadline;              /* the end of the session */
  int wfail;                    /* sending the responses failed */
  char why[256];                /* what qms_fail found */
  struct buf in, out;           /* fd 0 and fd 1 */
  char inspace[BUF_SIZE], outspace[BUF_SIZE];
  struct qq qq;
  int qqopen;                   /* qq runs */
  char qqpath[QMS_PATH_MAX];
};

/* start the session: the buffers, the deadline, the queue program
 * (qmailqueue, QMAILQUEUE's value, when set and not empty, else
 * HOME/bin/queue-writer: -1 ENAMETOOLONG) */
int qms_init(struct qms *, const char *prog, const char *proto, const char *home,
             const char *qmailqueue);
/* the client, from TCPREMOTEIP and TCPREMOTEHOST ("unknown" when unset) */
void qms_client(struct qms *, const char *ip, const char *host);
/* control/me, control/timeoutsmtpd, control/databytes (smtpd's default)
 * and control/smtpnormalize, relative to HOME, the current directory; -1
 * with errno and *bad naming the file */
int qms_config(struct qms *, const char **bad);
/* is a message of len bytes (a netstring's length) over databytes: it is
 * refused before any of it is read, the queue program never started */
int qms_too_big(const struct qms *, unsigned long long len);

/* reading: each read first sends the responses waiting in out (a
 * pipelining client may wait for them; wfail set when that fails), and
 * waits no longer than the timeout and the session's end. */
/* "LEN:" of a netstring that must come: ENODATA at the end of input */
int qms_getlen(struct qms *, unsigned long long max, unsigned long long *len);
/* "LEN:" of a netstring inside another with *left bytes to go, which
 * must hold it (EPROTO); *left is reduced by its whole size */
int qms_inner(struct qms *, unsigned long long *left, unsigned long long *len);
/* the address netstring's len bytes and comma into a (NUL-terminated):
 * 1, or 0 when it is no address to pass on (longer than ADDR_MAX, so
 * skipped and left empty, or holding NUL, CR or LF); -1 with errno */
int qms_addr(struct qms *, unsigned long long len, struct str *a);

/* the message: the len bytes of its netstring (not the comma), in LF
 * form, through smtpd's decoder (smtp.h: CR LF stored as LF, a bare CR
 * and a NUL flagged, databytes counted) into the queue program while
 * store is set and nothing in it is refused; from the first refused byte
 * on, and when store is 0, the rest is read and dropped. 0, or -1 with
 * errno (the read's, or ENOMEM); c->d.flags and c->d.bytes tell the rest */
int qms_message(struct qms *, unsigned long long len, int store);
/* the flags of c->d for which the message is refused (smtp_data_fatal) */
int qms_refused(const struct qms *);
/* the first of them, by the reply it calls for */
enum qms_content { QMS_CONTENT_OK, QMS_CONTENT_BIG, QMS_CONTENT_NUL, QMS_CONTENT_BARECR };
int qms_content(const struct qms *);

/* the queue program */
/* the Received line for the message, into line */
int qms_received(const struct qms *, struct str *line);
/* start the queue program and give it line first; -1 with errno */
int qms_queue(struct qms *, const struct str *line);
/* give it no envelope: it removes its own work files and exits
 * (qq_abort's SIGTERM would leave them to queue-manager's sweep) */
void qms_drop(struct qms *);
/* finish: the queue program's exit code, -1 when it cannot be known */
int qms_close(struct qms *);
/* the response for exit code code: "Kok TIME qp PID", or "Z" or "D"
 * with the reason and its enhanced status code, replacing out */
int qms_result(const struct qms *, struct str *out, int code);

/* writing: a response netstring into out (sent before the next read,
 * or by qms_flush); on failure wfail is set and errno kept */
int qms_reply(struct qms *, const char *s, size_t n);
int qms_flush(struct qms *);

/* the package is lost (errno e: the input ended or broke, sending
 * failed (wfail), memory ran out): stop the queue program and put why
 * into c->why ("client closed the connection inside UNIT", "protocol
 * error: malformed netstring", "unable to read from the client: Connection
 * timed out" ...). Returns the exit code: EXIT_PERM when the client broke
 * the protocol, else EXIT_TEMP. */
int qms_fail(struct qms *, int e, const char *unit);

/* logging: "PROG: pid PID from IP: EVENT DETAILS\n" into line */
/* append " key=value" (" key=<value>" with angle), the value cleaned */
int qms_detail(struct str *d, const char *key, const char *value, int angle);
int qms_logline(const struct qms *, struct str *line, const char *event, const struct str *detail);
/* the package's line: "accepted from=<S> to=<R>... size=N qp=PID", or,
 * when why is not 0, "rejected from=<S> to=<R>... size=N reason=WHY";
 * rcpts holds the recipients, each NUL-ended */
int qms_logpackage(const struct qms *, struct str *line, const char *sender,
                   const struct str *rcpts, unsigned long long size, const char *why);

#endif
