#!/bin/bash
# rspamd-filter in front of queue-writer, for smtpd (QMAILQUEUE), against
# Debian's rspamd on loopback (t/rspamd-lib.sh): GTUBE refused with 554
# and rspamd's reason, greylist and soft reject 451, add header and
# rewrite subject tagged, a plain message passed with its X-Spam-Status
# and the envelope told to rspamd; the controller and a Unix socket as
# rspamdserver; rspamd stopped or silent gives control/rspamdfail's
# choice (defer: 451, accept: untagged).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/smtpd-lib.sh"
. "$(dirname "$0")/rspamd-lib.sh"
command -v rspamd >/dev/null || skip_all "rspamd is not installed"
command -v swaks >/dev/null || skip_all "swaks is not installed"
inst_new
chmod 711 "$T"   # rspamd, as _rspamd, reaches its directory
rspamd_start "$T/rspamd" || { echo "Bail out! rspamd did not start"; cat "$T/rspamd/rspamd.out" >&2; exit 1; }
echo "$RSPAMD_ADDR" > "$INST/control/rspamdserver"
smtpd_start QMAILQUEUE="$BIN/rspamd-filter"
GTUBE='XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'

# send [SUBJECT [BODY [swaks options]]]: the whole conversation
send() {
  local subject=${1:-hello} body=${2:-Just a plain message.}
  shift 2 2>/dev/null || shift $#
  swaks --server "127.0.0.1:$PORT" --helo client.example --from sender@example.org \
    --to test@localhost,postmaster@localhost --header "Subject: $subject" --body "$body" "$@" 2>&1
}
last() { mess_all; }
queued_n() { mess_count; }

out=$(send "hi" "$GTUBE")
like "$out" '<\*\* 554 5\.7\.1 Gtube pattern' "GTUBE: 554 5.7.1 with rspamd's reason"
is "$(queued_n)" 0 "  nothing queued"
like "$(cat "$SLOG")" 'rejected .*reason=Gtube pattern' "  smtpd logs the refusal and the reason"

out=$(send "plain" "Just a plain message." --add-header "X-Spam: Yes" --add-header "X-Spam-Status: Yes, forged")
like "$out" '<-  250 2\.0\.0 ok' "a plain message is accepted"
m=$(last)
mlike "$m" '\nX-Spam-Status: No, score=0\.01 required=15\.00 action=no_action\s+tests=QUAIL_ENVELOPE\n' \
  "  with X-Spam-Status: rspamd saw the sender, both recipients, the IP and the HELO"
unlike "$m" 'X-Spam: Yes|forged' "  the client's own X-Spam fields are dropped"
like "$m" 'Subject: plain' "  the rest of the message as it was"
like "$m" 'Just a plain message\.' "  and its body"
like "$(env_all)" 'Fsender@example\.org\|Ttest@localhost\|Tpostmaster@localhost\|' "  the envelope passed on"
mess_clear

out=$(send "buy now quail-tag")
like "$out" '<-  250 ' "add header: accepted"
m=$(last)
like "$m" 'X-Spam: Yes' "  X-Spam: Yes"
like "$m" 'X-Spam-Status: Yes, score=6\.51 required=15\.00 action=add_header' "  X-Spam-Status: Yes with the score"
like "$m" 'tests=.*QUAIL_TAG' "  and the tests"
like "$m" 'Subject: buy now quail-tag' "  the subject unchanged"
mess_clear

out=$(send "cheap quail-rewrite")
m=$(last)
like "$m" 'Subject: \*\*\* SPAM \*\*\* cheap quail-rewrite' "rewrite subject: the subject rspamd gave"
is "$(printf '%s' "$m" | grep -c '^Subject:')" 1 "  one Subject field"
like "$m" 'X-Spam: Yes' "  and tagged"
mess_clear

out=$(send "maybe quail-greylist")
like "$out" '<\*\* 451 4\.7\.1 ' "greylist: 451 4.7.1"
out=$(send "later quail-soft")
like "$out" '<\*\* 451 4\.7\.1 busy, try later' "soft reject: 451 4.7.1 with rspamd's reason"
is "$(queued_n)" 0 "  nothing queued"

# the controller answers /checkv2 too (to its secure_ip, loopback)
echo "$RSPAMD_CONTROLLER" > "$INST/control/rspamdserver"
out=$(send "hi" "$GTUBE")
like "$out" '<\*\* 554 5\.7\.1 Gtube pattern' "rspamd's controller as rspamdserver: GTUBE refused too"
echo "$T/rspamd/normal.sock" > "$INST/control/rspamdserver"
out=$(send "hi" "$GTUBE")
like "$out" '<\*\* 554 5\.7\.1 Gtube pattern' "rspamd on a Unix socket: GTUBE refused too"
echo "$RSPAMD_ADDR" > "$INST/control/rspamdserver"

# rspamd gone: the default is to defer
rspamd_stop
out=$(send "hi")
like "$out" '<\*\* 451 4\.7\.0 spam filter unavailable' "rspamd stopped: 451 by default (rspamdfail defer)"
is "$(queued_n)" 0 "  nothing queued"
like "$(cat "$SLOG")" 'rspamd-filter: warning: unable to ask rspamd at 127\.0\.0\.1:[0-9]+: Connection refused: message deferred' \
  "  the reason logged"
echo accept > "$INST/control/rspamdfail"
out=$(send "hi" "sent while rspamd is away")
like "$out" '<-  250 ' "rspamd stopped, rspamdfail accept: accepted"
m=$(last)
unlike "$m" 'X-Spam' "  untagged"
like "$m" 'sent while rspamd is away' "  the message whole"
mess_clear

# a server that accepts and never answers: the time-out, then the choice
silent=$(free_port)
$PY -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8); c = []
while True: c.append(s.accept()[0])' "$silent" &
kill_on_exit $!
wait_for 10 $PY -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])))' "$silent"
echo "127.0.0.1:$silent" > "$INST/control/rspamdserver"
echo 1 > "$INST/control/timeoutrspamd"
out=$(send "hi" "sent while rspamd is silent")
like "$out" '<-  250 ' "rspamd silent past timeoutrspamd, accept: accepted"
unlike "$(last)" 'X-Spam' "  untagged"
mess_clear
echo defer > "$INST/control/rspamdfail"
out=$(send "hi")
like "$out" '<\*\* 451 4\.7\.0 ' "rspamd silent, defer: 451"
like "$(cat "$SLOG")" 'timed out: message deferred' "  logged as a time-out"
echo maybe > "$INST/control/rspamdfail"
out=$(send "hi")
like "$out" '<\*\* 451 ' "a bad rspamdfail: 451 (a configuration error)"

# usage
"$BIN/rspamd-filter" extra >/dev/null 2>&1; is "$?" 100 "an argument is a usage error"
done_testing
