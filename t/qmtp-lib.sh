# t/qmtp-lib.sh: what the qmtpd and qmqpd tests share (bash).
#
#   . "$(dirname "$0")/lib.sh"; inst_new
#   . "$(dirname "$0")/qmtp-lib.sh"
#   QM=qmtpd                      # or qmqpd: the server the helpers run
#   qmtp pkg [--crlf | --enc BYTE] SENDER RCPT...   # a QMTP package on stdout
#   qmqp pkg SENDER RCPT...       # a QMQP package (the message on stdin)
#   qmtp send PORT [hold]         # stdin to the server; its responses, then CLOSED
#   qmtp parse                    # the responses in a byte stream, one a line
#   serve LOG [tcpserver opts]    # $QM under tcpserver on 127.0.0.1; sets PORT
#   direct / direct_env VAR=VALUE...   # $QM on $T/in: $T/out, $T/err, RC
#                                      # (with $QM_ENV's VAR=VALUE words first)
#   responses                     # $T/out's responses, '|'-separated
#   ids, nmsg, clearq, queue_clean, envof ID   # the queue
#   bad NAME INPUT [LOG-REGEX]    # malformed input: exit 100, nothing said or queued
#   $T/qq71, $T/qq31              # queue programs that read the message, then exit 71 or 31
#   stalled INPUT LOG             # a client that sends INPUT and waits: closed, nothing queued, logged
#   service_start PORTVAR         # $T/svc's service/$QM/run, PORTVAR=$SP in mkinstance's environment
#
# In a client argument "\x00" is a NUL.
Q=$INST/queue

cat > "$T/qm.py" <<'EOF_PY'
import codecs, socket, sys
def ns(b): return str(len(b)).encode() + b':' + b + b','
def arg(a): return codecs.escape_decode(a.encode())[0]
def qmtp_pkg(args):
    enc = b'\n'
    if args[0] == '--crlf': enc = b'\r'; args = args[1:]
    elif args[0] == '--enc': enc = arg(args[1]); args = args[2:]
    msg = sys.stdin.buffer.read()
    if enc == b'\r': msg = msg.replace(b'\n', b'\r\n')
    sys.stdout.buffer.write(ns(enc + msg) + ns(arg(args[0])) + ns(b''.join(ns(arg(r)) for r in args[1:])))
def qmqp_pkg(args):
    msg = sys.stdin.buffer.read()
    sys.stdout.buffer.write(ns(ns(msg) + b''.join(ns(arg(a)) for a in args)))
def parse(data):
    out = []
    while data:
        c = data.find(b':')
        if c < 0 or not data[:c].isdigit(): out.append('JUNK ' + repr(data)); break
        n = int(data[:c]); body = data[c + 1:c + 1 + n]
        if len(body) < n or data[c + 1 + n:c + 2 + n] != b',': out.append('PARTIAL ' + repr(data)); break
        out.append(body.decode('latin-1')); data = data[c + 2 + n:]
    return out
def send(args):
    s = socket.create_connection(('127.0.0.1', int(args[0])), timeout=20)
    s.sendall(sys.stdin.buffer.read())
    if len(args) < 2: s.shutdown(socket.SHUT_WR)      # "hold": keep our side open
    data = b''
    try:
        while True:
            b = s.recv(65536)
            if not b: break
            data += b
    except socket.timeout:
        print('TIMEOUT')
    for r in parse(data): print(r)
    print('CLOSED')
proto, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
if cmd == 'pkg': qmtp_pkg(args) if proto == 'qmtp' else qmqp_pkg(args)
elif cmd == 'send': send(args)
else:
    for r in parse(sys.stdin.buffer.read()): print(r)
EOF_PY
printf '#!/bin/sh\ncat >/dev/null; exit 71\n' >"$T/qq71"; printf '#!/bin/sh\ncat >/dev/null; exit 31\n' >"$T/qq31"
chmod +x "$T/qq71" "$T/qq31"

qmtp() { $PY "$T/qm.py" qmtp "$@"; }
qmqp() { $PY "$T/qm.py" qmqp "$@"; }

serve() {
  local log=$1; shift
  PORT=$(free_port)
  tcpserver -v -R -H -l localhost "$@" 127.0.0.1 "$PORT" "$BIN/$QM" 2>>"$log" &
  kill_on_exit $!
  wait_for 5 grep -q 'status: 0' "$log" || { echo "Bail out! tcpserver did not start"; exit 1; }
}
direct() { TCPREMOTEIP=127.0.0.1 env ${QM_ENV:-} "$BIN/$QM" <"$T/in" >"$T/out" 2>"$T/err"; RC=$?; }
direct_env() { TCPREMOTEIP=127.0.0.1 env ${QM_ENV:-} "$@" "$BIN/$QM" <"$T/in" >"$T/out" 2>"$T/err"; RC=$?; }
responses() { qmtp parse <"$T/out" | tr '\n' '|'; }
ids() { ls "$Q/mess" | grep -v '\.env$'; }
nmsg() { ids | wc -l | tr -d ' '; }
clearq() { rm -f "$Q"/mess/* "$Q"/tmp/*; }
queue_clean() { [ -z "$(ls -A "$Q/mess" "$Q/tmp" | grep -v :)" ]; }
envof() { q_env "$Q" "$1" | od -An -c | tr -d ' \n'; }

bad() {
  clearq
  printf "$2" >"$T/in"
  direct
  is "$RC:$(cat "$T/out")" "100:" "$1: exit 100, no response"
  ok "$1: nothing queued, nothing left in tmp/" queue_clean
  [ -z "${3:-}" ] || like "$(cat "$T/err")" "$3" "$1: logged"
}

stalled() {
  clearq
  echo 1 >"$INST/control/timeoutsmtpd"
  r=$(printf "$1" | qmtp send "$PORT" hold)
  is "$r" "CLOSED" "stalled client: connection closed without a response"
  ok "stalled client: nothing queued" queue_clean
  wait_for 5 grep -q -E 'unable to read from the client: (Connection|Operation) timed out' "$2"
  ok "stalled client: time-out logged" grep -q -E 'unable to read from the client: (Connection|Operation) timed out' "$2"
  rm -f "$INST/control/timeoutsmtpd"
}

service_start() {
  SP=$(free_port)
  env "$1=$SP" "$BIN/mkinstance" "$T/svc" >/dev/null
  sh "$T/svc/service/$QM/run" >"$T/svc.log" 2>&1 &
  kill_on_exit $!
  wait_for 5 grep -q 'status: 0' "$T/svc.log"
}
