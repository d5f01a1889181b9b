#!/bin/bash
# maildirmake: a Maildir with tmp/, new/, cur/, mode 700; refuses to
# touch an existing directory; leaves nothing behind on failure.
. "$(dirname "$0")/lib.sh"
MM=$BIN/maildirmake

out=$("$MM" 2>&1); rc=$?
is "$rc" 100 "no argument: usage, exit 100"
like "$out" 'usage: maildirmake dir' "usage text"
out=$("$MM" "$T/a" "$T/b" 2>&1); rc=$?
is "$rc" 100 "two arguments: usage"
ok "and nothing made" test ! -e "$T/a" -a ! -e "$T/b"

umask 022
out=$("$MM" "$T/md" 2>&1); rc=$?
is "$rc" 0 "made"
is "$out" "" "silent on success"
is "$(cd "$T/md" && ls -d */ | tr -d '\n')" "cur/new/tmp/" "tmp, new and cur, nothing else"
is "$(stat -c %a "$T/md" "$T/md/tmp" "$T/md/new" "$T/md/cur" | tr '\n' ' ')" "700 700 700 700 " "every directory mode 700, whatever the umask"

echo keep > "$T/md/new/msg"
out=$("$MM" "$T/md" 2>&1); rc=$?
is "$rc" 111 "an existing directory: failure"
like "$out" "^maildirmake: fatal: unable to make the Maildir $T/md: File exists$" "names it and the reason"
is "$(cat "$T/md/new/msg")" keep "the existing Maildir is untouched"
mkdir "$T/empty"
out=$("$MM" "$T/empty" 2>&1); rc=$?
is "$rc" 111 "an existing empty directory: failure"
is "$(ls -A "$T/empty")" "" "and nothing made inside it"
touch "$T/plainfile"
out=$("$MM" "$T/plainfile" 2>&1); rc=$?
is "$rc" 111 "an existing file: failure"

out=$("$MM" "$T/no/such/parent/md" 2>&1); rc=$?
is "$rc" 111 "missing parent directory: failure"
like "$out" 'No such file or directory' "says why"
ok "nothing made" test ! -e "$T/no"

# a parent that is not writable (as nobody; root may write anywhere)
mkdir -p "$T/ro"
chmod 755 "$T" "$T/ro"
if [ "$(id -u)" = 0 ]; then
  out=$(as_nobody "$MM" "$T/ro/md" 2>&1); rc=$?
  is "$rc" 111 "unwritable parent: failure"
  like "$out" 'Permission denied' "says permission denied"
else
  chmod 555 "$T/ro"
  out=$("$MM" "$T/ro/md" 2>&1); rc=$?
  is "$rc" 111 "unwritable parent: failure"
  like "$out" 'Permission denied' "says permission denied"
fi

# deliver-local delivers into what maildirmake made
mkdir -p "$T/home"
chmod 755 "$T/home"
"$MM" "$T/home/Maildir"
printf 'Subject: x\n\nhello\n' > "$T/msg"
out=$("$BIN/deliver-local" u "$T/home" u '' '' example.org a@b ./Maildir/ < "$T/msg" 2>&1); rc=$?
is "$rc.$(md_count "$T/home/Maildir")" "0.1" "deliver-local delivers into it"
done_testing
