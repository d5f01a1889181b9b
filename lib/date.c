/* date.c: RFC 5322 dates, locale-independent. */
#include <stdio.h>
#include "date.h"

/* tm, whose zone is off seconds east of UTC */
static void format(const struct tm *tm, long off, char out[DATE_MAX])
{
  static const char day[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
  static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  snprintf(out, DATE_MAX, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld", day[tm->tm_wday], tm->tm_mday,
           mon[tm->tm_mon], tm->tm_year + 1900, tm->tm_hour, tm->tm_min, tm->tm_sec,
           sign, off / 3600, off / 60 % 60);
}

void date_rfc5322(time_t t, char out[DATE_MAX])
{
  struct tm tm;
  gmtime_r(&t, &tm);
  format(&tm, 0, out);
}

void date_local(time_t t, char out[DATE_MAX])
{
  struct tm tm;
  localtime_r(&t, &tm);
  format(&tm, tm.tm_gmtoff, out);
}
