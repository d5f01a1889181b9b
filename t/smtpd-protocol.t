#!/bin/bash
# smtpd: RFC 5321 conversation, replies, what lands in the queue, pipelining,
# SMTPUTF8, real clients (swaks, python smtplib, curl), queue failures.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
inst_new
rm -f "$INST/control/servercert.pem"   # mkinstance's: this server offers no STARTTLS
# the UTF-8 and parsing tests send to local parts that no user owns: the RCPT-time recipient check (t/rcptcheck.t) is off here
echo 0 > "$INST/control/rcptcheck"
smtpd_start

out=$(raw "$HELLO" 1 'QUIT\r\n' 1)
mlike "$out" '^220 localhost ESMTP\r' "greeting names control/me"
for k in PIPELINING 8BITMIME 'SIZE 52428800' ENHANCEDSTATUSCODES SMTPUTF8 CHUNKING ETRN; do
  mlike "$out" "\\n250-$k\\r\\n" "EHLO announces $k"
done
unlike "$out" 'STARTTLS|AUTH' "no STARTTLS without a certificate, no AUTH without checkpassword"
mlike "$out" '250 HELP\r\n221 2.0.0 ' "last EHLO line, then QUIT answered 221 2.0.0"

out=$(raw 'HELO client.example\r\n' 1 'NOOP\r\nRSET\r\nVRFY root\r\nEXPN list\r\nHELP\r\nQUIT\r\n' 6)
mlike "$out" '\r\n250 localhost\r\n' "HELO: 250 with our name"
mlike "$out" '250 2.0.0 ok\r\n250 2.0.0 ok\r\n' "NOOP and RSET: 250 2.0.0"
like "$out" '252 2.5.0 ' "VRFY: 252, no user enumeration"
like "$out" '502 5.5.1 ' "EXPN: 502 5.5.1"
mlike "$out" '214-2.0.0 .*\r\n214 2.0.0 HELO EHLO' "HELP: multi-line 214"

# sequence errors
out=$(raw 'MAIL FROM:<a@example.org>\r\n' 1 "$HELLO" 1 'RCPT TO:<test@localhost>\r\n' 1 'DATA\r\n' 1 \
  'MAIL FROM:<a@example.org>\r\nMAIL FROM:<b@example.org>\r\nDATA\r\nHELO\r\nQUIT\r\n' 5)
mlike "$out" '220 [^\n]*\n503 5.5.1 send HELO' "MAIL before HELO: 503 5.5.1"
mlike "$out" 'HELP\r\n503 5.5.1 send MAIL first\r\n503 5.5.1 send MAIL first' "RCPT and DATA before MAIL: 503"
like "$out" '503 5.5.1 nested MAIL' "a second MAIL: 503"
like "$out" '503 5.5.1 no valid recipients' "DATA without recipients: 503"
like "$out" '501 5.5.4 HELO and EHLO need' "HELO without a domain: 501 5.5.4"
is "$(mess_count)" 0 "nothing queued by the failed sequences"

# syntax errors and an unknown command
out=$(raw "$HELLO" 1 'MAIL <a@example.org>\r\nMAIL FROM:<a b@example.org>\r\nMAIL FROM:<a@example.org> FOO=BAR\r\nMAIL FROM:<a@example.org> SIZE=xyz\r\nFROB\r\nMAIL FROM:<a@example.org\r\nQUIT\r\n' 7)
like "$out" '501 5.5.2 syntax: MAIL FROM' "MAIL without FROM: 501 5.5.2"
mlike "$out" '501 5.1.7 bad sender address syntax\r\n555 5.5.4' "a space in the address: 501 5.1.7; unknown parameter: 555 5.5.4"
mlike "$out" '555 5.5.4 [^\r]*\r\n500 5.5.1 command not recognized\r\n501 5.1.7' "bad SIZE: 555; unknown command: 500 5.5.1; missing '>': 501"

# a message: Received line, dot-unstuffing, LF line ends, envelope
mess_clear
body='Subject: one\r\nX-Test: yes\r\n\r\nline 1\r\n..leading dot\r\n.\r\n'
out=$(raw "$HELLO" 1 "$(txn a@example.org test@localhost)" 3 "$body" 1 'QUIT\r\n' 1)
mlike "$out" '250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n354 go ahead' "MAIL 250 2.1.0, RCPT 250 2.1.5, DATA 354"
mlike "$out" '250 2.0.0 ok: queued as qp [0-9]+\r\n221' "end of DATA: 250 2.0.0"
is "$(mess_count)" 1 "one message in queue/mess"
m=$(mess_all)
mlike "$m" '^Received: \(quail [0-9]+ invoked by uid [0-9]+\); [^\n]*\nReceived: from client.example \(\[127.0.0.1\]\)\n\tby localhost \(quail smtpd\) with ESMTP;\n\t[A-Z][a-z][a-z], ' \
  "Received line names the HELO, the IP, our name and ESMTP"
mlike "$m" '\nSubject: one\nX-Test: yes\n\nline 1\n\.leading dot$' "dot-unstuffed, stored with LF line ends"
munlike "$m" '\r' "no CR stored"
is "$(env_all)" 'Fa@example.org|Ttest@localhost||' "envelope: sender and recipient"
like "$(cat "$SLOG")" 'smtpd: pid [0-9]+ from 127.0.0.1: accepted from=<a@example.org> to=<test@localhost> size=[0-9]+ helo=client.example' "one log line for the transaction"

# null sender, several recipients, HELO gives SMTP
mess_clear
out=$(raw 'HELO old.example\r\n' 1 'MAIL FROM:<>\r\nRCPT TO:<test@localhost>\r\nRCPT TO:<Postmaster>\r\nDATA\r\n' 4 'x\r\n.\r\nQUIT\r\n' 2)
mlike "$out" '250 2.1.0 [^\n]*\n250 2.1.5 [^\n]*\n250 2.1.5 [^\n]*\n354' "null sender and <Postmaster> accepted"
is "$(env_all)" 'F|Ttest@localhost|TPostmaster@localhost||' "envelope: empty sender, postmaster qualified with control/me"
like "$(mess_all)" 'with SMTP;' "Received says SMTP after HELO"

# pipelining: everything in one write, the replies in order
mess_clear
out=$(raw "${HELLO}MAIL FROM:<p@example.org>\\r\\nRCPT TO:<test@localhost>\\r\\nRCPT TO:<nobody@elsewhere.example>\\r\\nRCPT TO:<test@localhost>\\r\\nDATA\\r\\n" 6 \
  'pipelined\r\n.\r\nRSET\r\nNOOP\r\nQUIT\r\n' 4)
codes=$(printf '%s' "$out" | grep -oE '^[0-9]{3}[ -]' | tr -d ' -' | tr '\n' ' ')
is "$codes" "220 250 250 250 250 250 250 250 250 250 250 250 553 250 354 250 250 250 221 " "pipelined replies in order"
is "$(mess_count)" 1 "pipelined message queued"
is "$(env_all)" 'Fp@example.org|Ttest@localhost|Ttest@localhost||' "only the accepted recipients in the envelope"

# CHUNKING (RFC 3030): BDAT chunks, no dot-stuffing, CRLF split across chunks
mess_clear
out=$(raw "$HELLO" 1 'MAIL FROM:<b@example.org>\r\nRCPT TO:<test@localhost>\r\nBDAT 11\r\nSubject: c\r' 3 \
  'BDAT 19 LAST\r\n\n\r\n.dot line\r\nend\r\n' 1 'QUIT\r\n' 1)
mlike "$out" '250 2.1.5 [^\n]*\n250 2.0.0 11 octets received\r\n250 2.0.0 ok: queued' "BDAT: 250 per chunk, then queued at LAST"
mlike "$(mess_all)" 'with ESMTP;\n[^\n]*\nSubject: c\n\n\.dot line\nend$' "BDAT: CRLF across chunks, dots kept, LF stored"
is "$(env_all)" 'Fb@example.org|Ttest@localhost||' "BDAT: the envelope"
mess_clear
out=$(raw "$HELLO" 1 'BDAT 6\r\nQUIT\r\nNOOP\r\n' 2 "$(txn a@example.org test@localhost | sed 's/DATA.*//')" 2 \
  'BDAT 5\r\na\nb\r\nDATA\r\nBDAT 0 LAST\r\nBDAT x\r\n' 4)
mlike "$out" '503 5.5.1 send MAIL first\r\n250 2.0.0 ok\r\n' "BDAT before MAIL: 503, and its chunk is skipped, not run"
like "$out" '503 5.5.1 DATA after BDAT' "DATA after BDAT: 503"
like "$out" '554 5.6.0 bare LF' "BDAT: a bare LF is refused at LAST"
like "$out" '501 5.5.4 syntax: BDAT' "BDAT without a size: 501 and hang up"
is "$(mess_count)" 0 "nothing queued"
ok "and nothing left in queue/tmp by the writers stopped" wait_for 5 sh -c "[ -z \"\$(ls -A '$INST/queue/tmp')\" ]"

# early talker: a client that speaks before the greeting is refused
echo 1 > "$INST/control/smtpgreetdelay"
out=$(raw -e "$HELLO" 0)
like "$out" '^554 5.5.0 you talked before my greeting' "early talker: 554 5.5.0 instead of a greeting"
unlike "$out" '^220' "early talker gets no greeting"
rm "$INST/control/smtpgreetdelay"

# too many bad commands: hang up
out=$(raw "$HELLO" 1 "$(for i in $(seq 12); do printf 'JUNK\\r\\n'; done)" 12)
like "$out" '421 4.7.0 too many bad commands' "the 11th bad command: 421 and hang up"
is "$(printf '%s' "$out" | grep -c '^500 5.5.1')" 10 "ten 500 replies before that"
out=$(raw "$HELLO" 1 'NOOP\0x\r\nQUIT\r\n' 2)
like "$out" '500 5.5.2 bad characters' "NUL in a command line: 500 5.5.2"

# SMTPUTF8 (RFC 6531): accepted with the parameter, refused without it
mess_clear
out=$(raw "$HELLO" 1 'MAIL FROM:<j\xc3\xb6rg@example.org>\r\nMAIL FROM:<j\xc3\xb6rg@example.org> SMTPUTF8\r\nRCPT TO:<t\xc3\xa9st@localhost>\r\nDATA\r\n' 4 'Subject: \xc3\xa9t\xc3\xa9\r\n\r\n8bit body \xe2\x82\xac\r\n.\r\nQUIT\r\n' 2)
like "$out" '553 5.6.7 non-ASCII address without SMTPUTF8' "UTF-8 sender without SMTPUTF8: 553 5.6.7"
mlike "$out" '250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n354' "UTF-8 sender and recipient with SMTPUTF8"
is "$(env_all)" "$(printf 'Fj\xc3\xb6rg@example.org|Tt\xc3\xa9st@localhost||')" "UTF-8 addresses passed on in the envelope"
like "$(mess_all)" 'with UTF8SMTP;' "Received says UTF8SMTP"
like "$(mess_all)" "$(printf '8bit body \xe2\x82\xac')" "8-bit body stored as is"

# swaks, plain and pipelined
mess_clear
out=$(swaks --server 127.0.0.1:$PORT --from s@example.org --to test@localhost --header 'Subject: by swaks' --body 'swaks body' 2>&1)
like "$out" '<- *250 2.0.0 ok' "swaks: accepted"
out=$(swaks --pipeline --server 127.0.0.1:$PORT --from s2@example.org --to test@localhost,postmaster@localhost --body 'piped' 2>&1)
like "$out" '<- *250 2.0.0 ok' "swaks --pipeline: accepted"
is "$(mess_count)" 2 "two swaks messages queued"
mlike "$(mess_all)" 'Subject: by swaks\n' "swaks message stored"
like "$(env_all)" 'Fs2@example.org\|Ttest@localhost\|Tpostmaster@localhost\|\|' "swaks pipelined envelope"

# python smtplib
mess_clear
$PY - "$PORT" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.example")
s.sendmail("py@example.org", ["test@localhost"], "Subject: by python\r\n\r\nhello\r\n.starts with a dot\r\n")
s.quit()
PY
is "$?" 0 "python smtplib: sendmail succeeded"
mlike "$(mess_all)" 'from py.example [^\n]*\n[^\n]*\n[^\n]*\nSubject: by python\n\nhello\n\.starts with a dot$' "smtplib message stored, dot line intact"

# curl
mess_clear
printf 'Subject: by curl\r\n\r\ncurl body\r\n' > "$T/curl.txt"
curl -s --url "smtp://127.0.0.1:$PORT" --mail-from c@example.org --mail-rcpt test@localhost --upload-file "$T/curl.txt"
is "$?" 0 "curl: upload succeeded"
mlike "$(mess_all)" 'Subject: by curl\n\ncurl body' "curl message stored"

# queue-writer failures: never 250
for code in 71 31 81; do
  printf '#!/bin/sh\ncat >/dev/null\nexit %s\n' "$code" > "$T/qq$code"; chmod 755 "$T/qq$code"
done
printf '#!/bin/sh\nexit 71\n' > "$T/qqearly"; chmod 755 "$T/qqearly"
smtpd_stop
for c in 71:451:4.3.0 31:554:5.3.0 81:451:4.3.0 early:451:4.3.0; do
  smtpd_start QMAILQUEUE="$T/qq${c%%:*}"
  mess_clear
  out=$(raw "$HELLO" 1 "$(txn a@example.org test@localhost)" 3 'Subject: x\r\n\r\nbody\r\n.\r\n' 1 'QUIT\r\n' 1)
  want=${c#*:}
  like "$out" "${want%%:*} ${want#*:} " "queue exits ${c%%:*}: ${want%%:*} ${want#*:}"
  unlike "$out" '250 2.0.0 ok' "queue exits ${c%%:*}: no 250 for the message"
  smtpd_stop
done
like "$(cat "$SLOG")" 'rejected from=<a@example.org> .* reason=' "a queue failure is logged as rejected"
is "$(mess_count)" 0 "nothing queued while queue-writer fails"

# the 354 goes out before queue-writer starts; when it cannot start (no
# descriptor left for its pipes) the message is read and refused with 451
mess_clear
out=$( (sleep 0.3; printf "$HELLO$(txn a@example.org test@localhost)"; sleep 0.5; printf 'Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n'; sleep 0.5) |
  TCPREMOTEIP=127.0.0.1 prlimit --nofile=5:5 "$BIN/smtpd" 2>"$T/nofd.log")
like "$out" '354 go ahead' "no descriptors: 354 all the same"
like "$out" '451 4.3.0 unable to queue messages right now' "then 451 4.3.0 after the message"
like "$out" '221 2.0.0' "and the session goes on"
like "$(cat "$T/nofd.log")" 'reason=unable to run the queue' "logged as rejected"
is "$(mess_count)" 0 "nothing queued"

# the writer gets the Received line as it starts, not with the message:
# it makes its file while the client is still sending
printf '#!/bin/sh\nIFS= read -r l; printf "%%s\\n" "$l" > "%s"; cat > "%s"\n' "$T/first" "$T/rest" > "$T/qqfirst"
chmod 755 "$T/qqfirst"
out=$( (sleep 0.3; printf "$HELLO$(txn a@example.org test@localhost)Subject: early\r\n"
        for i in $(seq 100); do [ -s "$T/first" ] && break; sleep 0.05; done
        [ -s "$T/first" ] && printf 'X-Seen: first line before the end\r\n'
        printf '\r\nbody\r\n.\r\nQUIT\r\n') |
  TCPREMOTEIP=127.0.0.1 QMAILQUEUE="$T/qqfirst" "$BIN/smtpd" 2>/dev/null)
like "$(cat "$T/first" 2>/dev/null)" '^Received: from ' "the first line the writer reads is the Received line"
like "$(cat "$T/rest")" 'X-Seen: first line before the end' "while the client was still sending"
like "$out" '250 2.0.0 ok' "and the message was accepted"

# queue-writer starts after the first recipient, while the client thinks
# about its next command; it touches the queue only when the message
# comes, and a transaction that ends without one stops it
printf '#!/bin/sh\necho $$ > "%s"\nexec cat > "%s"\n' "$T/qqpid" "$T/qqmsg" > "$T/qqstart"
chmod 755 "$T/qqstart"
rm -f "$T/qqpid"
out=$( (sleep 0.3; printf "$HELLO$(txn a@example.org test@localhost | sed 's/DATA.*//')"
        for i in $(seq 100); do [ -s "$T/qqpid" ] && break; sleep 0.05; done
        [ -s "$T/qqpid" ] && echo started > "$T/before"
        printf 'DATA\r\nSubject: pre\r\n\r\nbody\r\n.\r\nQUIT\r\n') |
  TCPREMOTEIP=127.0.0.1 QMAILQUEUE="$T/qqstart" "$BIN/smtpd" 2>/dev/null)
is "$(cat "$T/before" 2>/dev/null)" started "the writer was running before the client sent DATA"
like "$out" '250 2.0.0 ok' "the message accepted through it"
like "$(cat "$T/qqmsg")" 'Subject: pre' "and handed to it whole"
# a recipient, then RSET: the writer is stopped; the next transaction
# gets a writer of its own; QUIT after a recipient stops that one too
printf '#!/bin/sh\necho $$ >> "%s"\nexec "%s"\n' "$T/qqpids" "$BIN/queue-writer" > "$T/qqwrap"
chmod 755 "$T/qqwrap"
mess_clear
rm -f "$INST"/queue/tmp/* "$T/qqpids"
writers() { for i in $(seq 100); do [ "$(cat "$T/qqpids" 2>/dev/null | wc -l)" -ge "$1" ] && return; sleep 0.05; done; }
out=$( (sleep 0.3; printf "$HELLO$(txn a@example.org test@localhost | sed 's/DATA.*//')"; writers 1
        printf "RSET\r\n$(txn b@example.org test@localhost)Subject: second\r\n\r\nbody\r\n.\r\n"
        printf "$(txn c@example.org test@localhost | sed 's/DATA.*//')"; writers 3; printf 'QUIT\r\n') |
  TCPREMOTEIP=127.0.0.1 QMAILQUEUE="$T/qqwrap" "$BIN/smtpd" 2>/dev/null)
like "$out" '250 2.0.0 ok' "after RSET the next transaction is queued"
is "$(wc -l < "$T/qqpids")" 3 "a writer for each of the three transactions"
ok "none left running" wait_for 5 sh -c "! kill -0 $(tr '\n' ' ' < "$T/qqpids") 2>/dev/null"
is "$(mess_count)" 1 "one message queued"
like "$(env_all)" '^Fb@example.org' "the second transaction's"
is "$(ls "$INST/queue/tmp" | wc -l)" 0 "and nothing left in queue/tmp"
done_testing
