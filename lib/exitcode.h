/* exitcode.h: the exit codes every quail program uses, and qmail-queue's. */
#ifndef EXITCODE_H
#define EXITCODE_H

#define EXIT_OK    0    /* success */
#define EXIT_PERM  100  /* permanent failure, or bad usage */
#define EXIT_TEMP  111  /* temporary failure: try again later */
#define EXIT_STOP  99   /* .qmail program: success, stop processing */
#define EXIT_USAGE EXIT_PERM

/* qmail-queue's published exit codes (qmail-queue(8)) */
#define QQ_OK            0
#define QQ_ADDR_TOO_LONG 11
#define QQ_PERM_REFUSED  31
#define QQ_NOMEM         51
#define QQ_TIMEOUT       52
#define QQ_WRITE         53
#define QQ_READ          54
#define QQ_CONFIG        55
#define QQ_NETWORK       56
#define QQ_HOME          61
#define QQ_QUEUEDIR      62
#define QQ_PID           63
#define QQ_MESS          64
#define QQ_INTD          65
#define QQ_NEWDIR          66
#define QQ_TEMP_REFUSED  71
#define QQ_CONN_TIMEOUT  72
#define QQ_CONN_REJECT   73
#define QQ_CONN_FAILED   74
#define QQ_BUG           81
#define QQ_CUSTOM        82   /* the reason is on fd 4 (qq.h) */
#define QQ_ENVELOPE      91

/* qq_temporary: is this queue-writer exit code a temporary failure? */
int qq_temporary(int code);
/* qq_text: a sentence for a queue-writer exit code, for replies and logs */
const char *qq_text(int code);
/* err_temporary: does this errno mean "try again later"? */
int err_temporary(int e);

#endif
