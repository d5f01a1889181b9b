/* submit.h: local submission, the work that inject and sendmail share.
 * Read a message, complete its header the qmail-inject way (Date,
 * Message-ID, From, masquerading; Bcc, Resent-Bcc, Return-Path and
 * Content-Length removed), choose the envelope, and hand the message to
 * the queue program over the qmail-queue protocol (qq.h), or print it.
 * The header is held in memory up to SUBMIT_HEADER_MAX; the body streams.
 *
 *   submit_zero(&s);  fill s.env from submit_envnames, s.home, options
 *   submit_init(&s);  control files
 *   submit_rcpt(&s, arg) for each recipient argument
 *   submit_message(&s, 0, queueprog, 1);
 *
 * Each returns 0, or -1 with the failure in s (submit_error). */
#ifndef SUBMIT_H
#define SUBMIT_H
#include <time.h>
#include "buf.h"
#include "header.h"
#include "str.h"

#define SUBMIT_HEADER_MAX (1024 * 1024)  /* bytes of header we hold */
#define SUBMIT_PIECE      (64 * 1024)    /* body read in pieces of at most this */
#define SUBMIT_IO         (64 * 1024)    /* the input buffer */

/* the environment variables that steer submission (qmail-inject(8)) */
enum submit_envvar {
  SUBMIT_QMAILHOST, SUBMIT_MAILHOST, SUBMIT_QMAILUSER, SUBMIT_MAILUSER,
  SUBMIT_USER, SUBMIT_LOGNAME, SUBMIT_QMAILNAME, SUBMIT_MAILNAME, SUBMIT_NAME,
  SUBMIT_QMAILSUSER, SUBMIT_QMAILSHOST, SUBMIT_QMAILINJECT,
  SUBMIT_QMAILDEFAULTDOMAIN, SUBMIT_QMAILDEFAULTHOST, SUBMIT_QMAILPLUSDOMAIN,
  SUBMIT_QMAILIDHOST, SUBMIT_QMAILMFTFILE,
  SUBMIT_ENVS
};
extern const char *const submit_envnames[SUBMIT_ENVS];

enum submit_err {
  SUBMIT_OK, SUBMIT_ENOMEM, SUBMIT_ECONTROL, SUBMIT_EREAD, SUBMIT_EWRITE,
  SUBMIT_EBIGHEADER, SUBMIT_EPARSE, SUBMIT_EADDR, SUBMIT_ENORCPT,
  SUBMIT_EQUEUESTART, SUBMIT_EQUEUE, SUBMIT_ECONTENT
};

struct submit {
  /* filled by the caller between submit_zero and submit_init */
  const char *env[SUBMIT_ENVS];  /* values of submit_envnames, 0 when unset */
  const char *home;              /* the instance, for control/ */
  const char *sender;            /* -f: 0 the default, "" or "<>" the null sender */
  const char *fromaddr;          /* address for a missing From, 0 the user's */
  const char *fullname;          /* name for a missing From, 0 the environment's */
  int header_rcpts;              /* take recipients from the header as well */
  int dotstop;                   /* a line "." ends the input (sendmail) */
  int normalize;                 /* control/smtpnormalize: a bare CR becomes LF */
  /* why the last call failed */
  int err;                       /* enum submit_err */
  int errnum;                    /* errno of a system error */
  int qqcode;                    /* the queue program's exit code */
  int content;                   /* SUBMIT_ECONTENT: the smtp.h flags that refused it */
  struct str errarg;             /* the file, field or address concerned */
  /* state */
  struct header_rw rw;
  struct str defaulthost, defaultdomain, plusdomain, idhost;
  const char *user, *host, *name;
  unsigned flags;                /* QMAILINJECT letters */
  time_t now;
  long usec, pid;
  struct str envsender;
  int have_sender;
  struct str rcpts, hdrrcpts, resentrcpts;
  struct str tocc;               /* the To and Cc addresses (Mail-Followup-To) */
  struct str mftlists;           /* QMAILMFTFILE's list addresses */
  int mft_seen;                  /* the message has a Mail-Followup-To */
  struct str head, field, line, scratch, list;
  int seen[HEADER_KINDS];
  struct buf in;
  char inspace[SUBMIT_IO];
};

void submit_zero(struct submit *);
int submit_init(struct submit *);
int submit_rcpt(struct submit *, const char *addr);
/* read the message from infd; queue it with the program qprog (an
 * absolute path), or print it on outfd when qprog is 0 */
int submit_message(struct submit *, int infd, const char *qprog, int outfd);
/* the failure as a sentence into msg; 1 when it is temporary, 0 when
 * permanent, -1 when msg could not be made (out of memory) */
int submit_error(const struct submit *, struct str *msg);
void submit_free(struct submit *);

#endif
