# t/smtpd-lib.sh: smtpd under tcpserver for the t/smtpd-*.t tests (bash).
#
#   . "$(dirname "$0")/lib.sh"; . "$(dirname "$0")/smtpd-lib.sh"
#   inst_new
#   smtpd_start [VAR=VALUE...] [-- smtpd-args...]
#                        # $PORT: tcpserver with bin/smtpd; log in $SLOG
#   raw ARGS...          # t/smtpd-raw.py $PORT ARGS...: what the server said
#   mess_count           # messages in queue/mess
#   mess_all             # every queued message, concatenated
#   env_all              # every envelope, NULs shown as '|'
#   rcpthosts D...       # control/rcpthosts holds exactly D...

# ESMTP conversation pieces for raw
HELLO='EHLO client.example\r\n'
SLOG=

smtpd_start() {
  local envs=() args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
  [ "${1:-}" = -- ] && { shift; args=("$@"); }
  PORT=$(free_port)
  SLOG=$INST/smtpd.$PORT.log
  env "${envs[@]}" tcpserver -v -R -H -l localhost -c 250 -b 250 127.0.0.1 "$PORT" \
    "$BIN/smtpd" "${args[@]}" >>"$SLOG" 2>&1 &
  kill_on_exit $!
  SMTPD_PID=$!
  wait_for 5 grep -q 'status: 0/' "$SLOG" || { echo "Bail out! tcpserver did not start"; exit 1; }
}
smtpd_stop() { kill "$SMTPD_PID" 2>/dev/null; wait "$SMTPD_PID" 2>/dev/null; }

raw() { "$PY" "$SRC/t/smtpd-raw.py" "$PORT" "$@"; }
mess_files() { ls "$INST/queue/mess" 2>/dev/null | grep -v '\.env$'; }
mess_count() { mess_files | wc -l | tr -d ' '; }
mess_all() { local f; for f in $(mess_files); do cat "$INST/queue/mess/$f"; done; }
env_all() { q_cat "$INST/queue" 2>/dev/null | tr '\0' '|'; }
mess_clear() { rm -f "$INST"/queue/mess/*; }
rcpthosts() { printf '%s\n' "$@" > "$INST/control/rcpthosts"; }
# a complete transaction for raw: sender, recipient, message body lines
txn() { printf 'MAIL FROM:<%s>\\r\\nRCPT TO:<%s>\\r\\nDATA\\r\\n' "$1" "$2"; }
# mlike GOT PERL-REGEX NAME: like, but the regex (Perl's, \r \n \t
# understood) may span lines
mlike() {
  if printf '%s' "$1" | RE=$2 perl -0777 -ne 'exit(/$ENV{RE}/ ? 0 : 1)'; then _result 0 "$3"
  else _result 1 "$3"; diag "got: '$(printf '%s' "$1" | head -c 2000)'" "does not match: $2"; return 1; fi
}
munlike() {
  if printf '%s' "$1" | RE=$2 perl -0777 -ne 'exit(/$ENV{RE}/ ? 0 : 1)'; then _result 1 "$3"
  diag "got: '$(printf '%s' "$1" | head -c 2000)'" "matches: $2"; return 1; else _result 0 "$3"; fi
}
