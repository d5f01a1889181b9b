/* list.h: a mailing list's directory: configuration, member sets in cdb,
 * HMAC cookies, message numbers, the archive, the log and distribution.
 * See quail-list(5) for the layout. Functions return -1 with errno set
 * on a system failure; they never print or exit. */
#ifndef LIST_H
#define LIST_H
#include <stddef.h>
#include <time.h>
#include "str.h"

#define LIST_ADDR_MAX    900          /* bytes of one address */
#define LIST_COOKIE_HEX  24           /* hex digits of a cookie kept */
#define LIST_COOKIE_TTL  (10 * 86400) /* seconds a confirmation stays valid */
#define LIST_MSG_MAX     (64L * 1024 * 1024) /* bytes of a message read */

enum list_sub { LIST_SUB_CONFIRM, LIST_SUB_OPEN, LIST_SUB_CLOSED };
enum list_post { LIST_POST_MEMBERS, LIST_POST_OPEN };
enum list_reply { LIST_REPLY_SENDER, LIST_REPLY_LIST };

struct list {
  struct str dir;       /* the list directory */
  struct str local;     /* "joe-mylist" */
  struct str host;      /* "example.org" */
  struct str secret;
  struct str prefix;    /* subject prefix, may be empty */
  struct str trailer;   /* text/trailer, may be empty */
  struct str owner;     /* owner address, may be empty */
  int sub, post, reply, moderated, archive;
  unsigned long maxsize;      /* 0 for no limit */
  unsigned long digestcount;  /* 0: no digest by count */
  unsigned long digesttime;   /* seconds, 0: no digest by time */
  unsigned long bouncewait;   /* seconds of bounces before a probe */
  int lockfd;
};

/* the configuration keys list-make accepts, 0-terminated */
extern const char *const list_keys[];

int list_open(struct list *, const char *dir);
int list_path(const struct list *, const char *rel, struct str *out);

/* exclusive lock on DIR/lock, held until list_unlock or exit */
int list_lock(struct list *);
void list_unlock(struct list *);

/* member sets: "members", "digest", "mod"; keys are lower-cased */
int list_set_has(const struct list *, const char *set, const char *addr);
/* add (or remove when add is 0) n NUL-separated addresses in one atomic
 * rebuild under the lock; returns how many changed */
long list_set_edit(struct list *, const char *set, const struct str *addrs, int add);
/* NUL-separated addresses of the set appended to out; the count */
long list_set_all(const struct list *, const char *set, struct str *out);

/* cookies: HMAC-SHA256(secret, action NUL addr NUL time) in hex */
int list_cookie(const struct list *, const char *action, const char *addr,
                unsigned long when, char out[LIST_COOKIE_HEX + 1]);
/* 0 valid, -1 forged, -2 expired */
int list_cookie_check(const struct list *, const char *action, const char *addr,
                      unsigned long when, const char *hex, time_t now);

/* "T.C-..." (an address after its action, "sc." or "probe."): the time
 * T into *when, the cookie C into hex, *dash at the '-'; 0, or -1 with
 * errno EINVAL (malformed) or ENOMEM */
int list_cookie_parse(const char *s, unsigned long *when, struct str *hex, const char **dash);

/* list-moderate's DEFAULT "ID.C" (list-post holds a post as held/ID,
 * ID "TIME.PID", and asks the moderators with the cookie C made of ID
 * and TIME): ID (digits and dots, from a digit, at most
 * LIST_MOD_ID_MAX bytes) into id, *cookie after its last dot, the
 * leading number into *when; 0, or -1 with errno EINVAL (malformed) or
 * ENOMEM */
#define LIST_MOD_ID_MAX 64
int list_mod_parse(const char *s, struct str *id, const char **cookie, unsigned long *when);

/* list-bounce's DEFAULT (of LOCAL-return-DEFAULT): "probe.T.C-user=host"
 * is LIST_RETURN_PROBE (*probe after "probe.", for list_cookie_parse);
 * "N-user=host" (a post) or "dN-user=host" (a digest) is
 * LIST_RETURN_POST with the member into addr (list_verp_decode);
 * anything else, or no memory, LIST_RETURN_UNKNOWN */
enum list_return { LIST_RETURN_UNKNOWN, LIST_RETURN_POST, LIST_RETURN_PROBE };
enum list_return list_return_parse(const char *s, struct str *addr, const char **probe);

/* "user@host" <-> "user=host" (the last '@' / '=') */
int list_verp_encode(const char *addr, struct str *out);
int list_verp_decode(const char *s, struct str *out);

/* headers: the value of the first field name (unfolded) or 0 when absent */
int list_header(const char *msg, size_t len, const char *name, struct str *val);
size_t list_header_end(const char *msg, size_t len);   /* offset of the body */

/* numbers and the archive */
int list_num_get(const struct list *, const char *file, unsigned long *n);
int list_num_put(const struct list *, const char *file, unsigned long n);
int list_archive_put(const struct list *, unsigned long n, const char *msg, size_t len);
int list_archive_get(const struct list *, unsigned long n, struct str *msg);

/* one line "now what addr" appended to DIR/log */
int list_log(const struct list *, time_t now, const char *what, const char *addr);

/* queue one message: sender, NUL-separated recipients; qq's exit code */
int list_queue(const char *qqprog, const char *sender, const struct str *rcpts,
               const char *msg, size_t len);
/* a reply's header: From LIST-help, To, Subject, Date, Message-ID, loop line */
int list_reply_header(const struct list *, const char *to, const char *subject,
                      const char *replyto, time_t now, struct str *out);
/* text/NAME with <#l#> <#h#> <#a#> (list address) <#t#> (target) replaced */
int list_text(const struct list *, const char *name, const char *target, struct str *out);

/* archive (when on), number and queue a post to every member with the
 * VERP sender LOCAL-return-N-@HOST-@[]; *n gets its number */
int list_distribute(struct list *, const char *qqprog, const char *msg, size_t len,
                    unsigned long *n, int *qqcode);
/* a reply made of text/NAME (and attached text, may be 0) to one address,
 * from sender (0: LOCAL-return-@HOST); qq's exit code, -1 on failure */
int list_send_text(const struct list *, const char *qqprog, const char *sender,
                   const char *to, const char *subject, const char *replyto,
                   const char *text, const char *target, const struct str *attach, time_t now);
#endif
