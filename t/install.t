#!/bin/bash
# make install into a DESTDIR: programs, qmail's names, man pages, the
# queue, control defaults and service directories for PREFIX; the installed
# programs work on the installed tree; a second install keeps local changes.
. "$(dirname "$0")/lib.sh"
D=$T/dest P=/opt/quail-test R=$T/dest/opt/quail-test
# a copy of the tree and its build: a PREFIX of its own rebuilds every
# object, which must not happen under the other tests' feet
S=$T/src
mkdir "$S"
(cd "$SRC" && { git ls-files -co --exclude-standard | grep -vE '^(obj|bin)/|\.deb$'; ls -d obj bin; } | tar cf - -T -) |
  tar xf - -C "$S"
make -s -C "$S" install DESTDIR="$D" PREFIX="$P" > "$T/out" 2>&1
is "$?" 0 "make install exits 0"
missing=
for p in "$S"/bin/*; do [ -x "$R/bin/$(basename "$p")" ] || missing="$missing $(basename "$p")"; done
is "$missing" "" "every program installed"
for q in qmail-queue:queue-writer qmail-inject:inject qmail-local:deliver-local qmail-remote:deliver-remote \
         qmail-qread:queue-reader qmail-smtpd:smtpd qmail-popup:pop3-login qmail-pop3d:pop3d; do
  is "$(readlink "$R/bin/${q%%:*}")" "${q#*:}" "qmail name ${q%%:*} links to ${q#*:}"
done
ok "man pages in man8" test -f "$R/man/man8/queue-manager.8"
ok "man pages in man5" test -f "$R/man/man5/quail-control.5"
ok "man pages in man1" test -f "$R/man/man1/maildirmake.1"
ok "trigger is a FIFO" test -p "$R/queue/lock/trigger"
is "$(stat -c %a "$R/queue/mess")" 700 "queue/mess is private"
ok "control/me written" test -s "$R/control/me"
for f in "$SRC"/control/*; do
  n=${f##*/}
  ok "doc/control/$n installed" cmp -s "$f" "$R/doc/control/$n"
  [ "$n" = README ] || ok "control/$n: the default copied" cmp -s "$f" "$R/control/$n"
done
ok "users/cdb compiled" test -f "$R/users/cdb"
like "$(cat "$R/service/queue-manager/run")" "QUAIL_HOME=$P " "service runs from PREFIX, not DESTDIR"
unlike "$(cat "$R/service/smtpd/run")" "$D" "no DESTDIR inside the service scripts"
ok "log service for smtpd" test -x "$R/service/smtpd/log/run"
# the installed programs on the installed tree
printf 'Subject: installed\n\nx\n' | QUAIL_HOME=$R "$R/bin/sendmail" -f a@example.org someone@example.net
is "$?" 0 "installed sendmail queues into the installed queue"
like "$(QUAIL_HOME=$R "$R/bin/queue-reader")" "someone@example.net" "installed queue-reader lists it"
nok "no /var/qmail link unless asked" test -e "$D/var/qmail"
# a second install keeps what the administrator changed
echo mail.example.org > "$R/control/me"
make -s -C "$S" install DESTDIR="$D" PREFIX="$P" > "$T/out2" 2>&1
is "$?" 0 "second install exits 0"
is "$(cat "$R/control/me")" "mail.example.org" "control/me kept"
ok "queued message kept" test -n "$(ls "$R/queue/mess")"
# QMAIL_LINK=1: /var/qmail points at the prefix, so qmail add-ons find bin/qmail-*
make -s -C "$S" install DESTDIR="$D" PREFIX="$P" QMAIL_LINK=1 > "$T/out3" 2>&1
is "$(readlink "$D/var/qmail")" "$P" "QMAIL_LINK=1: /var/qmail links to the prefix"
ok "the linked prefix holds bin/qmail-queue" test -x "$D$(readlink "$D/var/qmail")/bin/qmail-queue"
rm "$D/var/qmail"; mkdir "$D/var/qmail"
make -s -C "$S" install DESTDIR="$D" PREFIX="$P" QMAIL_LINK=1 > "$T/out4" 2>&1
ok "an existing /var/qmail is kept" test -d "$D/var/qmail" -a ! -L "$D/var/qmail"
done_testing
