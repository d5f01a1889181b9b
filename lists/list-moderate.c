/* list-moderate: a moderator's answer to a held post (|list-moderate dir
 * in .qmail-LIST-accept-default and .qmail-LIST-reject-default).
 *
 *   list-moderate accept|reject dir
 *
 * DEFAULT is ID.C: ID names dir/held/ID, C is its
 * HMAC cookie. accept distributes the post as list-post would; reject
 * drops it. Both are logged in dir/log. LIST_NOW, when set, is the time.
 * Exit codes: 0 done, 100 a forged, expired or unknown request, 111
 * temporary failure. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "diag.h"
#include "esc.h"
#include "exitcode.h"
#include "fsx.h"
#include "home.h"
#include "list.h"

#define USAGE "accept|reject dir"

static void die_usage(void) { diag_usage(USAGE); }
static void die_list(const char *d) { diag_diesys(EXIT_TEMP, "unable to open list ", d, (char *)0); }
static void die_forged(void) { diag_die(EXIT_PERM, "this moderation address is not valid " ESC_QMAIL(ESC_PERM(ESC_DENIED)), (char *)0); }
static void die_expired(void) { diag_die(EXIT_PERM, "this moderation request has expired " ESC_QMAIL(ESC_PERM(ESC_DENIED)), (char *)0); }
static void die_gone(void) { diag_die(EXIT_PERM, "this message was already accepted or rejected " ESC_QMAIL(ESC_PERM(ESC_DENIED)), (char *)0); }
static void die_read(const char *f) { diag_diesys(EXIT_TEMP, "unable to read ", f, (char *)0); }
static void die_remove(const char *f) { diag_diesys(EXIT_TEMP, "unable to remove ", f, (char *)0); }
static void die_send(void) { diag_diesys(EXIT_TEMP, "unable to distribute the post", (char *)0); }
static void die_nomem(void) { diag_nomem(); }

int main(int argc, char **argv)
{
  struct list l;
  struct str id = STR_ZERO, rel = STR_ZERO, path = STR_ZERO, msg = STR_ZERO;
  const char *d = getenv("DEFAULT"), *nowenv = getenv("LIST_NOW"), *cookie, *qq;
  char qqspace[1024];
  time_t now = nowenv ? (time_t)atol(nowenv) : time(0);
  unsigned long when, n;
  int accept, r, code;
  diag_init("list-moderate");
  if (argc != 3 || (strcmp(argv[1], "accept") && strcmp(argv[1], "reject"))) die_usage();
  accept = argv[1][0] == 'a';
  if (list_open(&l, argv[2]) < 0) die_list(argv[2]);
  if (!(qq = home_queue(home_dir(getenv("QUAIL_HOME")), getenv("QMAILQUEUE"), qqspace, sizeof qqspace))) die_nomem();
  if (!d) d = "";
  if (list_mod_parse(d, &id, &cookie, &when) < 0) errno == ENOMEM ? die_nomem() : die_forged();
  r = list_cookie_check(&l, "mod", id.s, when, cookie, now);
  if (r == -2) die_expired();
  if (r < 0) die_forged();
  if (str_catf(&rel, "held/%s", id.s) < 0 || str_0(&rel) < 0 || list_path(&l, rel.s, &path) < 0) die_nomem();
  if ((r = file_read(path.s, &msg, LIST_MSG_MAX)) < 0) die_read(path.s);
  if (r == 0) die_gone();
  if (accept && (list_distribute(&l, qq, msg.s, msg.len, &n, &code) < 0 || code)) die_send();
  if (unlink(path.s) < 0 && errno != ENOENT) die_remove(path.s);
  list_log(&l, now, accept ? "accepted" : "rejected", id.s);
  return EXIT_OK;
}
