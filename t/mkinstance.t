#!/bin/bash
# covers cmd/mkinstance.sh
# mkinstance: the layout of an instance, and what it refuses.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cdb-lib.sh"

mode() { stat -c %a "$1"; }

# --- a named host
H=$T/one
out=$(mkinstance "$H" mail.example.org 2>"$T/err"); rc=$?
is "$rc" 0 "mkinstance DIR HOST: exit 0"
is "$out" "mkinstance: made $H for mail.example.org: mailbox test@mail.example.org in $H/mail/test/Maildir/" "says what it made"
is "$(cat "$T/err")" "" "nothing on stderr"
is "$(readlink "$H/bin")" "$BIN" "bin/ links to the programs"
is "$(cat "$H/control/me")" "mail.example.org" "control/me"
is "$(cat "$H/control/locals")" "localhost
mail.example.org" "control/locals: the host and localhost"
is "$(cat "$H/control/rcpthosts")" "localhost
mail.example.org" "control/rcpthosts: the same"
is "$(cat "$H/control/defaultdomain")" "example.org" "control/defaultdomain: the host without its first label"
is "$(cat "$H/control/plusdomain")" "example.org" "control/plusdomain"
is "$(cat "$H/control/defaulthost")" "mail.example.org" "control/defaulthost"
is "$(head -n 1 "$H/control/defaultdelivery")" "./Maildir/" "control/defaultdelivery"
is "$(head -n 1 "$H/control/concurrencylocal") $(head -n 1 "$H/control/concurrencyremote")" "10 20" "concurrencies"
for d in tmp mess bounce; do
  is "$(mode "$H/queue/$d")" 700 "queue/$d: mode 700"
done
ok "queue/lock/trigger is a FIFO" test -p "$H/queue/lock/trigger"
is "$(mode "$H/queue/lock/trigger")" 622 "queue/lock/trigger: mode 622"
for d in tmp new cur; do
  ok "Maildir of test: $d/" test -d "$H/mail/test/Maildir/$d"
done
is "$(mode "$H/mail/test/Maildir")" 700 "Maildir of test: private"
for a in postmaster mailer-daemon root; do
  is "$(cat "$H/alias/.qmail-$a")" "&test@mail.example.org" "alias/.qmail-$a forwards to test"
done
u=$(id -un) uid=$(id -u) gid=$(id -g)
is "$(cat "$H/users/assign")" "=test:$u:$uid:$gid:$H/mail/test:-::
+test-:$u:$uid:$gid:$H/mail/test:-::
+:$u:$uid:$gid:$H/alias:-::
." "users/assign: test, its extensions, the rest to alias/"
is "$(cdbget "$H/users/cdb" =test)" "$u|$uid|$gid|$H/mail/test|-||" "users/cdb: test"
is "$(cdbget "$H/users/cdb" +)" "$u|$uid|$gid|$H/alias|-||" "users/cdb: everything else"
for t in "$SRC"/run/*/; do
  n=$(basename "$t")
  ok "service/$n/run made, executable" test -x "$H/service/$n/run"
  ok "log/$n/ made" test -d "$H/log/$n"
done
is "$(grep -rlE '@(HOME|BIN|HOST|SMTP_PORT|POP3_PORT|QMTP_PORT|QMQP_PORT)@' "$H/service" | wc -l)" 0 "no placeholder left in service/"
like "$(cat "$H/service/queue-manager/run")" "QUAIL_HOME=$H " "queue-manager's run names the instance"
# the instance works: queue-writer puts a message in it
printf 'x\n' | QUAIL_HOME=$H qw a@b test@mail.example.org
is "$?" 0 "queue-writer queues into the new instance"
is "$(q_ids "$H/queue" | wc -l)" 1 "the message landed, with its envelope"

# --- the default host, an empty existing directory, templates and ports
mkdir "$T/two"
mkdir -p "$T/tpl/echo/log"
printf '#!/bin/sh\n# @HOME@ @BIN@ @HOST@ @SMTP_PORT@ @POP3_PORT@ @QMTP_PORT@ @QMQP_PORT@\n' > "$T/tpl/echo/run"
printf '#!/bin/sh\nexec svlogd @HOME@/log/echo\n' > "$T/tpl/echo/log/run"
QUAIL_TEMPLATES=$T/tpl SMTP_PORT=2600 POP3_PORT=2601 QMTP_PORT=2602 QMQP_PORT=2603 mkinstance "$T/two" >/dev/null 2>"$T/err"
is "$?" 0 "an empty existing directory is used"
is "$(cat "$T/two/control/me")" "localhost" "default host: localhost"
is "$(cat "$T/two/control/locals")" "localhost" "default host: locals has it once"
nok "default host localhost: no defaultdomain" test -e "$T/two/control/defaultdomain"
is "$(sed -n 2p "$T/two/service/echo/run")" "# $T/two $BIN localhost 2600 2601 2602 2603" "templates: every placeholder filled"
is "$(sed -n 2p "$T/two/service/echo/log/run")" "exec svlogd $T/two/log/echo" "templates: log/run filled"
ok "templates: only the given ones" test ! -e "$T/two/service/queue-manager"

# --- refusals
refuse() { # NAME REGEX ARGS...: exit 100 with a message matching REGEX
  local name=$1 re=$2 out rc; shift 2
  out=$(mkinstance "$@" 2>&1); rc=$?
  is "$rc" 100 "$name: exit 100"
  like "$out" "$re" "$name: says why"
}
mkdir "$T/full"; echo keep > "$T/full/precious"
refuse "a non-empty directory" "mkinstance: fatal: $T/full is not empty: refusing to touch it" "$T/full"
is "$(ls -A "$T/full")" "precious" "a non-empty directory: left as it was"
is "$(cat "$T/full/precious")" "keep" "a non-empty directory: its file untouched"
mkdir "$T/dot"; touch "$T/dot/.hidden"
refuse "a directory holding only a dot file" "is not empty" "$T/dot"
echo x > "$T/afile"
refuse "DIR is a file" "mkinstance: fatal: $T/afile exists and is not a directory" "$T/afile"
is "$(cat "$T/afile")" "x" "DIR is a file: left as it was"
for bad in "bad host" "a/b" 'x;touch${IFS}pwned' '$(id)' 'ex@mple.org'; do
  refuse "bad hostname '$bad'" "mkinstance: fatal: bad hostname" "$T/h" "$bad"
  ok "bad hostname '$bad': nothing made" test ! -e "$T/h"
done
ok "no shell ran the hostname" test ! -e pwned -a ! -e "$T/pwned"
refuse "an empty hostname" "bad hostname" "$T/h" ""
refuse "no arguments" "usage: mkinstance DIR \[HOSTNAME\]"
refuse "three arguments" "usage: mkinstance" "$T/h" a.example b
refuse "an option" "usage: mkinstance" -x
refuse "a path with a space" "only letters, digits" "$T/with space"
ok "nothing of an instance in the refused path" test ! -e "$T/with space/control"
done_testing
