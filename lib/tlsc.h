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
 * one that does not load is left out. -1 with errno EPROTO (tlsx_error
 * says why), ETIMEDOUT or ENOMEM. */
int tlsc_connect(struct tlsx *, int fd, const char *name, int verify, const char *cafile, const char *certfile,
                 int timeout);

#endif
