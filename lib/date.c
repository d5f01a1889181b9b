/* date.c: RFC 5322 dates, locale-independent. */
#include <stdio.h>
#include "date.h"

void date_rfc5322(time_t t, char out[DATE_MAX])
{
  static const char day[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
  static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(out, DATE_MAX, "%s, %d %s %d %02d:%02d:%02d +0000", day[tm.tm_wday], tm.tm_mday,
           mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
