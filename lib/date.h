/* date.h: dates for headers. */
#ifndef DATE_H
#define DATE_H
#include <time.h>
#define DATE_MAX 64
/* RFC 5322 date-time in UTC, "Thu, 26 Nov 2026 12:05:31 +0000" */
void date_rfc5322(time_t, char out[DATE_MAX]);
/* the same in the local time zone, "Thu, 26 Nov 2026 13:05:31 +0100" */
void date_local(time_t, char out[DATE_MAX]);
#endif
