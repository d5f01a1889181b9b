# t/pop3d-lib.sh: POP3 under tcpserver for the t/pop3*.t tests (bash).
#
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/pop3d-lib.sh"
#   inst_new; pop3_setup       # $PW: test's password; no delay after a refused login
#   pop3_start [VAR=VALUE...]  # $PORT: tcpserver, pop3-login, checkpassword, pop3d; log in $PLOG
#                              # ($CHECKPW, when set, in checkpassword's place)
#   pop3_stop
#   raw ARGS...                # t/pop3-raw.py $PORT ARGS...: what the server said
#   msg NAME TEXT              # a message file $MD/new/NAME holding TEXT (printf format)
#   make_cert                  # control/servercert.pem; $T/cert.pem for clients
#   pop3_clear                 # an empty Maildir
PLOG=

pop3_setup() {
  PW=$(cat "$INST/mail/test/password")
  printf '0\n' > "$INST/control/pop3faildelay"
}

pop3_start() {
  PORT=$(free_port)
  PLOG=$INST/pop3.$PORT.log
  env "$@" tcpserver -v -R -H -l localhost -c 20 127.0.0.1 "$PORT" \
    "$BIN/pop3-login" localhost "${CHECKPW:-$BIN/checkpassword}" "$BIN/pop3d" Maildir >>"$PLOG" 2>&1 &
  POP3_PID=$!
  kill_on_exit $POP3_PID
  wait_for 5 grep -q 'status: 0/' "$PLOG" || { echo "Bail out! tcpserver did not start"; exit 1; }
}
pop3_stop() { kill "$POP3_PID" 2>/dev/null; wait "$POP3_PID" 2>/dev/null; }

raw() { "$PY" "$SRC/t/pop3-raw.py" "$PORT" "$@"; }
msg() { printf "$2" > "$MD/new/$1"; }
pop3_clear() { rm -f "$MD"/new/* "$MD"/cur/* "$MD"/tmp/*; }

make_cert() {
  command -v openssl >/dev/null || return 1
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=localhost \
    -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null || return 1
  cat "$T/cert.pem" "$T/key.pem" > "$INST/control/servercert.pem"
}
