#!/bin/bash
# showctl: every control file with its value or default, unknown files,
# users/cdb, and files that cannot be read.
. "$(dirname "$0")/lib.sh"
inst_new mail.example.org
C=$INST/control
rm -f "$C/servercert.pem"   # mkinstance's; the certificate is checked below

out=$(showctl 2>"$T/err"); rc=$?
is "$rc" 0 "fresh instance: exit 0"
is "$(cat "$T/err")" "" "fresh instance: nothing on stderr"
is "$(printf '%s\n' "$out" | head -2)" "quail home directory: $INST.
queue program: $INST/bin/queue-writer." "home and queue program first"
para() { printf '%s\n' "$out" | grep -A "${2:-0}" "^$1: "; }
is "$(para me)" "me: My name is mail.example.org." "me: its value"
is "$(para locals 2)" "locals: 
Messages for localhost are delivered locally.
Messages for mail.example.org are delivered locally." "locals: one line each"
is "$(para rcpthosts 2)" "rcpthosts: 
SMTP clients may send messages to recipients at localhost.
SMTP clients may send messages to recipients at mail.example.org." "rcpthosts: one line each"
is "$(para concurrencylocal)" "concurrencylocal: Local concurrency is 10." "a number from its file"
is "$(para defaultdomain)" "defaultdomain: Default domain name is example.org." "a string from its file"
is "$(para bouncefrom)" "bouncefrom: (Default.) Bounce user name is MAILER-DAEMON." "a missing string: its default"
is "$(para bouncehost)" "bouncehost: (Default.) Bounce host name is mail.example.org." "a missing host name: control/me"
is "$(para queuelifetime)" "queuelifetime: (Default.) Message lifetime in the queue is 604800 seconds." "a missing number: its default"
is "$(para badmailfrom)" "badmailfrom: (Default.) Any MAIL FROM is allowed." "a missing list: its default text"
is "$(para morercpthosts)" "morercpthosts: (Default.) No effect." "morercpthosts beside rcpthosts"
is "$(para morercpthosts.cdb)" "morercpthosts.cdb: (Default.) No effect." "no morercpthosts.cdb"
is "$(para servercert.pem)" "servercert.pem: (Default.) No certificate: STARTTLS is not offered." "no certificate"
is "$(para users/cdb)" "users/cdb: 1 exact and 2 prefix entries. Modified recently enough; hopefully up to date." \
  "users/cdb: entries counted from mkinstance's assign"
unlike "$out" "I have no idea" "a fresh instance has no unknown file"
is "$(para databytes)" "databytes: (Default.) SMTP, QMTP and QMQP message limit is 52428800 bytes." "databytes: smtpd's default"
is "$(para smtpnormalize)" "smtpnormalize: (Default.) Bare LF or CR in SMTP DATA, and bare CR on every way in, is refused." "a missing flag file"
missing=
for f in authplaintext badmailfrom.cdb badrcptto.cdb smtpgreetdelay badrcptto concurrencyincoming \
         concurrencyremote databytes defaultdelivery defaulthost doublebouncehost doublebounceto \
         envnoathost helohost idhost localiphost maxrcpt percenthack plusdomain qmqpservers qmtproutes \
         rbls smtpgreeting smtpnormalize smtproutes tcp.smtp tcp.smtp.cdb timeoutconnect timeoutlocal \
         timeoutremote timeoutsmtpd virtualdomains; do
  printf '%s\n' "$out" | grep -q "^$f: " || missing="$missing $f"
done
is "$missing" "" "a paragraph for every known control file"

# values, lists, unknown files, bytes that must not reach the terminal
printf '1000000\n' > "$C/databytes"
printf 'spam@example.com\n# a comment\n\n@bad.example\n' > "$C/badmailfrom"
printf 'x.example:alice\n' > "$C/virtualdomains"
: > "$C/smtpnormalize"
printf 'evil\033]0;x\007host\n' > "$C/helohost"
printf 'x\n' > "$C/zzz-unknown"; printf 'x\n' > "$C/aaa-unknown"; printf 'x\n' > "$C/me~"
out=$(showctl 2>&1); rc=$?
is "$rc" 0 "with values: exit 0"
is "$(para databytes)" "databytes: SMTP, QMTP and QMQP message limit is 1000000 bytes." "databytes value"
is "$(para badmailfrom 2)" "badmailfrom: 
spam@example.com not accepted in MAIL FROM.
@bad.example not accepted in MAIL FROM." "a list without comments and blank lines"
is "$(para virtualdomains 1)" "virtualdomains: 
Virtual domain: x.example:alice" "virtualdomains"
is "$(para smtpnormalize)" "smtpnormalize: Bare LF or CR in SMTP DATA, and bare CR on every way in, is turned into a line end." "a flag file: present, even empty"
is "$(para helohost)" "helohost: SMTP client HELO host name is evil?]0;x?host." "control bytes shown as ?"
unlike "$out" $'\033' "no escape byte reaches the terminal"
is "$(printf '%s\n' "$out" | grep 'no idea')" "aaa-unknown: I have no idea what this file does.
me~: I have no idea what this file does.
zzz-unknown: I have no idea what this file does." "unknown files flagged, in name order"
rm -f "$C/zzz-unknown" "$C/aaa-unknown" "$C/me~" "$C/helohost" "$C/smtpnormalize"

# a number that is not one: flagged, exit 111, the rest still shown
printf 'soon\n' > "$C/timeoutsmtpd"
out=$(showctl 2>&1); rc=$?
is "$rc" 111 "a non-number: exit 111"
is "$(para timeoutsmtpd)" "timeoutsmtpd: Oops! This file does not start with a number." "a non-number: flagged"
like "$out" "virtualdomains: " "a non-number: the rest is still shown"
rm -f "$C/timeoutsmtpd"

# compiled files against their sources
printf 'more.example\n' > "$C/morercpthosts"
out=$(showctl)
is "$(para morercpthosts 1)" "morercpthosts: 
SMTP clients may send messages to recipients at more.example." "morercpthosts listed"
is "$(para morercpthosts.cdb)" "morercpthosts.cdb: Oops! morercpthosts exists but morercpthosts.cdb doesn't." "cdb missing"
printf 'x' > "$C/morercpthosts.cdb"; touch -d '2020-01-01' "$C/morercpthosts.cdb"
is "$(showctl | grep '^morercpthosts.cdb: ')" "morercpthosts.cdb: Oops! morercpthosts.cdb is older than morercpthosts." "cdb older"
touch "$C/morercpthosts.cdb"
is "$(showctl | grep '^morercpthosts.cdb: ')" "morercpthosts.cdb: Modified recently enough; hopefully up to date." "cdb up to date"
rm -f "$C/morercpthosts"
is "$(showctl | grep '^morercpthosts.cdb: ')" "morercpthosts.cdb: Oops! morercpthosts.cdb exists but morercpthosts doesn't." "cdb without source"
rm -f "$C/morercpthosts.cdb"
mv "$C/rcpthosts" "$T/rcpthosts"; printf 'more.example\n' > "$C/morercpthosts"
out=$(showctl)
is "$(para rcpthosts)" "rcpthosts: (Default.) No rcpthosts: SMTP clients may send messages to no recipient." "no rcpthosts"
is "$(para morercpthosts 1)" "morercpthosts: 
No rcpthosts; doesn't matter that morercpthosts has more.example." "morercpthosts without rcpthosts"
mv "$T/rcpthosts" "$C/rcpthosts"; rm -f "$C/morercpthosts"

# the certificate's private key is never printed; a readable key is flagged
printf -- '-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n' > "$C/servercert.pem"
chmod 600 "$C/servercert.pem"
out=$(showctl 2>&1); rc=$?
is "$rc" 0 "certificate mode 600: exit 0"
is "$(para servercert.pem 1)" "servercert.pem: Certificate and key present: STARTTLS is offered." "certificate present, nothing more said"
unlike "$out" "SECRETKEY" "the key is not printed"
chmod 644 "$C/servercert.pem"
out=$(showctl 2>&1); rc=$?
is "$rc" 111 "world-readable key: exit 111"
like "$(para servercert.pem 1)" "Oops! It holds the private key and everybody may read it: chmod o-r." "world-readable key flagged"
rm -f "$C/servercert.pem"

# users/assign and users/cdb
touch -d '2020-01-01' "$INST/users/cdb"
out=$(showctl 2>&1); rc=$?
is "$rc" 111 "stale users/cdb: exit 111"
is "$(para users/cdb)" "users/cdb: 1 exact and 2 prefix entries. Oops! users/cdb is older than users/assign: run newu." "stale users/cdb flagged"
newu
printf 'not a cdb' > "$INST/users/cdb"
out=$(showctl 2>&1); rc=$?
is "$rc" 111 "broken users/cdb: exit 111"
like "$(para users/cdb)" "^users/cdb: Oops! Trouble reading users/cdb" "broken users/cdb flagged"
rm -f "$INST/users/cdb"
is "$(showctl 2>&1 | grep '^users/cdb: ')" "users/cdb: Oops! users/assign exists but users/cdb doesn't: run newu." "missing users/cdb flagged"
rm -f "$INST/users/assign"
is "$(showctl 2>&1 | grep '^users/cdb: ')" \
  "users/cdb: (Default.) No users/cdb: local users are the system's accounts, else the user alias." "no users table: the default"
printf '=a:u:1:1:/h:-::\n+b-:u:1:1:/h:-::\n+:u:1:1:/h:-::\n=c:u:1:1:/h:-::\n.\n' > "$INST/users/assign"
newu
is "$(showctl 2>&1 | grep '^users/cdb: ')" "users/cdb: 2 exact and 2 prefix entries. Modified recently enough; hopefully up to date." "entries counted"

# without control/me
mv "$C/me" "$T/me"
out=$(showctl 2>&1)
is "$(para me)" "me: (Default.) My name is localhost." "no me: localhost, as queue-manager"
is "$(para bouncehost)" "bouncehost: (Default.) Bounce host name is localhost." "no me: queue-manager's host names are localhost"
is "$(para idhost)" "idhost: (Default.) Message-ID host name is idhost." "no me: inject's host names are their own names"
is "$(para defaultdomain)" "defaultdomain: Default domain name is example.org." "no me: a present file still shows its value"
mv "$T/me" "$C/me"

# QMAILQUEUE is the queue program when set
is "$(QMAILQUEUE=/usr/local/bin/filter showctl | sed -n 2p)" "queue program: /usr/local/bin/filter." "QMAILQUEUE shown"

# usage, missing and unreadable directories and files
showctl -v >/dev/null 2>"$T/err"
is "$?" 100 "an argument: exit 100"
like "$(cat "$T/err")" "usage: showctl" "an argument: usage"
QUAIL_HOME=$T/nonexistent showctl >/dev/null 2>"$T/err"
is "$?" 111 "missing home: exit 111"
like "$(cat "$T/err")" "showctl: fatal: unable to enter the quail home directory $T/nonexistent" "missing home: named"
mkdir -p "$T/nocontrol"
QUAIL_HOME=$T/nocontrol showctl >/dev/null 2>"$T/err"
is "$?" 111 "missing control/: exit 111"
like "$(cat "$T/err")" "showctl: fatal: unable to read the directory control: No such file" "missing control/: named"
if [ "$(id -u)" = 0 ]; then
  chmod 711 "$T"
  chmod 000 "$C/concurrencyremote"
  out=$(as_nobody "$BIN/showctl" 2>&1); rc=$?
  is "$rc" 111 "unreadable control file: exit 111"
  is "$(para concurrencyremote)" "concurrencyremote: Oops! Trouble reading this file: Permission denied." "unreadable control file: flagged"
  like "$out" "virtualdomains: " "unreadable control file: the rest is still shown"
  chmod 644 "$C/concurrencyremote"; chmod 000 "$C/me"
  out=$(as_nobody "$BIN/showctl" 2>&1); rc=$?
  is "$rc" 111 "unreadable control/me: exit 111"
  like "$out" "showctl: fatal: unable to read control/me: Permission denied" "unreadable control/me: named"
  chmod 644 "$C/me"; chmod 700 "$C"
  out=$(as_nobody "$BIN/showctl" 2>&1); rc=$?
  is "$rc" 111 "unreadable control/: exit 111"
  like "$out" "unable to read the directory control: Permission denied" "unreadable control/: named"
  chmod 755 "$C"; chmod 700 "$T"
else
  for i in 1 2 3 4 5 6 7; do skip "unreadable files need root to switch to uid 65534"; done
fi
done_testing
