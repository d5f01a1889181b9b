#!/bin/bash
# Outbound smuggling, end to end: a message that holds a bare CR or a NUL
# next to a dot ("hello\r.\r\nMAIL FROM:..." or "\n\0.\n") must never leave
# through deliver-remote as bytes a receiver could read as the end of DATA.
# Every way into the queue (smtpd DATA and BDAT, qmtpd, qmqpd, sendmail,
# inject) refuses such a message, or with control/smtpnormalize stores the
# CR as a line end; deliver-remote sends whatever the queue holds (here put
# there by queue-writer itself) with every line end as CRLF, no NUL, and
# dot-stuffing after each. A real SMTP peer on loopback records the bytes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dnsmasq-lib.sh"
inst_new
. "$(dirname "$0")/smtpd-lib.sh"
. "$(dirname "$0")/qmtp-lib.sh"
PPORT=$(free_port)
peer_start far 127.0.0.1 "$PPORT"
printf 'remote.test:[127.0.0.1]:%s\n' "$PPORT" > "$INST/control/smtproutes"
smtpd_start RELAYCLIENT=
qm_start

forged='MAIL FROM:<forged@evil.test>\nRCPT TO:<victim@remote.test>\nDATA\nSubject: forged\n\nforged\n'
CRBODY="hello\\r.\\r\\n$forged"       # LF form: a bare CR before the dot and after it
NULBODY="hello\\n\\0.\\n$forged"      # a NUL before the dot
crlf() { printf '%s' "$1" | sed -e 's/\\r\\n/@CRLF@/g' -e 's/\\n/\\r\\n/g' -e 's/@CRLF@/\\r\\n/g'; }   # SMTP's CRLF form

# enter PATH BODY: the message "Subject: PATH" with BODY, in by PATH; prints
# what the entry said (a reply or an exit code)
enter() {
  local path=$1 body=$2 msg
  msg="Subject: $path\\n\\n$body"
  case $path in
    smtpd-data) raw "$HELLO" 1 'MAIL FROM:<a@localhost>\r\nRCPT TO:<r@remote.test>\r\nDATA\r\n' 3 \
                  "$(crlf "$msg")"'\r\n.\r\nQUIT\r\n' 2 | grep -E '^(250 2.0.0 ok|5[0-9][0-9] )' | cut -c1-3 ;;
    smtpd-bdat) local b; b=$(crlf "$msg"); b=$(printf "$b" | wc -c)
                raw "$HELLO" 1 'MAIL FROM:<a@localhost>\r\nRCPT TO:<r@remote.test>\r\n' 2 \
                  "BDAT $b LAST\\r\\n$(crlf "$msg")QUIT\\r\\n" 2 | grep -E '^(250 2.0.0 ok|5[0-9][0-9] )' | cut -c1-3 ;;
    qmtpd)      printf "$msg" | qmtp pkg a@localhost r@remote.test >"$T/in"; QM=qmtpd direct_env RELAYCLIENT=
                responses | cut -c1 ;;
    qmqpd)      printf "$msg" | qmqp pkg a@localhost r@remote.test >"$T/in"; QM=qmqpd direct_env RELAYCLIENT=
                responses | cut -c1 ;;
    sendmail)   printf "$msg" | "$BIN/sendmail" -f a@localhost r@remote.test 2>/dev/null; echo $? ;;
    inject)     printf "$msg" | "$BIN/inject" -f a@localhost r@remote.test 2>/dev/null; echo $? ;;
  esac
}
PATHS='smtpd-data smtpd-bdat qmtpd qmqpd sendmail inject'
refused() { case $1 in 5*|D|100) return 0 ;; esac; return 1; }
accepted() { case $1 in 250|K|0) return 0 ;; esac; return 1; }

# wire_ok FILE: the peer's raw DATA bytes hold no bare CR, bare LF or NUL,
# no line that is a lone dot, and the dot of "hello" CR "." is stuffed
wire_ok() {
  $PY - "$1" <<'PY'
import re, sys
b = open(sys.argv[1], 'rb').read()
bad = re.search(rb'\r(?!\n)|(?<!\r)\n|\x00', b) or b'\r\n.\r\n' in b or b.startswith(b'.\r\n')
sys.exit(1 if bad or b'hello\r\n..\r\nMAIL FROM:<forged@evil.test>\r\n' not in b else 0)
PY
}
delivered() { grep -c '^DATA-BYTES' "$T/far.log"; }

# ---- default: every way in refuses a bare CR and a NUL ----
for p in $PATHS; do
  r=$(enter "$p" "$CRBODY"); ok "$p, bare CR: refused ($r)" refused "$r"
  r=$(enter "$p" "$NULBODY"); ok "$p, NUL: refused ($r)" refused "$r"
done
ok "nothing was queued by them" wait_for 10 queue_empty
is "$(delivered)" 0 "the peer got nothing from them"

# ---- what the queue holds anyway leaves clean: deliver-remote ----
printf "Subject: queued-cr\n\n$CRBODY" | qw a@localhost r@remote.test
printf "Subject: queued-nul\n\n$NULBODY" | qw a@localhost r@remote.test
ok "the two queued messages are delivered" wait_for 15 queue_empty
is "$(delivered)" 2 "the peer got two messages, no forged third"
for k in 1 2; do
  ok "queued message $k: CRLF only, no NUL, the dot stuffed on the wire" wire_ok "$T/far.log.$k"
done
unlike "$(cat "$T/far.log")" 'forged@evil' "no forged command reached the peer"

# ---- smtpnormalize: a bare CR becomes a line end on every way in ----
echo 1 > "$INST/control/smtpnormalize"
n=2
for p in $PATHS; do
  r=$(enter "$p" "$CRBODY"); ok "smtpnormalize, $p, bare CR: accepted ($r)" accepted "$r"
  n=$((n + 1))
  ok "smtpnormalize, $p: delivered" wait_for 15 eval '[ "$(delivered)" -ge '$n' ]'
  ok "smtpnormalize, $p: CRLF only, the dot stuffed on the wire" wire_ok "$T/far.log.$n"
  r=$(enter "$p" "$NULBODY"); ok "smtpnormalize, $p, NUL: still refused ($r)" refused "$r"
done
ok "the queue empties" wait_for 15 queue_empty
is "$(delivered)" "$n" "one message at the peer for each accepted one, no forged ones"
unlike "$(cat "$T/far.log")" 'forged@evil' "no forged command reached the peer"
rm -f "$INST/control/smtpnormalize"
done_testing
