#!/bin/bash
# smtpd: who may send where. rcpthosts, morercpthosts.cdb, the classic
# open-relay battery, RELAYCLIENT through tcprules, badmailfrom and
# badrcptto (and their cdb forms), missing and unreadable control files.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
inst_new
# the open-relay battery must see each trick accepted as local, not refused as unknown: the RCPT-time recipient check (t/rcptcheck.t) is off here
echo 0 > "$INST/control/rcptcheck"
rcpthosts localhost
smtpd_start

# rcpt ADDRESS-AS-SENT: the reply code and enhanced code to RCPT TO:ADDRESS
rcpt() {
  raw "$HELLO" 1 "MAIL FROM:<a@example.org>\\r\\nRCPT TO:$1\\r\\nQUIT\\r\\n" 3 |
    sed -n '/^250 2.1.0/{n;p;}' | cut -c1-9
}

# the open-relay battery: none of these may reach elsewhere.example
while IFS='|' read -r addr want why; do
  [ -n "$addr" ] || continue
  is "$(rcpt "$addr")" "$want" "$why: $addr"
done <<'BATTERY'
<victim@elsewhere.example>|553 5.7.1|plain relay attempt
victim@elsewhere.example|553 5.7.1|without angle brackets
 <victim@elsewhere.example>|553 5.7.1|a space after the colon
<victim@ELSEWHERE.example>|553 5.7.1|upper case
<@localhost:victim@elsewhere.example>|553 5.7.1|source route through us
<@localhost,@localhost:victim@elsewhere.example>|553 5.7.1|two-hop source route
<victim@elsewhere.example.>|553 5.7.1|trailing dot
<victim@elsewhere.example..>|501 5.1.3|two trailing dots
<victim@[127.0.0.1]>|553 5.7.1|address literal not in rcpthosts
<"victim@elsewhere.example">|501 5.1.3|quoted '@', no domain
<"victim@elsewhere.example"@[127.0.0.1]>|553 5.7.1|quoted '@' at a literal
<victim@elsewhere.example@localhost>|501 5.1.3|two unquoted '@'
<victim@localhost@elsewhere.example>|501 5.1.3|two unquoted '@', ours first
<victim%elsewhere.example>|553 5.1.3|percent hack without a domain
<victim@elsewhere.example%localhost>|501 5.1.3|percent in the domain
<elsewhere.example!victim>|553 5.1.3|bang path without a domain
<victim@localhost.elsewhere.example>|553 5.7.1|our name as a prefix
<victim@sub.localhost>|553 5.7.1|a subdomain of ours (exact entry)
<victim\@elsewhere.example@localhost>|501 5.1.3|backslash outside quotes
<victim@elsewhere.example> NOTIFY=NEVER|555 5.5.4|a parameter we do not offer
<>|501 5.1.3|null recipient
BATTERY

# these stay local: the domain after the last '@' is ours
mess_clear
out=$(raw "$HELLO" 1 'MAIL FROM:<a@example.org>\r\n' 1 \
  'RCPT TO:<victim%elsewhere.example@localhost>\r\nRCPT TO:<"victim@elsewhere.example"@localhost>\r\nRCPT TO:<elsewhere.example!victim@localhost>\r\nRCPT TO:<@elsewhere.example:test@localhost>\r\nRCPT TO:<test@LOCALHOST.>\r\nRCPT TO:<postmaster>\r\nDATA\r\n' 7 \
  'Subject: local\r\n\r\nx\r\n.\r\nQUIT\r\n' 2)
is "$(printf '%s' "$out" | grep -c '^250 2.1.5')" 6 "percent, quoted '@', bang, source route to us, trailing dot, postmaster: accepted"
is "$(env_all)" 'Fa@example.org|Tvictim%elsewhere.example@localhost|Tvictim@elsewhere.example@localhost|Telsewhere.example!victim@localhost|Ttest@localhost|Ttest@LOCALHOST|Tpostmaster@localhost||' \
  "the envelope keeps them local: each ends in @localhost"
like "$(cat "$SLOG")" 'refused rcpt=<victim@elsewhere.example> reason=relaying denied' "relay attempts are logged"

# subdomains with a ".domain" entry; morercpthosts.cdb (qmail's lookups)
rcpthosts localhost .localhost
is "$(rcpt '<victim@sub.localhost>')" "250 2.1.5" "rcpthosts .localhost: subdomains accepted"
is "$(rcpt '<victim@localhost.elsewhere.example>')" "553 5.7.1" "rcpthosts .localhost: still no suffix trick"
printf 'more.example 1\n.sub.example 1\n' | cdb -c -m "$INST/control/morercpthosts.cdb"
is "$(rcpt '<x@more.example>')" "250 2.1.5" "morercpthosts.cdb: exact domain"
is "$(rcpt '<x@MORE.example>')" "250 2.1.5" "morercpthosts.cdb: any case"
is "$(rcpt '<x@a.b.sub.example>')" "250 2.1.5" "morercpthosts.cdb: .sub.example covers subdomains"
is "$(rcpt '<x@sub.example>')" "553 5.7.1" "morercpthosts.cdb: .sub.example is not sub.example"
is "$(rcpt '<x@other.example>')" "553 5.7.1" "morercpthosts.cdb: others refused"
rm "$INST/control/morercpthosts.cdb"; mkdir "$INST/control/morercpthosts.cdb"
is "$(rcpt '<x@other.example>')" "451 4.3.0" "unreadable morercpthosts.cdb: 451 4.3.0"
is "$(rcpt '<test@localhost>')" "250 2.1.5" "... a domain in rcpthosts needs no cdb"
rmdir "$INST/control/morercpthosts.cdb"
rcpthosts localhost

# badmailfrom and badrcptto, text and cdb
printf 'spammer@bad.example\n@worse.example\n' > "$INST/control/badmailfrom"
printf 'cdbspammer@bad.example 1\n@cdbworse.example 1\n' | cdb -c -m "$INST/control/badmailfrom.cdb"
printf 'nobody@localhost\n' > "$INST/control/badrcptto"
printf 'gone@localhost 1\n' | cdb -c -m "$INST/control/badrcptto.cdb"
for f in spammer@bad.example SPAMMER@Bad.Example x@worse.example cdbspammer@bad.example CDBspammer@bad.example y@cdbworse.example; do
  out=$(raw "$HELLO" 1 "MAIL FROM:<$f>\\r\\nQUIT\\r\\n" 2)
  like "$out" '553 5.7.1 sender refused' "badmailfrom: <$f> refused"
done
out=$(raw "$HELLO" 1 "MAIL FROM:<ok@bad.example>\\r\\nQUIT\\r\\n" 2)
like "$out" '250 2.1.0' "badmailfrom: another address at the same domain is fine"
out=$(raw "$HELLO" 1 "MAIL FROM:<>\\r\\nQUIT\\r\\n" 2)
like "$out" '250 2.1.0' "the null sender is accepted"
is "$(rcpt '<nobody@localhost>')" "553 5.7.1" "badrcptto: refused"
is "$(rcpt '<gone@localhost>')" "553 5.7.1" "badrcptto.cdb: refused"
is "$(rcpt '<test@localhost>')" "250 2.1.5" "badrcptto: others accepted"
like "$(cat "$SLOG")" 'refused from=<spammer@bad.example> reason=badmailfrom' "badmailfrom refusals logged"
rm -f "$INST"/control/bad*

# RELAYCLIENT from tcprules: 127. may relay, and its value is appended
smtpd_stop
printf '127.:allow,RELAYCLIENT=""\n:allow\n' > "$INST/control/tcp.smtp"
tcprules "$INST/control/tcp.smtp.cdb" "$INST/control/tcp.smtp.tmp" < "$INST/control/tcp.smtp"
PORT=$(free_port); SLOG=$INST/smtpd.$PORT.log
tcpserver -v -R -H -l localhost -x "$INST/control/tcp.smtp.cdb" 127.0.0.1 "$PORT" "$BIN/smtpd" >>"$SLOG" 2>&1 &
kill_on_exit $!; SMTPD_PID=$!
wait_for 5 grep -q 'status: 0/' "$SLOG"
mess_clear
out=$(raw "$HELLO" 1 "$(txn a@example.org victim@elsewhere.example)" 3 'x\r\n.\r\nQUIT\r\n' 2)
like "$out" '250 2.0.0 ok' "RELAYCLIENT from tcp.smtp.cdb: relaying allowed"
is "$(env_all)" 'Fa@example.org|Tvictim@elsewhere.example||' "RELAYCLIENT=\"\": recipient unchanged"
smtpd_stop
smtpd_start RELAYCLIENT=.relay
mess_clear
raw "$HELLO" 1 "$(txn a@example.org victim@elsewhere.example)" 3 'x\r\n.\r\nQUIT\r\n' 2 >/dev/null
is "$(env_all)" 'Fa@example.org|Tvictim@elsewhere.example.relay||' "RELAYCLIENT's value is appended to the recipient"
smtpd_stop

# no rcpthosts at all: every recipient refused temporarily, and logged
rm "$INST/control/rcpthosts"
smtpd_start
is "$(rcpt '<test@localhost>')" "451 4.3.0" "no control/rcpthosts: 451 4.3.0 even for local mail"
like "$(cat "$SLOG")" 'control/rcpthosts is missing' "no control/rcpthosts: logged"
smtpd_stop
smtpd_start RELAYCLIENT=
is "$(rcpt '<victim@elsewhere.example>')" "250 2.1.5" "no control/rcpthosts: a relay client still relays"
smtpd_stop
rcpthosts localhost

# an unreadable control file: 421 4.3.0 at connect, naming nothing
smtpd_start
mkdir "$INST/control/databytes"
out=$(raw 'QUIT\r\n' 0)
like "$out" '^421 4.3.0 temporary configuration problem' "unreadable control/databytes: 421 4.3.0"
unlike "$out" 'databytes|control' "the reply names no file"
like "$(cat "$SLOG")" 'smtpd: warning: unable to read control/databytes: Is a directory' "the log names the file"
rmdir "$INST/control/databytes"
echo 'lots' > "$INST/control/databytes"
like "$(raw 'QUIT\r\n' 0)" '^421 4.3.0' "malformed control/databytes: 421 4.3.0"
rm "$INST/control/databytes"
smtpd_stop

# the service: run/smtpd/run in an instance compiles tcp.smtp
P=$(free_port)
SMTP_PORT=$P "$BIN/mkinstance" "$T/svc" >/dev/null
(cd "$T/svc/service/smtpd" && exec ./run) >"$T/svc.log" 2>&1 &
kill_on_exit $!
wait_for 5 grep -q 'status: 0/' "$T/svc.log"
like "$(grep -v '^#' "$T/svc/control/tcp.smtp" 2>&1)" '^127\.:allow,RELAYCLIENT=""' "run: control/tcp.smtp has the defaults"
ok "run: tcp.smtp.cdb compiled" test -s "$T/svc/control/tcp.smtp.cdb"
like "$(tr '\n' ' ' < "$T/svc.log")" 'tcpserver: status: 0/100' "run: 100 sessions by default"
out=$(swaks --server 127.0.0.1:$P --from a@example.org --to victim@elsewhere.example --body 'via the service' 2>&1)
like "$out" '<- *250 2.0.0 ok' "run: 127.0.0.1 may relay through the default rules"
like "$(q_cat "$T/svc/queue" 2>/dev/null | tr '\0' '|')" 'Tvictim@elsewhere.example' "run: the message lands in the instance's queue"
done_testing
