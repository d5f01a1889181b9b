/* listsend.c: a post as the list sends it, and its distribution. */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include "exitcode.h"
#include "list.h"

/* fields the list drops from a post before adding its own */
static const char *const dropped[] = {
  "Return-Path", "Precedence", "Content-Length", "List-Id", "List-Post", "List-Help",
  "List-Subscribe", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Owner",
  "List-Archive", "Mailing-List", "Subject", 0
};

static int is_dropped(const struct list *l, const char *name, size_t n)
{
  int i;
  for (i = 0; dropped[i]; i++) if (case_equalb(name, n, dropped[i])) return 1;
  return l->reply == LIST_REPLY_LIST && case_equalb(name, n, "Reply-To");
}

static int list_fields(const struct list *l, unsigned long n, struct str *o)
{
  const char *L = l->local.s, *H = l->host.s;
  if (str_catf(o, "Delivered-To: mailing list %s@%s\n", L, H) < 0) return -1;
  if (str_catf(o, "Mailing-List: contact %s-help@%s; run by quail\n", L, H) < 0) return -1;
  if (str_catf(o, "List-Id: <%s.%s>\nPrecedence: list\n", L, H) < 0) return -1;
  if (str_catf(o, "List-Post: <mailto:%s@%s>\nList-Help: <mailto:%s-help@%s>\n", L, H, L, H) < 0) return -1;
  if (str_catf(o, "List-Subscribe: <mailto:%s-subscribe@%s>\n", L, H) < 0) return -1;
  if (str_catf(o, "List-Unsubscribe: <mailto:%s-unsubscribe@%s>\n", L, H) < 0) return -1;
  if (str_cats(o, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\n") < 0) return -1;
  if (str_catf(o, "List-Owner: <mailto:%s-owner@%s>\n", L, H) < 0) return -1;
  if (l->archive && str_catf(o, "List-Archive: <mailto:%s-get.%lu@%s>\n", L, n, H) < 0) return -1;
  if (l->reply == LIST_REPLY_LIST && str_catf(o, "Reply-To: <%s@%s>\n", L, H) < 0) return -1;
  return 0;
}

static int subject(const struct list *l, const char *msg, size_t len, struct str *o)
{
  struct str s = STR_ZERO;
  int r = list_header(msg, len, "Subject", &s);
  if (r >= 0) {
    const char *v = r ? s.s : "";
    r = str_cats(o, "Subject: ");
    if (r == 0 && l->prefix.len && !strstr(v, l->prefix.s))
      r = str_cats(o, l->prefix.s) < 0 || str_catc(o, ' ') < 0 ? -1 : 0;
    if (r == 0) r = str_cats(o, v) < 0 || str_catc(o, '\n') < 0 ? -1 : 0;
  }
  str_free(&s);
  return r;
}

/* the original fields the list keeps, in their order */
static int kept_fields(const struct list *l, const char *msg, size_t hend, struct str *o)
{
  size_t i = 0;
  int keep = 1;
  while (i < hend) {
    const char *e = memchr(msg + i, '\n', hend - i);
    size_t n = e ? (size_t)(e - msg) + 1 - i : hend - i;
    if (msg[i] == '\n') break;
    if (msg[i] != ' ' && msg[i] != '\t') {
      const char *c = memchr(msg + i, ':', n);
      keep = !(c && is_dropped(l, msg + i, (size_t)(c - msg) - i));
    }
    if (keep && str_catb(o, msg + i, n) < 0) return -1;
    i += n;
  }
  return 0;
}

/* a post as sent: list headers, prefix, reply-to, trailer; number n */
static int list_outgoing(const struct list *l, unsigned long n, const char *msg, size_t len,
                         struct str *o)
{
  size_t hend = list_header_end(msg, len);

  if (list_fields(l, n, o) < 0 || kept_fields(l, msg, hend, o) < 0 || subject(l, msg, len, o) < 0) return -1;
  if (str_catc(o, '\n') < 0 || str_catb(o, msg + hend, len - hend) < 0) return -1;

  if (l->trailer.len) {
    if (o->len && o->s[o->len - 1] != '\n' && str_catc(o, '\n') < 0) return -1;
    if (str_catb(o, l->trailer.s, l->trailer.len) < 0) return -1;
  }
  return 0;
}

static int verp_sender(const struct list *l, const char *tag, unsigned long n, struct str *s)
{
  s->len = 0;
  return str_catf(s, "%s-return-%s%lu-@%s-@[]", l->local.s, tag, n, l->host.s) < 0 || str_0(s) < 0 ? -1 : 0;
}

int list_distribute(struct list *l, const char *qqprog, const char *msg, size_t len,
                    unsigned long *n, int *qqcode)
{
  struct str out = STR_ZERO, rcpts = STR_ZERO, sender = STR_ZERO;
  int r = -1;
  *qqcode = QQ_OK;
  if (list_lock(l) < 0 || list_num_get(l, "num", n) < 0) goto done;
  ++*n;
  /* archive first: a failed queueing leaves the number unused and the
   * archived copy is overwritten by the next post */
  if ((l->archive || l->digestcount || l->digesttime) && list_archive_put(l, *n, msg, len) < 0) goto done;
  if (list_outgoing(l, *n, msg, len, &out) < 0 || list_set_all(l, "members", &rcpts) < 0) goto done;
  if (verp_sender(l, "", *n, &sender) < 0) goto done;
  if (rcpts.len) *qqcode = list_queue(qqprog, sender.s, &rcpts, out.s, out.len);
  if (*qqcode == QQ_OK && list_num_put(l, "num", *n) < 0) goto done;
  r = 0;
done:
  { int e = errno; list_unlock(l); errno = e; }
  str_free(&out); str_free(&rcpts); str_free(&sender);
  return r;
}

int list_send_text(const struct list *l, const char *qqprog, const char *sender,
                   const char *to, const char *subject, const char *replyto,
                   const char *text, const char *target, const struct str *attach, time_t now)
{
  struct str m = STR_ZERO, t = STR_ZERO, s = STR_ZERO, r = STR_ZERO;
  int code = -1;
  if (!sender) {
    if (str_catf(&s, "%s-return-@%s", l->local.s, l->host.s) < 0 || str_0(&s) < 0) goto done;
    sender = s.s;
  }
  if (list_reply_header(l, to, subject, replyto, now, &m) < 0 || list_text(l, text, target, &t) < 0) goto done;
  if (str_catb(&m, t.s, t.len) < 0) goto done;
  if (attach && (str_cats(&m, "\n--- \n\n") < 0 || str_catb(&m, attach->s, attach->len) < 0)) goto done;
  if (str_cats(&r, to) < 0 || str_catc(&r, 0) < 0) goto done;
  code = list_queue(qqprog, sender, &r, m.s, m.len);
done:
  str_free(&m); str_free(&t); str_free(&s); str_free(&r);
  return code;
}
