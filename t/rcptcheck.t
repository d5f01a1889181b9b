#!/bin/bash
# No backscatter: smtpd (and qmtpd) refuse at RCPT a local recipient that
# deliver-local would not accept, from users/rcpt.cdb compiled by newrcpt:
# users/assign users and their extensions, .qmail-default wildcards, the
# alias directory, virtual domains, the control/rcptcheck switch, a
# missing cdb, relay clients.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
inst_new
printf 'localhost\nvirt.example\n' > "$INST/control/rcpthosts"
printf 'virt.example:vv\n' > "$INST/control/virtualdomains"
# joe: a user whose .qmail-default takes every extension; sue: only
# .qmail-list and .qmail-a-b-default; the alias dir: postmaster & co,
# .qmail-info and the virtual domain's .qmail-vv-sales
mkdir -p "$INST/mail/joe" "$INST/mail/sue"
echo ./Maildir/ > "$INST/mail/joe/.qmail-default"
echo ./Maildir/ > "$INST/mail/sue/.qmail-list"
echo ./Maildir/ > "$INST/mail/sue/.qmail-a-b-default"
echo ./Maildir/ > "$INST/mail/sue/.qmail-Upper"
echo '&test@localhost' > "$INST/alias/.qmail-info"
echo '&test@localhost' > "$INST/alias/.qmail-vv-sales"
echo '&test@localhost' > "$INST/alias/.qmail-first:last"
u=$(id -un) uid=$(id -u) gid=$(id -g)
{ printf '=joe:%s:%s:%s:%s:-::\n+joe-:%s:%s:%s:%s:-::\n' "$u" "$uid" "$gid" "$INST/mail/joe" "$u" "$uid" "$gid" "$INST/mail/joe"
  printf '=sue:%s:%s:%s:%s:-::\n+sue-:%s:%s:%s:%s:-::\n' "$u" "$uid" "$gid" "$INST/mail/sue" "$u" "$uid" "$gid" "$INST/mail/sue"
  printf '=gone:%s:%s:%s:%s:-:nothere:\n' "$u" "$uid" "$gid" "$INST/mail/sue"
  cat "$INST/users/assign"; } > "$T/assign"
mv "$T/assign" "$INST/users/assign"
ok "newu compiles users/assign" newu
ok "mkinstance and newu made users/rcpt.cdb: no backscatter by default" test -e "$INST/users/rcpt.cdb"
ok "newrcpt compiles users/rcpt.cdb" newrcpt
ok "users/rcpt.cdb exists" test -s "$INST/users/rcpt.cdb"
smtpd_start

# rcpt ADDRESS: the reply code and enhanced code to RCPT TO:<ADDRESS>
rcpt() {
  raw "$HELLO" 1 "MAIL FROM:<a@example.org>\\r\\nRCPT TO:<$1>\\r\\nQUIT\\r\\n" 3 |
    sed -n '/^250 2.1.0/{n;p;}' | cut -c1-9
}
while IFS='|' read -r addr want why; do
  [ -n "$addr" ] || continue
  is "$(rcpt "$addr")" "$want" "$why: $addr"
done <<'TABLE'
test@localhost|250 2.1.5|an exact users/assign entry
test-anything@localhost|550 5.1.1|a prefix entry without a .qmail for the extension
nobody@localhost|550 5.1.1|an unknown user (the alias catch-all has no .qmail-nobody)
NoBody@LOCALHOST|550 5.1.1|unknown in upper case
joe@localhost|250 2.1.5|joe himself
joe-anything@localhost|250 2.1.5|joe's .qmail-default takes any extension
Joe-Some.Thing@localhost|250 2.1.5|any case, dots included
sue@localhost|250 2.1.5|sue herself
sue-list@localhost|250 2.1.5|sue's .qmail-list
SUE-LIST@localhost|250 2.1.5|extension lower-cased
sue-other@localhost|550 5.1.1|sue has no .qmail-other nor -default
sue-upper@localhost|550 5.1.1|.qmail-Upper can never match (deliver-local lower-cases)
sue-a-b-c@localhost|250 2.1.5|sue's .qmail-a-b-default
sue-a-b-@localhost|250 2.1.5|.qmail-a-b-default with an empty rest
sue-a-c@localhost|550 5.1.1|not under a-b-
gone@localhost|550 5.1.1|an exact entry whose extension has no .qmail
postmaster@localhost|250 2.1.5|alias .qmail-postmaster
postmaster|250 2.1.5|bare postmaster
info@localhost|250 2.1.5|alias .qmail-info
first.last@localhost|250 2.1.5|'.' in the local part as ':' in the file name
info-x@localhost|550 5.1.1|alias without .qmail-info-x or -default
sales@virt.example|250 2.1.5|a virtual domain user (.qmail-vv-sales)
bogus@virt.example|550 5.1.1|an unknown virtual domain user
victim@elsewhere.example|553 5.7.1|remote recipients: relay rules as before
../x@localhost|550 5.1.1|a local part queue-manager would refuse
TABLE
out=$(raw "$HELLO" 1 'MAIL FROM:<a@example.org>\r\nRCPT TO:<nobody@localhost>\r\nRCPT TO:<test@localhost>\r\nDATA\r\n' 4 'Subject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n' 2)
like "$out" '550 5\.1\.1 sorry, no mailbox here by that name' "550 5.1.1 in the transaction"
is "$(env_all)" 'Fa@example.org|Ttest@localhost||' "only the known recipient enters the queue"
mess_clear
out=$(raw "$HELLO" 1 'MAIL FROM:<a@example.org>\r\nRCPT TO:<nobody@localhost>\r\nDATA\r\nQUIT\r\n' 4)
like "$out" '503 ' "no recipient left: DATA refused"
is "$(mess_count)" 0 "nothing enters the queue for an unknown user"
like "$(cat "$SLOG")" 'rcpt=<nobody@localhost>.*no such local recipient|no such local recipient.*nobody@localhost' "the refusal is logged"

# a new .qmail file needs newrcpt again
echo ./Maildir/ > "$INST/mail/sue/.qmail-new"
is "$(rcpt sue-new@localhost)" "550 5.1.1" "before newrcpt: still unknown"
newrcpt
is "$(rcpt sue-new@localhost)" "250 2.1.5" "after newrcpt: known"
# newu refreshes rcpt.cdb once it exists
echo ./Maildir/ > "$INST/mail/sue/.qmail-newer"
newu
is "$(rcpt sue-newer@localhost)" "250 2.1.5" "newu runs newrcpt when users/rcpt.cdb exists"

# relay clients are not checked
smtpd_stop
smtpd_start RELAYCLIENT=
is "$(rcpt nobody@localhost)" "250 2.1.5" "a relay client is not checked"
smtpd_stop

# the switch: control/rcptcheck 0 restores qmail's behaviour
echo 0 > "$INST/control/rcptcheck"
smtpd_start
is "$(rcpt nobody@localhost)" "250 2.1.5" "control/rcptcheck 0: accepted as qmail does"
smtpd_stop

# a missing cdb: no check; with control/rcptcheck 1 the log says so
echo 1 > "$INST/control/rcptcheck"
mv "$INST/users/rcpt.cdb" "$T/rcpt.cdb"
smtpd_start
is "$(rcpt nobody@localhost)" "250 2.1.5" "users/rcpt.cdb missing: no check"
like "$(cat "$SLOG")" 'warning: users/rcpt.cdb is missing' "the missing cdb is logged"
smtpd_stop
mv "$T/rcpt.cdb" "$INST/users/rcpt.cdb"
smtpd_start
is "$(rcpt nobody@localhost)" "550 5.1.1" "control/rcptcheck 1 with the cdb: checked"
smtpd_stop
rm -f "$INST/control/rcptcheck"

# wildcards in badmailfrom and badrcptto
printf '@*.spam.example\n*@*.junk.example\nbulk*@example.net\n' > "$INST/control/badmailfrom"
printf 'sue-*@localhost\n' > "$INST/control/badrcptto"
smtpd_start
mail() { raw "$HELLO" 1 "MAIL FROM:<$1>\\r\\nQUIT\\r\\n" 2 | grep -E '^(250 2\.1\.0|5)' | cut -c1-9; }
is "$(mail a@x.spam.example)" "553 5.7.1" "badmailfrom @*.domain"
is "$(mail a@spam.example)" "250 2.1.0" "@*.domain: not the domain itself"
is "$(mail a@b.JUNK.example)" "553 5.7.1" "badmailfrom *@*.domain, any case"
is "$(mail bulk7@example.net)" "553 5.7.1" "badmailfrom bulk*@domain"
is "$(mail sender@example.net)" "250 2.1.0" "a sender no pattern matches"
is "$(rcpt sue-list@localhost)" "553 5.7.1" "badrcptto sue-*@localhost"
is "$(rcpt sue@localhost)" "250 2.1.5" "badrcptto: sue herself is fine"
smtpd_stop
done_testing
