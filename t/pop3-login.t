#!/bin/bash
# pop3-login under tcpserver: the AUTHORIZATION state, plaintext policy,
# USER/PASS, AUTH PLAIN, STLS, refused logins, temporary failures, bad input.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pop3d-lib.sh"
command -v tcpserver >/dev/null || skip_all "tcpserver (ucspi-tcp) is needed"
inst_new
pop3_setup
msg 1700000000.M1P1_0.t 'Subject: one\n\nbody one\n'
msg 1700000001.M1P1_0.t 'Subject: two\n\n.dotted\n'
# plain AUTHZID AUTHCID PASSWORD: an AUTH PLAIN response
plain() { printf '%s\0%s\0%s' "$1" "$2" "$3" | base64 -w0; }
clean() { tr -d '\r'; }
rm -f "$INST/control/servercert.pem" # mkinstance's: the first part runs without one
pop3_start                          # no AUTHPLAINTEXT: plaintext needs TLS

# --- the greeting; no plaintext before TLS
out=$(raw CAPA 'USER test' "PASS $PW" "AUTH PLAIN $(plain '' test "$PW")" AUTH QUIT | clean)
like "$(echo "$out" | head -1)" '^\+OK quail POP3 server ready <[0-9]+\.[0-9]+@localhost>$' "greeting with an APOP timestamp"
unlike "$(echo "$out" | sed -n '/capability/,/^\.$/p')" '^(USER|SASL)' "CAPA: no USER, no SASL without TLS"
like "$out" 'AUTH-RESP-CODE' "CAPA: AUTH-RESP-CODE"
unlike "$out" '^STLS$' "CAPA: no STLS without a certificate"
is "$(echo "$out" | sed -n '/capability/,/^\.$/d;2,$p')" "-ERR [AUTH] plaintext authentication is disallowed without TLS: use STLS
-ERR send USER first
-ERR [AUTH] plaintext authentication is disallowed without TLS: use STLS
+OK mechanisms follow
.
+OK bye" "USER, PASS and AUTH PLAIN refused without TLS; AUTH lists no mechanism"
unlike "$(cat "$PLOG")" 'login' "no login was tried"

# --- control/pop3plaintext allows it
touch "$INST/control/pop3plaintext"
out=$(raw CAPA 'USER test' "PASS $PW" STAT 'RETR 2' QUIT | clean)
like "$out" $'USER\nSASL PLAIN' "control/pop3plaintext: CAPA offers USER and SASL PLAIN"
like "$out" '^\+OK maildrop has 2 messages \(51 octets\)$' "USER and PASS: pop3d answers PASS"
is "$(echo "$out" | sed -n '/^+OK [0-9]* octets/,/^\.$/p')" "+OK 25 octets
Subject: two

..dotted
." "RETR through the login chain"
like "$(cat "$PLOG")" "pop3-login: pid [0-9]+ from 127.0.0.1: session ended user=test" "the session is logged"
like "$(cat "$PLOG")" "pop3d: pid [0-9]+ user test: quit retrieved=1 deleted=0" "pop3d logs as the user"
rm -f "$INST/control/pop3plaintext"
pop3_stop

# --- AUTHPLAINTEXT from tcprules: USER/PASS and AUTH PLAIN; refused logins
pop3_start AUTHPLAINTEXT=
out=$(raw 'USER test' 'PASS wrong' 'USER nobody' 'PASS wrong' 'USER test' "PASS $PW" QUIT | clean)
is "$(echo "$out" | sed -n '3p;5p')" "-ERR [AUTH] authentication failed
-ERR [AUTH] authentication failed" "a wrong password and an unknown user: the same answer"
like "$(echo "$out" | sed -n 7p)" '^\+OK maildrop has 2 messages' "after two refusals a right login still works"
like "$(cat "$PLOG")" 'login failed user=nobody' "a refused login is logged"
out=$(raw 'USER test' 'PASS a' 'USER test' 'PASS b' 'USER test' 'PASS c' 'USER test' | clean)
is "$(echo "$out" | tail -1)" "-ERR [AUTH] authentication failed; closing connection" "the third refusal closes the connection"
like "$(cat "$PLOG")" 'too many failed logins' "and is logged"

out=$(raw "AUTH PLAIN $(plain '' test "$PW")" STAT QUIT | clean)
like "$(echo "$out" | sed -n 2p)" '^\+OK maildrop has 2' "AUTH PLAIN with an initial response"
out=$(raw 'AUTH PLAIN' "$(plain test test "$PW")" STAT QUIT | clean)
is "$(echo "$out" | sed -n 2p)" "+ " "AUTH PLAIN: an empty challenge"
like "$(echo "$out" | sed -n 3p)" '^\+OK maildrop has 2' "AUTH PLAIN in two steps, authzid = authcid"
out=$(raw 'AUTH PLAIN' '*' "AUTH PLAIN !!!!" "AUTH PLAIN $(plain other test "$PW")" "AUTH PLAIN $(printf 'test\0%s' "$PW" | base64 -w0)" \
          'AUTH PLAIN =' 'AUTH CRAM-MD5' QUIT | clean)
is "$(echo "$out" | sed 1d)" "+ 
-ERR authentication cancelled
-ERR malformed base64 text
-ERR [AUTH] authorization identity differs from the user
-ERR malformed AUTH PLAIN response
-ERR malformed AUTH PLAIN response
-ERR unrecognized authentication mechanism
+OK bye" "AUTH PLAIN: cancel, bad base64, another authzid, a missing NUL, empty; an unknown mechanism"
out=$(raw AUTH QUIT | clean)
is "$(echo "$out" | sed -n '2,4p')" "+OK mechanisms follow
PLAIN
." "AUTH alone lists PLAIN"

# --- commands out of state, unknown ones, PASS not right after USER, long lines
out=$(raw STAT 'LIST' 'RETR 1' 'DELE 1' NOOP FOO 'USER test' NOOP "PASS $PW" QUIT | clean)
is "$(echo "$out" | sed 1d)" "-ERR log in first
-ERR log in first
-ERR log in first
-ERR log in first
-ERR log in first
-ERR unknown command
+OK send PASS
-ERR log in first
-ERR send USER first
+OK bye" "before a login: TRANSACTION commands and unknown ones are refused; PASS must follow USER"
bad=(); for i in $(seq 12); do bad+=(FOO); done
out=$(raw "${bad[@]}" | clean)
is "$(echo "$out" | tail -1)" "-ERR too many bad commands; closing connection" "too many bad commands: hang up"
out=$(raw "USER $(head -c 3000 /dev/zero | tr '\0' a)" QUIT | clean)
is "$(echo "$out" | sed 1d)" "-ERR line too long; closing connection" "an over-long line: -ERR, closed"
out=$(raw "USER $(head -c 200 /dev/zero | tr '\0' a)" "PASS x" QUIT | clean)
is "$(echo "$out" | sed -n 3p)" "-ERR [AUTH] authentication failed" "a 200-byte user name: refused like any"

# --- commands sent ahead of the answers: nothing is lost
out=$(raw -p 'USER test' "PASS $PW" STAT 'UIDL 1' QUIT | clean)
like "$out" '^\+OK 2 51$' "pipelined after PASS: STAT reaches pop3d"
like "$out" '^\+OK 1 1700000000.M1P1_0.t$' "pipelined: UIDL 1"
like "$out" '^\+OK bye$' "pipelined: QUIT"

# --- a connection dropped before QUIT: nothing deleted
out=$(raw 'USER test' "PASS $PW" 'DELE 1' 'DELE 2' @close | clean)
like "$out" 'message 2 deleted' "two DELEs answered"
wait_for 5 grep -q 'user test: ended disconnected' "$PLOG"
is "$(md_count "$MD")" 2 "dropped before QUIT: both messages are still there"

# --- a second session on the same mailbox: [IN-USE], one answer only
opens() { [ "$(grep -c 'user test: open' "$PLOG")" -gt "$1" ]; }
n=$(grep -c 'user test: open' "$PLOG")
raw 'USER test' "PASS $PW" @sleep @sleep @sleep QUIT >/dev/null &
first=$!
wait_for 5 opens "$n"
out=$(raw 'USER test' "PASS $PW" QUIT | clean)
is "$(echo "$out" | sed 1,2d)" "-ERR [IN-USE] the mailbox is in use by another session; try again later" \
   "the mailbox in use: [IN-USE] answers PASS, and nothing more"
wait $first

# --- the password database missing: a temporary failure, nothing touched
msg 1700000002.M1P1_0.t 'Subject: three\n\nbody\n'
mv "$INST/users/passwd.cdb" "$T/passwd.cdb"
out=$(raw 'USER test' "PASS $PW" STAT QUIT | clean)
is "$(echo "$out" | sed 1,2d)" "-ERR [SYS/TEMP] unable to log in right now; try again later" "no password database: [SYS/TEMP], then closed"
like "$(cat "$PLOG")" 'login temporary failure user=test code=111' "and logged with checkpassword's code"
like "$(cat "$PLOG")" 'checkpassword: fatal: the password database .* does not exist' "checkpassword says why"
is "$(ls "$MD/new")" "1700000002.M1P1_0.t" "no password database: new/ untouched"
is "$(md_count "$MD")" 3 "no password database: nothing deleted"
printf 'not a cdb' > "$INST/users/passwd.cdb"
out=$(raw 'USER test' "PASS $PW" STAT QUIT | clean)
is "$(echo "$out" | sed 1,2d)" "-ERR [SYS/TEMP] unable to log in right now; try again later" "a corrupt password database: [SYS/TEMP]"
is "$(md_count "$MD")" 3 "a corrupt password database: nothing deleted"
mv "$T/passwd.cdb" "$INST/users/passwd.cdb"
pop3_stop

# --- STLS
if make_cert; then
  pop3_start
  out=$(raw CAPA QUIT | clean)
  like "$out" '^STLS$' "a certificate: CAPA offers STLS"
  out=$(raw -t CAPA 'USER test' "PASS $PW" STAT 'RETR 1' QUIT | clean)
  is "$(echo "$out" | sed -n '/capability/,/^\.$/p' | tr '\n' ' ')" \
     "+OK capability list follows TOP UIDL RESP-CODES AUTH-RESP-CODE USER SASL PLAIN IMPLEMENTATION quail . " \
     "under TLS: USER and SASL PLAIN, no STLS"
  like "$out" '^\+OK 3 75$' "under TLS: USER, PASS, STAT through the relay"
  is "$(echo "$out" | sed -n '/^+OK [0-9]* octets/,/^\.$/p')" "+OK 26 octets
Subject: one

body one
." "under TLS: RETR through the relay"
  like "$(cat "$PLOG")" 'from 127.0.0.1: tls TLSv1\.[23] ' "the TLS version and cipher are logged"
  out=$(raw -t STLS 'USER test' 'PASS wrong' "AUTH PLAIN $(plain '' test "$PW")" STAT QUIT | clean)
  is "$(echo "$out" | sed -n '3,6p')" "-ERR command not permitted when TLS active
+OK send PASS
-ERR [AUTH] authentication failed
+OK maildrop has 3 messages (75 octets)" "under TLS: a second STLS refused; a refused login, then AUTH PLAIN"
  out=$(raw -t -p 'USER test' "PASS $PW" 'UIDL 3' QUIT | clean)
  like "$out" '^\+OK 3 1700000002.M1P1_0.t$' "under TLS, pipelined: nothing lost"
  chmod 600 "$INST/control/servercert.pem"
  out=$(raw -t 'USER test' "PASS $PW" STAT QUIT | clean)
  like "$out" '^\+OK 3 75$' "a certificate only root may read: the root side opens it for STLS"
  mv "$INST/control/servercert.pem" "$T/servercert.pem"
  out=$(raw STLS CAPA QUIT | clean)
  is "$(echo "$out" | sed -n 2p)" "-ERR [SYS/TEMP] TLS not available" "STLS without a certificate: -ERR [SYS/TEMP]"
  pop3_stop
else
  for i in $(seq 9); do skip "openssl is needed to make a test certificate"; done
fi

# --- another checkpassword-compatible program in checkpassword's place
cat > "$T/checkpw" <<EOS
#!/bin/bash
IFS= read -r -d '' user <&3; IFS= read -r -d '' pass <&3; IFS= read -r -d '' stamp <&3
printf '%s|%s|%s\n' "\$user" "\$pass" "\$stamp" >> "$T/checkpw.log"
[ "\$user" = alice ] && [ "\$pass" = 'open sesame' ] && cd "$INST/mail/test" && USER=alice exec "\$@"
exit 1
EOS
chmod 755 "$T/checkpw"
CHECKPW=$T/checkpw pop3_start AUTHPLAINTEXT=
out=$(raw 'USER alice' 'PASS open sesame' STAT QUIT | clean)
like "$(echo "$out" | sed -n 3p)" '^\+OK maildrop has 3 messages' "another checkpassword program: the login works"
like "$(cat "$T/checkpw.log")" '^alice\|open sesame\|<[0-9]+\.[0-9]+@localhost>$' "it got name NUL password NUL timestamp NUL on fd 3"
out=$(raw 'USER alice' 'PASS shut sesame' QUIT | clean)
is "$(echo "$out" | sed -n 3p)" "-ERR [AUTH] authentication failed" "another checkpassword program: its exit 1 refuses"
pop3_stop

# --- usage
"$BIN/pop3-login" </dev/null >/dev/null 2>"$T/err"; rc=$?
is "$rc" 100 "no arguments: exit 100"
like "$(cat "$T/err")" 'usage: pop3-login hostname checkpassword-program' "no arguments: the usage"
out=$(printf 'QUIT\r\n' | QUAIL_HOME=$T/nowhere "$BIN/pop3-login" localhost true 2>/dev/null | clean); rc=$?
is "$out" "-ERR [SYS/TEMP] temporary configuration problem; try again later" "no home directory: -ERR [SYS/TEMP]"
done_testing
