/* home.h: where an instance lives. */
#ifndef HOME_H
#define HOME_H

#ifndef QUAIL_PREFIX
#define QUAIL_PREFIX "/var/quail"
/* is home an instance (mkinstance(8): HOME/bin is a symbolic link), where
 * everything runs as the one user who made it, even root? 1 yes, 0 no (an
 * installed system, or HOME/bin unreadable) */
int home_instance(const char *home);

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

/* is home an instance (mkinstance(8): HOME/bin is a symbolic link), where
 * everything runs as the one user who made it, even root? 1 yes, 0 no (an
 * installed system, or HOME/bin unreadable) */
int home_instance(const char *home);

#endif
