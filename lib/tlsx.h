/* tlsx.h: a TLS server session over libtls, to sit under lib/buf.h
 * (buf_transport(b, tlsx_read or tlsx_write, &session)). Every read,
 * write and handshake step waits at most the session's timeout.
 * Functions return -1 with errno set (EPROTO for a TLS failure, whose
 * text tlsx_error gives; ETIMEDOUT); nothing here prints or exits. */
#ifndef TLSX_H
#define TLSX_H
#include <sys/types.h>

struct tls;
struct tls_config;

struct tlsx {
  struct tls_config *cfg;
  struct tls *server;
  struct tls *conn;
  int rfd, wfd;
  int timeout;                 /* seconds, 0 for none */
};

/* load the certificate chain and its key, both from one PEM file */
int tlsx_server(struct tlsx *, const char *pemfile);
/* the same from a PEM file open on fd (read to its end, at most 1 MB) */
int tlsx_server_fd(struct tlsx *, int fd);
/* handshake with the client on rfd/wfd */
int tlsx_accept(struct tlsx *, int rfd, int wfd, int timeout);
ssize_t tlsx_read(void *session, int fd, char *, size_t);
ssize_t tlsx_write(void *session, int fd, char *, size_t);
const char *tlsx_version(struct tlsx *);
const char *tlsx_cipher(struct tlsx *);
const char *tlsx_error(struct tlsx *);   /* the last failure's text */
void tlsx_close(struct tlsx *);

#endif
