/* bounce.c: the text of a bounce. */
#include <string.h>
#include "bounce.h"
#include "date.h"

static void boundary(struct str *b, const struct bounce *x)
{
  b->len = 0;
  str_catf(b, "quail-%lu-%lu", x->id, (unsigned long)x->now);
}

/* a reason as one line of the DSN part: no CR or LF, none of our boundary */
static int cat_reason(struct str *out, const char *r)
{
  for (; *r; r++)
    if (str_catc(out, (*r == '\n' || *r == '\r') ? ' ' : *r) < 0) return -1;
  return 0;
}

int bounce_fail(struct str *f, const char *rcpt, const char *status, const char *why, size_t len)
{
  if (str_cats(f, rcpt) < 0 || str_catc(f, 0) < 0 || str_cats(f, status) < 0 || str_catc(f, 0) < 0 ||
      str_catb(f, why, len) < 0) return -1;
  return str_catc(f, 0);
}

/* the NUL-ended field at *pos, or 0 when the records end first */
static const char *field(const struct str *f, size_t *pos)
{
  const char *s = f->s + *pos, *z;
  if (*pos >= f->len || !(z = memchr(s, 0, f->len - *pos))) return 0;
  *pos += (size_t)(z - s) + 1;
  return s;
}

int bounce_next(const struct str *f, size_t *pos, struct bounce_rec *r)
{
  const char *second;
  if (!(r->rcpt = field(f, pos)) || !(second = field(f, pos))) return 0;
  if (esc_valid(second, strlen(second))) {
    strcpy(r->status, second);
    return (r->reason = field(f, pos)) != 0;
  }
  r->reason = second;   /* an older record: no status field */
  (void)esc_report(second, strlen(second), r->status);
  return 1;
}

/* a reason as qmail-send's recipient paragraph shows it: its lines kept,
 * a CR as a space, the newline of an empty line as "/" (the paragraph
 * must not end there), a line beginning with "--" indented (it must not
 * pass for a MIME boundary), ending in a newline */
static int cat_paragraph(struct str *out, const char *r)
{
  int bol = 1;
  for (; *r; r++) {
    char c = *r == '\r' ? ' ' : *r;
    if (bol && c == '\n') c = '/';
    if (bol && c == '-' && r[1] == '-' && str_catc(out, ' ') < 0) return -1;
    if (str_catc(out, c) < 0) return -1;
    bol = c == '\n';
  }
  return bol ? 0 : str_catc(out, '\n');
}

/* qmail-send's words; a bounce of a bounce (the null sender) has its own */
static int text_part(struct str *o, const struct bounce *x)
{
  struct bounce_rec r;
  size_t i = 0;
  int dbl = !*x->sender;
  str_catf(o, "Hi. This is the quail-send program at %s.\n", x->host);
  str_cats(o, dbl ? "I tried to deliver a bounce message to this address, but the bounce bounced!\n\n"
                  : "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
                    "This is a permanent error; I've given up. Sorry it didn't work out.\n\n");
  while (bounce_next(x->fails, &i, &r)) {
    str_catf(o, "<%s>:\n", r.rcpt);
    cat_paragraph(o, r.reason);
    str_catc(o, '\n');
  }
  return str_cats(o, dbl ? (x->full ? "--- Below this line is the original bounce.\n\n"
                                   : "--- Below this line is the header of the original bounce.\n\n")
                         : (x->full ? "--- Below this line is a copy of the message.\n\n"
                                   : "--- Below this line is the header of the message.\n\n"));
}

static int status_part(struct str *o, const struct bounce *x)
{
  char date[DATE_MAX];
  struct bounce_rec r;
  size_t i = 0;
  date_rfc5322(x->arrival, date);
  str_catf(o, "Reporting-MTA: dns; %s\nArrival-Date: %s\n", x->host, date);
  while (bounce_next(x->fails, &i, &r)) {
    const char *why = r.reason;
    str_catf(o, "\nFinal-Recipient: rfc822; %s\nAction: failed\nStatus: %s\n", r.rcpt, r.status);
    str_cats(o, strncmp(why, "Remote host said: ", 18) ? "Diagnostic-Code: x-quail; " : "Diagnostic-Code: smtp; ");
    cat_reason(o, strncmp(why, "Remote host said: ", 18) ? why : why + 18);
    str_catc(o, '\n');
  }
  return 0;
}

int bounce_head(struct str *o, const struct bounce *x)
{
  struct str b = STR_ZERO;
  char date[DATE_MAX];
  size_t before = o->len;
  boundary(&b, x);
  date_rfc5322(x->now, date);
  str_catf(o, "Date: %s\nFrom: %s\nTo: %s\nSubject: failure notice\n", date, x->from, x->to);
  str_catf(o, "Message-ID: <%lu.%lu.bounce@%s>\nAuto-Submitted: auto-replied\n",
           (unsigned long)x->now, x->id, x->host);
  str_catf(o, "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status;\n"
              "\tboundary=\"%s\"\n\n", b.s);
  str_catf(o, "--%s\nContent-Type: text/plain; charset=utf-8\n\n", b.s);
  text_part(o, x);
  str_catf(o, "--%s\nContent-Type: message/delivery-status\n\n", b.s);
  status_part(o, x);
  str_catf(o, "\n--%s\nContent-Type: %s\n\n", b.s, x->full ? "message/rfc822" : "text/rfc822-headers");
  str_free(&b);
  return o->len > before && str_0(o) == 0 ? 0 : -1;
}

int bounce_tail(struct str *o, const struct bounce *x)
{
  struct str b = STR_ZERO;
  int r;
  boundary(&b, x);
  r = str_catf(o, "\n--%s--\n", b.s);
  str_free(&b);
  return r;
}
