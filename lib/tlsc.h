/* tlsc.h: the client side of TLS over libtls, filling the same struct
 * tlsx as the server side (tlsx.h), so tlsx_read, tlsx_write,
 * tlsx_version, tlsx_cipher, tlsx_error and tlsx_close serve both. */
#ifndef TLSC_H
#define TLSC_H
#include "tlsx.h"

/* handshake as a client on fd (non-blocking; every step waits at most
 * timeout seconds). name is sent as SNI and, when verify is set, must
 * match the peer's certificate, which must chain to cafile (0: the
 * system's CA store). Without verify any certificate is taken
 * (opportunistic TLS). certfile (0: none), a PEM file holding a chain
 * and its key, is shown to a server that asks for a client certificate;
 * one that does not load is left out. session (-1: none) is a file from
 * tlsc_session_open: the session in it is offered for resumption, and
 * the handshake leaves the new one there. -1 with errno EPROTO
 * (tlsx_error says why), ETIMEDOUT or ENOMEM. */
int tlsc_connect(struct tlsx *, int fd, const char *name, int verify, const char *cafile, const char *certfile,
                 int session, int timeout);
/* did the handshake resume an earlier session: 1 or 0 */
int tlsc_resumed(struct tlsx *);

/* TLS session resumption across processes. libtls reads and writes a
 * session in a file of the caller's (tls_config_set_session_fd), which
 * many deliveries at once must not share: tlsc_session_open copies the
 * session saved at path (up to TLSC_SESSION_MAX bytes; none when it is
 * missing or not a session) into a private file (memfd, mode 0600) and
 * returns its fd, or -1 with errno; tlsc_session_save puts what that
 * file holds after a handshake at path (path.PID, then rename, so a
 * reader never sees half a session): 0, or -1 with errno. libtls saves
 * the session when the handshake ends, which holds a TLS 1.2 session
 * ticket but not a TLS 1.3 one (it comes after the handshake): only TLS
 * 1.2 sessions resume this way. */
#define TLSC_SESSION_MAX 16384
int tlsc_session_open(const char *path);
int tlsc_session_save(int fd, const char *path);

#endif
