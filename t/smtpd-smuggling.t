#!/bin/bash
# smtpd: SMTP smuggling. Only CRLF.CRLF ends DATA; every published variant
# of a bare LF or CR end marker leaves at most one message in the queue,
# never the smuggled one.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
inst_new
smtpd_start

head='Subject: outer\r\n\r\nouter body'
smuggled='MAIL FROM:<smuggled@example.org>\r\nRCPT TO:<test@localhost>\r\nDATA\r\nSubject: smuggled\r\n\r\nsmuggled body\r\n'
# try VARIANT: the outer message, VARIANT, the smuggled one, then the real end
try() {
  mess_clear
  raw "$HELLO" 1 "$(txn outer@example.org test@localhost)" 3 "${head}$1${smuggled}"'\r\n.\r\nQUIT\r\n' 2
}

# the method can see smuggling: a real CRLF.CRLF in the middle gives two messages
out=$(try '\r\n.\r\n')
is "$(mess_count)" 2 "control: a real end marker in the middle makes a second message"
is "$(printf '%s' "$out" | grep -c '^354')" 2 "control: the second DATA is answered"

for v in '\n.\n' '\n.\r\n' '\r.\r\n' '\r\n.\r' '\r\n.\n' '\r.\n' '\n.\r' '\r\r\n.\r\r\n'; do
  out=$(try "$v")
  like "$out" '^554 5.6.0 bare LF or bare CR' "variant $v: refused at the real end with 554 5.6.0"
  is "$(mess_count)" 0 "variant $v: nothing queued"
  is "$(printf '%s' "$out" | grep -c '^354')" 1 "variant $v: the smuggled DATA is never answered"
  unlike "$(mess_all)" 'Subject: smuggled' "variant $v: no smuggled message queued"
  like "$out" '221 2.0.0' "variant $v: the session goes on to QUIT"
done
# a NUL next to the dot: a downstream MTA that drops NULs would see an end
# of data there, so a NUL anywhere in the message is refused (554 5.6.0),
# at the real end, and the session goes on
for v in '\r\n.\x00\r\n' '\r\n\x00.\r\n' 'a\x00b'; do
  out=$(try "$v")
  like "$out" '^554 5.6.0 NUL byte in the message' "NUL, $v: refused at the real end with 554 5.6.0"
  is "$(mess_count)" 0 "NUL, $v: nothing queued"
  is "$(printf '%s' "$out" | grep -c '^354')" 1 "NUL, $v: the smuggled DATA is never answered"
  like "$out" '221 2.0.0' "NUL, $v: the session goes on to QUIT"
done
like "$(cat "$SLOG")" 'rejected from=<outer@example.org> .*reason=NUL byte in the message' "NUL refusal logged"
# BDAT: the same rule, and the next transaction of the session is accepted
mess_clear
out=$(raw "$HELLO" 1 "$(txn a@example.org test@localhost | sed 's/DATA.*//')" 2 'BDAT 10 LAST\r\nab\r\n\x00.\r\ncd' 1 \
  "$(txn b@example.org test@localhost)" 3 'good\r\n.\r\nQUIT\r\n' 2)
like "$out" '554 5.6.0 NUL byte in the message' "BDAT with a NUL: 554 5.6.0 after the last chunk"
like "$out" '250 2.0.0 ok' "BDAT with a NUL: the next transaction is accepted"
is "$(env_all)" 'Fb@example.org|Ttest@localhost||' "BDAT with a NUL: only the good message queued"
unlike "$(env_all)" 'Fsmuggled' "no envelope from the smuggled sender"
like "$(cat "$SLOG")" 'rejected from=<outer@example.org> .*reason=bare LF or bare CR' "refusals logged"

# after a refusal the same session can send a good message
mess_clear
out=$(raw "$HELLO" 1 "$(txn a@example.org test@localhost)" 3 'bare\nlf\r\n.\r\n' 1 \
  "$(txn b@example.org test@localhost)" 3 'good\r\n.\r\nQUIT\r\n' 2)
like "$out" '554 5.6.0' "bare LF refused"
like "$out" '250 2.0.0 ok' "the next transaction is accepted"
is "$(env_all)" 'Fb@example.org|Ttest@localhost||' "only the good message queued"

# control/smtpnormalize: bare LF and CR become line ends, still one message
echo 1 > "$INST/control/smtpnormalize"
for v in '\n.\n' '\r\n.\r' '\r.\r\n' '\n.\r\n'; do
  out=$(try "$v")
  like "$out" '250 2.0.0 ok' "normalise, variant $v: accepted"
  is "$(mess_count)" 1 "normalise, variant $v: exactly one message"
  is "$(env_all)" 'Fouter@example.org|Ttest@localhost||' "normalise, variant $v: the outer envelope only"
  like "$(mess_all)" '^MAIL FROM:<smuggled@example.org>$' "normalise, variant $v: the smuggled text is body text"
  munlike "$(mess_all)" '\r' "normalise, variant $v: no CR stored"
done
mess_clear
raw "$HELLO" 1 "$(txn a@example.org test@localhost)" 3 'one\ntwo\rthree\r\n.dot\r\n.\r\nQUIT\r\n' 2 >/dev/null
mlike "$(mess_all)" '\none\ntwo\nthree\ndot$' "normalise: bare LF and bare CR stored as LF, dot-unstuffed"
mess_clear
out=$(raw "$HELLO" 1 "$(txn a@example.org test@localhost)" 3 'one\r\n\x00.\r\n.\r\nQUIT\r\n' 2)
like "$out" '554 5.6.0 NUL byte in the message' "normalise: a NUL is still refused"
is "$(mess_count)" 0 "normalise: the message with a NUL is not queued"
rm "$INST/control/smtpnormalize"
done_testing
