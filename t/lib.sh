# t/lib.sh: TAP helpers and instance plumbing for quail's tests (bash).
#
#   . "$(dirname "$0")/lib.sh"
#   plan 3                      # or done_testing at the end
#   inst_new                    # $INST: a fresh instance (mkinstance), QUAIL_HOME set
#   qm_start                    # queue-manager in the background, log in $INST/qm.log
#   ok CMD... / is GOT WANT NAME / like GOT REGEX NAME / unlike ...
#   wait_for SECONDS CMD...     # poll until CMD succeeds; 1 on time-out
#   md_count MAILDIR            # messages in new/ and cur/
#
# Everything lives under $T (a temporary directory) and is removed at exit
# with every process the test started (kill_on_exit PID registers one).
set -u
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$SRC/bin
PY=/usr/bin/python3
# the compiler (and sanitizer flags) obj/libquail.a was built with, for
# the tests' C drivers (make writes obj/cc): $TEST_CC, unquoted
TEST_CC=$(cat "$SRC/obj/cc" 2>/dev/null || echo cc)
# sanitized: is this a make SANITIZE=1 build (memory bounds do not hold:
# AddressSanitizer reserves terabytes of address space, and its shadow
# memory counts in RSS)
sanitized() { case $TEST_CC in *-fsanitize=*) return 0 ;; *) return 1 ;; esac; }
# limit_vm KB: ulimit -v, but in a sanitized build
limit_vm() { sanitized || ulimit -v "$1"; }
export PATH="$BIN:$PATH"
T=$(mktemp -d "${TMPDIR:-/tmp}/quail-t.XXXXXX")
_tap_n=0 _tap_fail=0 _tap_plan= _pids=
_cleanup() {
  local p
  for p in $_pids; do kill "$p" 2>/dev/null; done
  for p in $_pids; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM

plan() { _tap_plan=$1; echo "1..$1"; }
done_testing() { [ -n "$_tap_plan" ] || echo "1..$_tap_n"; [ "$_tap_fail" = 0 ]; exit $?; }
_result() { # STATUS NAME
  _tap_n=$((_tap_n + 1))
  if [ "$1" = 0 ]; then echo "ok $_tap_n - $2"; else echo "not ok $_tap_n - $2"; _tap_fail=$((_tap_fail + 1)); fi
  return "$1"
}
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }
pass() { _result 0 "$1"; }
fail() { _result 1 "$1"; }
# ok NAME CMD...: passes when CMD exits 0
ok() { local _tap_name=$1; shift; if "$@"; then _result 0 "$_tap_name"; else _result 1 "$_tap_name"; fi; }
# nok NAME CMD...: passes when CMD exits non-zero
nok() { local _tap_name=$1; shift; if "$@"; then _result 1 "$_tap_name"; else _result 0 "$_tap_name"; fi; }
is() {
  if [ "$1" = "$2" ]; then _result 0 "$3"; else _result 1 "$3"; diag "got:      '$1'" "expected: '$2'"; return 1; fi
}
like() {
  if printf '%s' "$1" | grep -Eq -- "$2"; then _result 0 "$3"; else _result 1 "$3"; diag "got: '$(printf '%s' "$1" | head -c 2000)'" "does not match: $2"; return 1; fi
}
unlike() {
  if printf '%s' "$1" | grep -Eq -- "$2"; then _result 1 "$3"; diag "got: '$(printf '%s' "$1" | head -c 2000)'" "matches: $2"; return 1; else _result 0 "$3"; fi
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # skip $1"; }

kill_on_exit() { _pids="$_pids $1"; }

# wait_for SECONDS CMD...: poll every 50 ms
wait_for() {
  local limit=$(( $1 * 20 )) i=0; shift
  while ! "$@" 2>/dev/null; do
    i=$((i + 1)); [ $i -ge $limit ] && return 1
    sleep 0.05
  done
}

# md_count MAILDIR: messages delivered (new/ and cur/)
md_count() { find "$1/new" "$1/cur" -type f 2>/dev/null | wc -l | tr -d ' '; }
md_has() { [ "$(md_count "$1")" -ge "$2" ]; }
# md_cat MAILDIR: every delivered message, in name order
md_cat() { local f; for f in $(ls "$1/new" "$1/cur" 2>/dev/null | sort); do cat "$1/new/$f" "$1/cur/$f" 2>/dev/null; done; }
# md_grep MAILDIR REGEX: the first delivered message matching; fails when none does
md_grep() {
  local f
  f=$(grep -rlE -- "$2" "$1/new" "$1/cur" 2>/dev/null) || return 1
  printf '%s\n' "${f%%$'\n'*}"
}

# as_nobody CMD ARGS...: CMD as uid and gid 65534 (root only). A program of
# bin/ that nobody cannot reach (a clone under /root, mode 0700) runs from a
# copy in $T/nobody-bin, so the test sees the program's own error, not exec's.
as_nobody() {
  local cmd=$1; shift
  case $cmd in "$BIN"/*)
    if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$cmd"; then
      mkdir -p "$T/nobody-bin" && cp "$cmd" "$T/nobody-bin/" || return 111
      chmod o+x "$T"; chmod 755 "$T/nobody-bin"
      cmd=$T/nobody-bin/${cmd##*/}
    fi;;
  esac
  setpriv --reuid=65534 --regid=65534 --clear-groups "$cmd" "$@"
}

# reachable_by UID PATH: can uid UID reach and run PATH (a checkout under
# /root, mode 0700, cannot be reached by other users)
reachable_by() { setpriv --reuid="$1" --regid="$1" --clear-groups test -x "$2" 2>/dev/null; }

# inst_new [HOSTNAME]: $INST, a fresh instance; $MD, the Maildir of test
inst_new() {
  INST=$T/inst
  "$BIN/mkinstance" "$INST" "${1:-localhost}" >/dev/null || { echo "Bail out! mkinstance failed"; exit 1; }
  export QUAIL_HOME=$INST
  MD=$INST/mail/test/Maildir
  # never the machine's resolver: a test that wants DNS starts dnsmasq
  # (t/dnsmasq-lib.sh) and points QUAIL_RESOLVCONF at it; everything else
  # gets a name server on a loopback port where nothing listens
  if [ -z "${QUAIL_RESOLVCONF:-}" ]; then
    printf 'nameserver 127.0.0.1#9\noptions timeout:1 attempts:1\n' > "$T/resolv.dead"
    export QUAIL_RESOLVCONF=$T/resolv.dead
  fi
}

# queue-manager in the background
qm_start() {
  "$BIN/queue-manager" >>"$INST/qm.log" 2>&1 &
  QM_PID=$!
  kill_on_exit $QM_PID
  wait_for 5 test -s "$INST/qm.log" || true
}
qm_stop() { [ -n "${QM_PID:-}" ] && kill "$QM_PID" 2>/dev/null && wait "$QM_PID" 2>/dev/null; QM_PID=; }
qm_kill9() { [ -n "${QM_PID:-}" ] && kill -9 "$QM_PID" 2>/dev/null; wait "$QM_PID" 2>/dev/null; QM_PID=; }
# queue_empty: no message left in the instance's queue (an envelope is a
# message; a message file whose envelope is gone after a kill -9 is an
# orphan that queue-manager removes after an hour)
queue_empty() { [ -z "$(q_ids "$INST/queue")" ]; }
# the queue's envelopes, where queue-manager finds them (mess/ID.env, else
# the attribute of mess/ID: qenv.h): q_ids QUEUE; q_env QUEUE ID; q_cat
# QUEUE (every envelope, one after another); q_where QUEUE ID
q_ids() { $PY "$SRC/t/qenv.py" ids "$1"; }
q_env() { $PY "$SRC/t/qenv.py" env "$1" "$2"; }
q_cat() { $PY "$SRC/t/qenv.py" cat "$1"; }
q_where() { $PY "$SRC/t/qenv.py" where "$1" "$2"; }
# xattr_ok DIR: the file system of DIR takes user extended attributes (else
# queue-writer gives every envelope a file, and the tests expect that)
xattr_ok() { $PY -c 'import os,sys,tempfile
f = tempfile.NamedTemporaryFile(dir=sys.argv[1])
try: os.setxattr(f.name, "user.quail.test", b"x")
except OSError: sys.exit(1)' "$1"; }

# free_port: a TCP port on 127.0.0.1 nobody listens on
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# envelope F T...: a qmail-queue envelope on stdout
envelope() { local f=$1; shift; printf 'F%s\0' "$f"; local r; for r in "$@"; do printf 'T%s\0' "$r"; done; printf '\0'; }
# qw SENDER RCPT... < message: run queue-writer with that envelope; its exit code is qw's
qw() { "$BIN/queue-writer" 1< <(envelope "$@"); }
