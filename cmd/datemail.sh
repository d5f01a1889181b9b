#!/bin/sh
# datemail [sendmail arguments]: sendmail that adds a Date field in the
# local time zone, as qmail's datemail (predate sendmail).
# Exit codes: sendmail's; 111 when predate or sendmail cannot be run.
here=$(dirname "$0")
bin=${QUAIL_HOME:-/var/quail}/bin
[ -x "$here/predate" ] && [ -x "$here/sendmail" ] && bin=$here
exec "$bin/predate" "$bin/sendmail" "$@"
