/* err.c: temporary versus permanent, decided in one place. */
#include <errno.h>
#include "exitcode.h"

/* Everything is temporary except the errors that no retry can fix. */
int err_temporary(int e)
{
  switch (e) {
  case ENAMETOOLONG: case ELOOP: case EINVAL:
    return 0;
  default:
    return 1;
  }
}

int qq_temporary(int code)
{
  if (code == 0) return 0;
  if (code >= 11 && code <= 40) return 0;
  return 1;
}

const char *qq_text(int code)
{
  switch (code) {
  case QQ_OK: return "ok";
  case QQ_ADDR_TOO_LONG: return "address too long";
  case QQ_PERM_REFUSED: return "mail server permanently refuses the message";
  case QQ_NOMEM: return "queue-writer is out of memory";
  case QQ_TIMEOUT: return "timeout while queueing the message";
  case QQ_WRITE: return "unable to write the message to the queue (disk full?)";
  case QQ_READ: return "unable to read the message or envelope";
  case QQ_CONFIG: return "unable to read a configuration file";
  case QQ_NETWORK: return "network problem while queueing";
  case QQ_HOME: return "problem with the quail home directory";
  case QQ_QUEUEDIR: case QQ_PID: case QQ_MESS: case QQ_INTD: case QQ_NEWDIR:
    return "problem with the queue directory";
  case QQ_TEMP_REFUSED: return "mail server temporarily refuses the message";
  case QQ_CONN_TIMEOUT: return "connection to mail server timed out";
  case QQ_CONN_REJECT: return "connection to mail server rejected";
  case QQ_CONN_FAILED: return "communication with mail server failed";
  case QQ_BUG: return "internal bug in queue-writer";
  case QQ_CUSTOM: return "the queue program refused the message";
  case QQ_ENVELOPE: return "envelope format error";
  default:
    return qq_temporary(code) ? "temporary queue failure" : "permanent queue failure";
  }
}
