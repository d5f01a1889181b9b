#!/bin/sh
# mailq: list the queue, as sendmail's mailq does: runs queue-reader with
# the arguments given. queue-reader is $QUAIL_HOME/bin/queue-reader when
# QUAIL_HOME is set, else the one beside this script (links followed).
# Exit codes: queue-reader's; 111 when it cannot be run.
if [ -n "${QUAIL_HOME:-}" ]; then
  bin=$QUAIL_HOME/bin
else
  bin=$(dirname "$(readlink -f "$0")")
fi
if [ ! -x "$bin/queue-reader" ]; then
  echo "mailq: fatal: unable to run $bin/queue-reader: not an executable file" >&2
  exit 111
fi
exec "$bin/queue-reader" "$@"
