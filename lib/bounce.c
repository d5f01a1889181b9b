/* bounce.c: the text of a bounce. */
#include <ctype.h>
#include <string.h>
#include "bounce.h"
#include "date.h"

static void boundary(struct str *b, const struct bounce *x)
{
  b->len = 0;
  str_catf(b, "quail-%lu-%lu", x->id, (unsigned long)x->now);
}

/* a reason is one line in the report: no CR or LF, none of our boundary */
static int cat_reason(struct str *out, const char *r)
{
  for (; *r; r++)
    if (str_catc(out, (*r == '\n' || *r == '\r') ? ' ' : *r) < 0) return -1;
  return 0;
}

/* the enhanced status code (x.y.z) found in a reason, else 5.0.0 */
static void bounce_status(const char *r, char out[16])
{
  const char *p;
  strcpy(out, "5.0.0");
  for (p = r; *p; p++) {
    size_t n = 0;
    if ((p[0] == '4' || p[0] == '5') && p[1] == '.' && (p == r || !isdigit((unsigned char)p[-1]))) {
      const char *q = p + 2;
      int dots = 0;
      while (isdigit((unsigned char)*q) || (*q == '.' && ++dots <= 1)) q++;
      n = (size_t)(q - p);
      if (dots == 1 && n < 16 && isdigit((unsigned char)q[-1])) {
        memcpy(out, p, n);
        out[n] = 0;
        return;
      }
    }
  }
}

static int text_part(struct str *o, const struct bounce *x)
{
  size_t i = 0;
  str_catf(o, "Hi. This is the quail-send program at %s.\n", x->host);
  str_cats(o, "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
              "This is a permanent error; I've given up. Sorry it didn't work out.\n\n");
  while (i < x->fails->len) {
    const char *rcpt = x->fails->s + i;
    const char *why = rcpt + strlen(rcpt) + 1;
    str_catf(o, "<%s>:\n", rcpt);
    cat_reason(o, why);
    str_cats(o, "\n\n");
    i = (size_t)(why - x->fails->s) + strlen(why) + 1;
  }
  return str_cats(o, x->full ? "--- Below this line is a copy of the message.\n\n"
                             : "--- Below this line is the header of the message.\n\n");
}

static int status_part(struct str *o, const struct bounce *x)
{
  char date[DATE_MAX], st[16];
  size_t i = 0;
  date_rfc5322(x->arrival, date);
  str_catf(o, "Reporting-MTA: dns; %s\nArrival-Date: %s\n", x->host, date);
  while (i < x->fails->len) {
    const char *rcpt = x->fails->s + i;
    const char *why = rcpt + strlen(rcpt) + 1;
    bounce_status(why, st);
    str_catf(o, "\nFinal-Recipient: rfc822; %s\nAction: failed\nStatus: %s\n", rcpt, st);
    str_cats(o, strncmp(why, "Remote host said: ", 18) ? "Diagnostic-Code: x-quail; " : "Diagnostic-Code: smtp; ");
    cat_reason(o, strncmp(why, "Remote host said: ", 18) ? why : why + 18);
    str_catc(o, '\n');
    i = (size_t)(why - x->fails->s) + strlen(why) + 1;
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
