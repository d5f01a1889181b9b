/* esc.h: enhanced mail system status codes (RFC 3463) as data.
 *
 * A code is class.subject.detail. The subject.detail pairs quail writes
 * are named here once (ESC_*); a class in front makes a code, at compile
 * time: ESC_TEMP(ESC_SYSTEM) is "4.3.0", so "(#" ESC_TEMP(ESC_SYSTEM) ")"
 * is a string literal too. The class follows from the exit code
 * (esc_class), so a report and its exit code cannot disagree.
 *
 * esc_exit is the one table from a delivery program's exit code to its
 * status (qmail-command(8)'s rules, Postfix's sys_exits idea).
 * esc_report finds the status of a report text at the two places it is
 * written: qmail's "(#X.Y.Z)" and, in a peer's reply quoted as "Remote
 * host said: ", the code after the reply code (RFC 2034).
 * Nothing here does I/O. */
#ifndef ESC_H
#define ESC_H
#include <stddef.h>

#define ESC_MAX 16                      /* "5.123.123" and its NUL fit */

#define ESC_OK(d)   "2." d              /* success */
#define ESC_TEMP(d) "4." d              /* persistent transient failure */
#define ESC_PERM(d) "5." d              /* permanent failure */
/* a code the way qmail writes it at the end of a text: "(#5.1.1)" */
#define ESC_QMAIL(c) "(#" c ")"

/* subject.detail (RFC 3463 section 3; 1.10 RFC 7505; 7.23, 7.24 RFC 7372) */
#define ESC_OTHER           "0.0"   /* other or undefined status */
#define ESC_SENDER_OK       "1.0"   /* other address status (sender accepted) */
#define ESC_NO_MAILBOX      "1.1"   /* bad destination mailbox address */
#define ESC_NO_HOST         "1.2"   /* bad destination system address */
#define ESC_BAD_RCPT        "1.3"   /* bad destination mailbox address syntax */
#define ESC_RCPT_OK         "1.5"   /* destination address valid */
#define ESC_BAD_SENDER      "1.7"   /* bad sender's mailbox address syntax */
#define ESC_NULL_MX         "1.10"  /* recipient address has null MX */
#define ESC_MAILBOX_BUSY    "2.1"   /* mailbox disabled, not accepting messages */
#define ESC_MAILBOX_FULL    "2.2"   /* mailbox full */
#define ESC_SYSTEM          "3.0"   /* other or undefined mail system status */
#define ESC_TOO_BIG         "3.4"   /* message too big for system */
#define ESC_MISCONFIGURED   "3.5"   /* system incorrectly configured */
#define ESC_NO_ANSWER       "4.1"   /* no answer from host (or its link is down) */
#define ESC_CONNECTION      "4.2"   /* bad connection */
#define ESC_DNS_TEMP        "4.3"   /* directory server failure */
#define ESC_UNROUTABLE      "4.4"   /* unable to route */
#define ESC_LOOP            "4.6"   /* routing loop detected */
#define ESC_EXPIRED         "4.7"   /* delivery time expired */
#define ESC_PROTOCOL        "5.0"   /* other or undefined protocol status */
#define ESC_BAD_COMMAND     "5.1"   /* invalid command */
#define ESC_BAD_SYNTAX      "5.2"   /* syntax error */
#define ESC_TOO_MANY_RCPT   "5.3"   /* too many recipients */
#define ESC_BAD_PARAM       "5.4"   /* invalid command arguments */
#define ESC_WRONG_PROTOCOL  "5.5"   /* wrong protocol version (used as "invoked improperly") */
#define ESC_CONTENT         "6.0"   /* other or undefined media error */
#define ESC_NEED_UTF8       "6.7"   /* non-ASCII addresses not permitted */
#define ESC_SECURITY        "7.0"   /* other or undefined security status */
#define ESC_DENIED          "7.1"   /* delivery not authorized, message refused */
#define ESC_CRYPTO          "7.5"   /* cryptographic failure */
#define ESC_AUTH_FAILED     "7.8"   /* authentication credentials invalid */
#define ESC_NEED_TLS        "7.11"  /* encryption required */
#define ESC_SPF_FAIL        "7.23"  /* SPF validation failed */
#define ESC_SPF_ERROR       "7.24"  /* SPF validation error */

/* "4." for a temporary failure (exit 111 and every code not permanent),
 * "5." for a permanent one (exit 100), "2." for success (exit 0) */
const char *esc_class(int exitcode);

/* a delivery program's exit code (qmail-command(8)): its status, whose
 * class says what it means: 2 done (0, and 99: done, stop), 5 permanent
 * (100, and sysexits' 64, 65, 70, 76, 77, 78, and 112), else 4 */
const char *esc_exit(int exitcode);

/* the status of a failure's report text s[0..n) into out: the first
 * "(#X.Y.Z)", or the enhanced code after the reply code of a peer's
 * reply that s quotes ("Remote host said: 550 5.1.1 ..."), whichever
 * comes first, of class 4 or 5; 0 found, -1 none (out is then 5.0.0: a
 * failure that gave no code) */
int esc_report(const char *s, size_t n, char out[ESC_MAX]);

/* is s[0..n) one status code, "[245].D{1,3}.D{1,3}" (RFC 3463) */
int esc_valid(const char *s, size_t n);

#endif
