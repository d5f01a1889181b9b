#!/bin/bash
# covers cmd/quail-import.sh
# quail-import on a qmail installation built by hand from qmail's
# documented layout (INTERNALS): control files (known and unknown),
# users/assign, alias/, tcp.smtp, and a split queue with a message at each
# stage: queued (todo/), preprocessed with recipients done and not done
# (info/ local/ remote/), a virtual domain's rewritten recipient, a pending
# bounce, and one never fully queued. A dry run changes nothing; the real
# run queues exactly what qmail still owes, once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cdb-lib.sh"
inst_new
Q=$T/qmail
mkdir -p "$Q/control" "$Q/users" "$Q/alias" "$Q/queue/todo" "$Q/queue/intd"
for d in mess info local remote bounce; do for i in $(seq 0 22); do mkdir -p "$Q/queue/$d/$i"; done; done
printf 'old.example\n' > "$Q/control/me"
printf 'localhost\nold.example\n' > "$Q/control/locals"
printf 'localhost\nold.example\nvirt.example\n' > "$Q/control/rcpthosts"
printf 'virt.example:test-virt\n' > "$Q/control/virtualdomains"
printf '123456\n' > "$Q/control/databytes"
printf 'whatever\n' > "$Q/control/frobnicate"
printf '10.0.0.:allow,RELAYCLIENT=""\n:allow\n' > "$Q/control/tcp.smtp"
# qmail's assign: the instance's users and joe, who shares test's mailbox
{ grep -v '^\.$' "$INST/users/assign"; grep '^=test:' "$INST/users/assign" | sed 's/^=test:/=joe:/'; echo .; } > "$Q/users/assign"
printf '&test@localhost\n' > "$Q/alias/.qmail-postmaster"

# msg FILE-NUMBER TEXT: mess/SPLIT/N
msg() { printf 'Received: (qmail 1 invoked by uid 0); 1 Jan 2020 00:00:00 -0000\nSubject: %s\n\n%s body\n' "$2" "$2" > "$Q/queue/mess/$(( $1 % 23 ))/$1"; }
nul() { local f=$1; shift; printf '%s\0' "$@" > "$f"; }
# 101: queued, not yet preprocessed (todo/ holds qmail-queue's envelope)
msg 101 queued
nul "$Q/queue/todo/101" u0 p123 Fa@sender.example Ttest@localhost Tfar@remote.example
# 102: preprocessed; one local recipient done, one not; a remote one not done
msg 102 partial
nul "$Q/queue/info/$((102 % 23))/102" Fb@sender.example
nul "$Q/queue/local/$((102 % 23))/102" Dgone@localhost Ttest@localhost Ttest-virt-joe@virt.example
nul "$Q/queue/remote/$((102 % 23))/102" Tfar2@remote.example
# 103: every recipient done, a bounce pending
msg 103 bounced
nul "$Q/queue/info/$((103 % 23))/103" Fc@sender.example
nul "$Q/queue/local/$((103 % 23))/103" Dnobody@localhost
printf '<nobody@localhost>:\nSorry, no mailbox here by that name. (#5.1.1)\n\n' > "$Q/queue/bounce/$((103 % 23))/103"
# 104: mess/ only (qmail-queue died before todo/): never acknowledged
msg 104 incomplete

quail-import >/dev/null 2>&1
is "$?" 100 "no argument: usage, 100"
quail-import "$T/nothing" 2>"$T/err"
is "$?" 100 "not a qmail installation: 100"
like "$(cat "$T/err")" "not a qmail installation" "and says so"

cp -p "$INST/control/me" "$T/me.before"
out=$(quail-import -n "$Q" 2>&1)
is "$?" 0 "dry run exits 0"
like "$out" "would import control/databytes" "dry run: says what it would import"
like "$out" "would queue message 101 from <a@sender.example> to 2 recipient" "dry run: the queued message"
ok "dry run: control/ untouched" cmp -s "$INST/control/me" "$T/me.before"
nok "dry run: no databytes written" test -e "$INST/control/databytes"
ok "dry run: quail's queue still empty" queue_empty

out=$(quail-import "$Q" 2>&1)
is "$?" 0 "import exits 0"
is "$(cat "$INST/control/me")" old.example "control/me imported"
is "$(cat "$INST/control/databytes")" 123456 "control/databytes imported"
is "$(cat "$INST/control/me.before-import")" "$(cat "$T/me.before")" "the replaced control/me kept as me.before-import"
like "$out" "control/frobnicate: not known to quail, left out" "an unknown control file reported"
nok "and not copied" test -e "$INST/control/frobnicate"
is "$(cat "$INST/control/tcp.smtp")" "$(cat "$Q/control/tcp.smtp")" "tcp.smtp rules imported"
ok "users/assign imported and compiled by newu" cdbget "$INST/users/cdb" =joe
is "$(cat "$INST/alias/.qmail-postmaster")" "&test@localhost" "alias/.qmail-postmaster imported"
like "$out" "message 104: never fully queued" "the incomplete message is left out, said"
like "$out" "message 103: every recipient done" "the finished message is not queued again"
like "$out" "message 103: its bounce queued to c@sender.example" "its pending bounce is sent"

envs=$(q_cat "$INST/queue" | tr '\0' '\n')
like "$envs" "^Fa@sender.example$" "message 101 queued with its sender"
like "$envs" "^Tfar@remote.example$" "and its remote recipient"
like "$envs" "^Fb@sender.example$" "message 102 queued with its sender"
like "$envs" "^Tfar2@remote.example$" "102's remote recipient not done"
like "$envs" "^Tjoe@virt.example$" "102's virtual-domain recipient as it was sent (qmail's prefix undone)"
unlike "$envs" "gone@localhost" "102's done recipient is not owed again"
unlike "$envs" "test-virt-joe" "no qmail-rewritten address"
is "$(printf '%s\n' "$envs" | grep -c '^F$')" 1 "one bounce, from the null sender"
like "$envs" "^Tc@sender.example$" "to 103's sender"
is "$(q_ids "$INST/queue" | wc -l)" 3 "three messages queued in all"

out=$(quail-import "$Q" 2>&1)
is "$?" 0 "a second run exits 0"
like "$out" "message 101: imported before" "a second run queues nothing twice"
is "$(q_ids "$INST/queue" | wc -l)" 3 "still three messages"

# logging: qmail's rc with splogger makes quail's services log to syslog
is "$(head -n 1 "$INST/control/logto")" svlogd "no QMAILDIR/rc: control/logto stays svlogd"
printf '#!/bin/sh\n# splogger in a comment does not count\nexec env - PATH="/var/qmail/bin:$PATH" qmail-start ./Maildir/ multilog t ./main\n' > "$Q/rc"
quail-import "$Q" >/dev/null 2>&1
is "$(head -n 1 "$INST/control/logto")" svlogd "an rc without splogger: control/logto stays svlogd"
printf '#!/bin/sh\nexec env - PATH="/var/qmail/bin:$PATH" qmail-start ./Maildir/ splogger qmail\n' > "$Q/rc"
out=$(quail-import -n "$Q" 2>&1)
like "$out" "would import control/logto: syslog, as $Q/rc logs through splogger" "dry run: an rc with splogger would make control/logto syslog"
out=$(quail-import "$Q" 2>&1)
is "$(cat "$INST/control/logto")" syslog "qmail's rc logs through splogger: control/logto syslog"
like "$out" "sv restart $INST/service/\\*/log" "  and says to restart the log services"
is "$(head -n 1 "$INST/control/logto.before-import")" svlogd "  the old file kept"

# the queued messages are delivered by quail: the local ones to test's Maildir
qm_start
ok "101 and 102 reach test's Maildir" wait_for 20 md_has "$MD" 2
ok "the virtual domain's recipient is local to quail again" wait_for 10 grep -q "to local joe@virt.example" "$INST/qm.log"
f=$(md_grep "$MD" 'Subject: partial')
ok "102's body arrived whole" grep -q "partial body" "$f"
like "$(md_cat "$MD")" "Subject: queued" "101 delivered too"
done_testing
