/* qreceipt: answer a request for a delivery notice, as qmail's qreceipt
 * does from a .qmail file:
 *
 *   |qreceipt youraddress
 *
 * Reads the message header on stdin (at most HEADER_MAX bytes). When a
 * Notice-Requested-Upon-Delivery-To field lists youraddress (any case),
 * it sends a success notice to the envelope sender ($SENDER) from the
 * null sender, through queue-writer or $QMAILQUEUE, and prints "qp PID".
 * A message from the null sender (a bounce) or from #@[] gets none.
 * Exit codes: 0 done (a notice sent or none asked for); 100 usage, SENDER
 * unset, or the queue refused the notice for good; 111 a temporary
 * failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "buf.h"
#include "date.h"
#include "diag.h"
#include "exitcode.h"
#include "header.h"
#include "home.h"
#include "qq.h"
#include "str.h"

#define HEADER_MAX (256 * 1024)   /* bytes of header read */
#define PATH_SIZE  4096
#define FIELD      "Notice-Requested-Upon-Delivery-To"

static void __attribute__((noreturn)) die_env(void)
{
  diag_die(EXIT_PERM, "SENDER not set (qreceipt runs from a .qmail file)", (char *)0);
}
static void __attribute__((noreturn)) die_read(void) { diag_diesys(EXIT_TEMP, "unable to read the message", (char *)0); }
static void __attribute__((noreturn)) die_nomem(void) { diag_nomem(); }
static void __attribute__((noreturn)) die_qqstart(const char *p) { diag_diesys(EXIT_TEMP, "unable to run ", p, (char *)0); }
static void __attribute__((noreturn)) die_queue(int code)
{
  diag_die(qq_temporary(code) ? EXIT_TEMP : EXIT_PERM, "unable to send the notice: ", qq_text(code), (char *)0);
}

/* does the field (name and body, folded) list addr */
static int lists(const struct str *field, const char *addr)
{
  struct str out = STR_ZERO, addrs = STR_ZERO;
  size_t body, i;
  int found = 0;
  if (!header_field(field->s, field->len, &body) || !case_equalb(field->s, strcspn(field->s, ": \t"), FIELD))
    return 0;
  if (header_addrlist(field->s + body, field->len - body, 0, &out, &addrs) == 0)
    for (i = 0; i < addrs.len && !found; i += strlen(addrs.s + i) + 1)
      found = case_equals(addrs.s + i, addr);
  str_free(&out);
  str_free(&addrs);
  return found;
}

/* one whole field: does it list addr; a Message-ID's body into msgid */
static int take(struct str *field, const char *addr, struct str *msgid)
{
  if (!field->len || str_0(field) < 0) return 0;
  if (case_starts(field->s, "Message-ID:") && str_copys(msgid, field->s + 11) == 0)
    msgid->len = strcspn(msgid->s, "\r\n");
  return lists(field, addr);
}

/* the header from stdin, field by field: is addr asked for; the
 * Message-ID's body into msgid */
static int asked(const char *addr, struct str *msgid)
{
  char space[BUF_SIZE];
  struct buf in;
  struct str line = STR_ZERO, field = STR_ZERO;
  size_t total = 0;
  int found = 0, r = 1;
  buf_init(&in, 0, space, sizeof space);
  while (r == 1 && total < HEADER_MAX) {
    line.len = 0;
    r = buf_getline(&in, &line, HEADER_MAX - total);
    if (r < 0) die_read();
    total += line.len;
    if (line.len && (line.s[0] == ' ' || line.s[0] == '\t')) {
      if (str_catb(&field, line.s, line.len) < 0) die_nomem();
      continue;
    }
    found |= take(&field, addr, msgid);
    if (str_copyb(&field, line.s, line.len) < 0) die_nomem();
    if (!line.len || line.s[0] == '\n' || (line.s[0] == '\r' && line.len == 2)) break;
  }
  found |= take(&field, addr, msgid);
  str_free(&line);
  str_free(&field);
  return found;
}

/* the notice, without new lines from the addresses */
static void notice(struct str *m, const char *me, const char *to, const struct str *msgid)
{
  char date[DATE_MAX];
  date_rfc5322(time(0), date);
  if (str_catf(m, "From: DELIVERY NOTICE SYSTEM <%s>\nTo: <%s>\nSubject: success notice\nDate: %s\n",
               me, to, date) < 0) die_nomem();
  if (msgid->len && str_0((struct str *)msgid) == 0 && str_catf(m, "In-Reply-To:%s\n", msgid->s) < 0) die_nomem();
  if (str_catf(m, "\nHi! This is the qreceipt program. Your message was delivered to the\n"
                  "following address: %s. Thanks for asking.\n", me) < 0) die_nomem();
}

static void send_notice(const char *me, const char *to, const struct str *msgid)
{
  struct str m = STR_ZERO;
  struct qq q;
  char path[PATH_SIZE];
  const char *qq = home_queue(home_dir(getenv("QUAIL_HOME")), getenv("QMAILQUEUE"), path, sizeof path);
  int r;
  size_t i;
  notice(&m, me, to, msgid);
  for (i = 0; i < m.len; i++)
    if ((unsigned char)m.s[i] < 32 && m.s[i] != '\n' && m.s[i] != '\t') m.s[i] = '?';
  if (!qq || qq_open(&q, qq) < 0) die_qqstart(qq ? qq : "queue-writer");
  qq_put(&q, m.s, m.len);
  if (qq_from(&q, "") < 0 || qq_to(&q, to) < 0) die_nomem();
  r = qq_close(&q);
  if (r < 0) r = QQ_BUG;
  if (r != QQ_OK) die_queue(r);
  printf("qp %ld\n", (long)q.pid);
  str_free(&m);
}

int main(int argc, char **argv)
{
  const char *sender = getenv("SENDER");
  struct str msgid = STR_ZERO;

  diag_init("qreceipt");
  if (argc != 2 || !*argv[1] || strchr(argv[1], '\n')) diag_usage("youraddress");
  if (!sender) die_env();
  if (!*sender || !strcmp(sender, "#@[]")) return EXIT_OK;
  if (asked(argv[1], &msgid)) send_notice(argv[1], sender, &msgid);
  return EXIT_OK;
}
