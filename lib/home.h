/* home.h: where an instance lives. */
#ifndef HOME_H
#define HOME_H

#ifndef QUAIL_PREFIX
#define QUAIL_PREFIX "/var/quail"
#endif

/* The home directory: env (the value of QUAIL_HOME, may be 0) unless the
 * program runs setuid or setgid, else the compiled-in prefix. The
 * program reads the environment and passes the value in. */
const char *home_dir(const char *env);
/* "HOME/rel" into out[size]; -1 with ENAMETOOLONG when it does not fit */
int home_path(const char *home, const char *rel, char *out, unsigned size);
/* the queue program: qmailqueue (QMAILQUEUE's value, may be 0) when it
 * is set and not empty, else "HOME/bin/queue-writer" in out[size]; 0
 * with ENAMETOOLONG when that does not fit */
const char *home_queue(const char *home, const char *qmailqueue, char *out, unsigned size);

#endif
