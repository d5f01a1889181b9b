#!/bin/bash
# qbiff from a .qmail file, through the real queue, onto a real terminal:
# a pty made by t/qbiff-pty.py, whose login record it writes into a utmp
# of the test's own (a tmpfs over /run in a mount namespace, so the
# machine's is untouched). biff y (the owner's x bit) gets the notice;
# biff n gets nothing.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (a mount namespace for a private /run/utmp)"
unshare -m true 2>/dev/null || skip_all "unshare -m is not allowed here"
inst_new
H=$INST/mail/test
printf './Maildir/\n|qbiff\n' > "$H/.qmail-biff"; chmod 644 "$H/.qmail-biff"
user=$(id -un)      # the instance delivers test's mail as the user running the test
export SRC BIN MD
out=$(unshare -m --propagation private bash -c 'mount -t tmpfs tmpfs /run && exec "$0" "$@"' \
  "$PY" "$SRC/t/qbiff-pty.py" "$user" test-biff@localhost 2>&1)
y=$(printf '%s\n' "$out" | sed -n 's/^y: //p')
like "$y" 'New mail for test-biff@localhost from alice@example.org' "biff y: the notice names the address and the sender"
like "$y" 'From: Alice <alice@example.org>' "the From line"
like "$y" 'Subject: biff-yes' "the Subject line"
like "$y" 'first body line' "the first body lines"
like "$y" 'second \?\[31m line' "an escape byte of the message shown as ?, never sent to the terminal"
like "$y" '\\x07' "a bell"
is "$(printf '%s\n' "$out" | sed -n 's/^delivered: //p')" 1 "biff n: the second message was delivered"
is "$(printf '%s\n' "$out" | sed -n 's/^n: //p')" "b''" "biff n: nothing written on the terminal"
ok "both in the Maildir (qbiff never fails a delivery)" md_has "$MD" 2

# without a login or the variables: nothing to do, exit 0
printf 'Subject: x\n\ny\n' | env -i "$BIN/qbiff"; is "$?" 0 "no environment: exit 0"
qbiff extra </dev/null 2>/dev/null; is "$?" 100 "an argument: usage, 100"
done_testing
