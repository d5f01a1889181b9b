#!/bin/bash
# checkpassword (the checkpassword interface over users/passwd.cdb, APOP,
# the system's databases) and quail-passwd (the database, atomically).
. "$(dirname "$0")/lib.sh"
inst_new
DB=$INST/users/passwd.cdb
HOMEA=$T/home/alice
mkdir -p "$HOMEA"
# chk NAME PASSWORD STAMP PROG...: checkpassword with fd 3; its exit code in $rc
chk() {
  local name=$1 pass=$2 stamp=${3-}; shift 3
  printf '%s\0%s\0%s\0' "$name" "$pass" "$stamp" > "$T/fd3"
  "$BIN/checkpassword" "$@" 3<"$T/fd3" >"$T/out" 2>"$T/err"
  rc=$?
}
# the program run as the user: what it finds
SHOW='echo "$USER|$HOME|$SHELL|${MAILDIR-unset}|$(pwd)|$(id -u):$(id -g)"'

# --- quail-passwd: add, then checkpassword runs the program as alice
printf 'pass word\n' | quail-passwd add alice 1234 1235 "$HOMEA" 2>"$T/err"
is "$?" 0 "quail-passwd add: exit 0"
is "$(quail-passwd list | grep '^alice:')" "alice:1234:1235:$HOMEA:./Maildir/:" "list: alice with the default Maildir"
ok "the database is mode 600" test "$(stat -c %a "$DB")" = 600
nok "no clear password in the database" grep -aqF 'pass word' "$DB"
ok "a yescrypt hash in the database" grep -aqF '$y$' "$DB"
chk alice 'pass word' '' sh -c "$SHOW"
is "$rc" 0 "the right password: the program runs"
if [ "$(id -u)" = 0 ]; then
  is "$(cat "$T/out")" "alice|$HOMEA|/bin/sh|./Maildir/|$HOMEA|1234:1235" "as root: USER HOME SHELL MAILDIR, the home directory, uid and gid"
else
  is "$(cat "$T/out")" "alice|$HOMEA|/bin/sh|./Maildir/|$HOMEA|$(id -u):$(id -g)" "not root: USER HOME SHELL MAILDIR, the home directory, our own ids"
fi
chk alice 'pass wordx' '' true
is "$rc" 1 "a wrong password: exit 1"
chk Alice 'pass word' '' true
is "$rc" 0 "user names are not case-sensitive"
chk nobody-here 'pass word' '' true
is "$rc" 1 "an unknown user: exit 1, as a wrong password"
is "$(cat "$T/err")" "" "an unknown user: nothing said"
chk alice '' '' true
is "$rc" 1 "an empty password: exit 1"
chk 'a:b' 'pass word' '' true
is "$rc" 1 "a user name the database cannot hold: exit 1"

# --- the interface's misuse and limits
"$BIN/checkpassword" 3</dev/null 2>"$T/err"; is "$?" 2 "no program: exit 2"
printf 'alice\0pass word' > "$T/fd3"; "$BIN/checkpassword" true 3<"$T/fd3" 2>"$T/err"
is "$?" 2 "input without its NULs: exit 2"
"$BIN/checkpassword" true 2>"$T/err" 3<&-
is "$?" 2 "no fd 3: exit 2"
head -c 600 /dev/zero | tr '\0' a > "$T/fd3"; "$BIN/checkpassword" true 3<"$T/fd3" 2>/dev/null
is "$?" 1 "more than 512 bytes on fd 3: exit 1"
chk alice 'pass word' '' "$T/no-such-program"
is "$rc" 111 "the program cannot be run: exit 111"
like "$(cat "$T/err")" "checkpassword: fatal: unable to run $T/no-such-program" "the program cannot be run: said"

# --- APOP: only for users with a secret
stamp='<1896.697170952@dbc.mtview.ca.us>'
chk alice c4c9334bac560ecc979e58001b3e22fb "$stamp" true
is "$rc" 1 "APOP without a secret stored: refused"
printf 'tanstaaf\n' | quail-passwd apop alice
is "$(quail-passwd list | grep '^alice:')" "alice:1234:1235:$HOMEA:./Maildir/:apop" "apop: list shows it"
chk alice c4c9334bac560ecc979e58001b3e22fb "$stamp" true
is "$rc" 0 "APOP: RFC 1939's digest is accepted"
chk alice c4c9334bac560ecc979e58001b3e22fb '<1896.697170953@dbc.mtview.ca.us>' true
is "$rc" 1 "APOP: the digest of another timestamp is refused"
chk alice 'pass word' "$stamp" true
is "$rc" 0 "with a timestamp, the password still works (qmail-popup sends one with PASS)"
printf '\n' | quail-passwd apop alice
chk alice c4c9334bac560ecc979e58001b3e22fb "$stamp" true
is "$rc" 1 "apop with an empty line: the secret is removed"

# --- passwd: a new password; the file is replaced, never rewritten in place
ino=$(stat -c %i "$DB")
chmod 640 "$DB"
printf 'new secret\n' | quail-passwd passwd -s sha512 alice
is "$?" 0 "passwd -s sha512: exit 0"
chk alice 'pass word' '' true; is "$rc" 1 "passwd: the old password is refused"
chk alice 'new secret' '' true; is "$rc" 0 "passwd: the new one works"
ok "passwd -s sha512: a SHA-512 hash" grep -aqF '$6$' "$DB"
ok "passwd: a new file (rename), not the old one rewritten" test "$(stat -c %i "$DB")" != "$ino"
is "$(stat -c %a "$DB")" 640 "passwd: the old file's mode is kept"
is "$(ls "$INST/users" | grep -c tmp)" 0 "passwd: no temporary file left"

# --- quail-passwd refusals: nothing changes
sum=$(md5sum < "$DB")
refuse() { # NAME CODE INPUT ARGS...
  local name=$1 code=$2 input=$3; shift 3
  printf "$input" | quail-passwd "$@" >/dev/null 2>"$T/err"
  is "$?" "$code" "$name: exit $code"
}
refuse "add an existing user" 100 'x\n' add alice 1 1 /tmp
like "$(cat "$T/err")" 'alice exists already' "add an existing user: said"
refuse "passwd for an unknown user" 100 'x\n' passwd bob
like "$(cat "$T/err")" 'no such user: bob' "passwd for an unknown user: said"
refuse "del an unknown user" 100 '' del bob
refuse "an empty password" 100 '\n' add bob 1 1 /tmp
refuse "a relative home" 100 'x\n' add bob 1 1 tmp
refuse "a bad uid" 100 'x\n' add bob x 1 /tmp
refuse "a bad user name" 100 'x\n' add 'b:ob' 1 1 /tmp
refuse "a user name like an option" 100 'x\n' add -bob 1 1 /tmp
refuse "an unknown scheme" 100 'x\n' add -s md5 bob 1 1 /tmp
refuse "a password on the command line is not an option" 100 '' passwd alice secret
refuse "no verb" 100 ''
refuse "an unknown verb" 100 '' frob
refuse "a password of 300 bytes" 100 "$(head -c 300 /dev/zero | tr '\0' a)\n" add bob 1 1 /tmp
refuse "a NUL in the password" 100 'a\0b\n' add bob 1 1 /tmp
is "$(md5sum < "$DB")" "$sum" "after every refusal the database is as it was"

# --- many users, then del
mkdir -p "$T/home/u3"
for u in u1 u2 u3 u4 u5; do printf 'pw-%s\n' "$u" | quail-passwd add -s sha512 "$u" 2000 2000 "$T/home/$u" "/var/mail/$u/"; done
is "$(quail-passwd list | cut -d: -f1 | sort | tr '\n' ' ')" "alice test u1 u2 u3 u4 u5 " "five more users: seven in all"
chk u3 pw-u3 '' sh -c "$SHOW"
like "$(cat "$T/out")" "^u3\|$T/home/u3\|/bin/sh\|/var/mail/u3/\|" "a Maildir of its own: MAILDIR is set from the entry" || diag "$(cat "$T/err")"
quail-passwd del u3
is "$?" 0 "del: exit 0"
is "$(quail-passwd list | cut -d: -f1 | sort | tr '\n' ' ')" "alice test u1 u2 u4 u5 " "del: only u3 is gone"
chk u3 pw-u3 '' true; is "$rc" 1 "del: u3 cannot log in"
chk u4 pw-u4 '' true; is "$rc" 111 "a home directory that is missing: exit 111"
mkdir -p "$T/home/u4"; chk u4 pw-u4 '' true; is "$rc" 0 "u4 logs in with its home"

# --- concurrent changes: none is lost (users/passwd.lock)
for i in $(seq 8); do (printf 'p%s\n' "$i" | quail-passwd add -s sha512 "c$i" 1 1 /tmp) & done; wait
is "$(quail-passwd list | grep -c '^c[0-9]:')" 8 "eight concurrent adds: all eight are there"

# --- a missing or unreadable database: temporary failure
mv "$DB" "$DB.away"
chk alice 'new secret' '' true
is "$rc" 111 "no database: exit 111"
like "$(cat "$T/err")" "the password database $DB does not exist" "no database: said"
printf 'junk' > "$DB"
chk alice 'new secret' '' true
is "$rc" 111 "a corrupt database: exit 111"
rm -f "$DB"; mkdir "$DB"
chk alice 'new secret' '' true
is "$rc" 111 "a directory in its place: exit 111"
rmdir "$DB"; mv "$DB.away" "$DB"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  printf 'alice\0new secret\0\0' > "$T/fd3"; chmod 644 "$T/fd3"
  as_nobody "$BIN/checkpassword" true 3<"$T/fd3" 2>"$T/err"
  is "$?" 111 "a database the caller may not read: exit 111"
  like "$(cat "$T/err")" 'Permission denied' "an unreadable database: said"
else
  skip "not root: no unreadable-database test"; skip "not root"
fi

# --- the system's databases, when control/systempasswd says so: in a
# mount namespace with a passwd and shadow of our own
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && unshare -m true 2>/dev/null; then
  hash=$(openssl passwd -6 'sys pw' 2>/dev/null)
  mkdir -p "$T/home/sysu"
  printf 'root:x:0:0::/root:/bin/sh\nsysu:x:3001:3002::%s:/bin/bash\n' "$T/home/sysu" > "$T/passwd"
  printf 'root:%s:1::::::\nsysu:%s:1::::::\n' "$hash" "$hash" > "$T/shadow"
  sys() { # NAME PASSWORD: checkpassword in the namespace
    printf '%s\0%s\0\0' "$1" "$2" > "$T/fd3"
    unshare -m sh -c 'mount --bind "$1" /etc/passwd && mount --bind "$2" /etc/shadow && shift 2 && exec "$@" 3<"$0"' \
      "$T/fd3" "$T/passwd" "$T/shadow" "$BIN/checkpassword" sh -c "$SHOW" >"$T/out" 2>"$T/err"
    rc=$?
  }
  if [ -n "$hash" ]; then
    sys sysu 'sys pw'
    is "$rc" 1 "a system user without control/systempasswd: refused"
    touch "$INST/control/systempasswd"
    sys sysu 'sys pw'
    is "$rc" 0 "control/systempasswd: a system user logs in"
    is "$(cat "$T/out")" "sysu|$T/home/sysu|/bin/bash|unset|$T/home/sysu|3001:3002" "a system user: its shell and ids, no MAILDIR"
    sys sysu 'wrong'
    is "$rc" 1 "a system user, wrong password: exit 1"
    sys root 'sys pw'
    is "$rc" 1 "root never logs in"
    sys alice 'new secret'
    is "$rc" 0 "the database first: alice still logs in"
    mv "$DB" "$DB.away"
    sys sysu 'sys pw'
    is "$rc" 0 "no database but control/systempasswd: the system's users still log in"
    mv "$DB.away" "$DB"
    rm -f "$INST/control/systempasswd"
  else
    for i in 1 2 3 4 5 6 7; do skip "openssl passwd -6 is needed for a shadow entry"; done
  fi
else
  for i in 1 2 3 4 5 6 7; do skip "needs root and unshare -m for a passwd of our own"; done
fi

# --- mkinstance gave test a password, kept beside its Maildir
ok "mkinstance: mail/test/password exists" test -s "$INST/mail/test/password"
is "$(stat -c %a "$INST/mail/test/password")" 600 "mail/test/password: mode 600"
chk test "$(cat "$INST/mail/test/password")" '' true
is "$rc" 0 "test logs in with that password"
done_testing
