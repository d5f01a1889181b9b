/* diag.h: the one diagnostics printer. A program names itself once with
 * diag_init(argv[0] or a fixed name); every message then reads
 *   PROG: fatal: unable to open ./Maildir/tmp: No space left on device
 * This family prints to fd 2 and, for diag_die*, exits: it is the only
 * part of lib/ that does, and programs call it explicitly. */
#ifndef DIAG_H
#define DIAG_H

void diag_init(const char *prog);
const char *diag_prog(void);
/* message parts end with a 0 pointer */
void diag_warn(const char *s, ...) __attribute__((sentinel));
void diag_warnsys(const char *s, ...) __attribute__((sentinel));   /* + ": " strerror */
void diag_die(int code, const char *s, ...) __attribute__((sentinel, noreturn));
void diag_diesys(int code, const char *s, ...) __attribute__((sentinel, noreturn));
/* a delivery agent's report to its spawner: the parts as one plain line
 * on fd 1, without the program name (qmail-local's form), then exit */
void diag_report(int code, const char *s, ...) __attribute__((sentinel, noreturn));
void diag_usage(const char *usage) __attribute__((noreturn));       /* exit 100 */
void diag_nomem(void) __attribute__((noreturn));                    /* exit 111 */

#endif
