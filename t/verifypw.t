#!/bin/bash
# verifypw: the checkpassword interface that only verifies (SMTP AUTH),
# in an instance (not setuid); t/install-root.t runs it setuid root
# against the installed smtpd.
. "$(dirname "$0")/lib.sh"
inst_new
HOMEA=$T/home/alice
mkdir -p "$HOMEA"
# chk NAME PASSWORD STAMP PROG...: verifypw with fd 3; its exit code in $rc
chk() {
  local name=$1 pass=$2 stamp=${3-}; shift 3
  printf '%s\0%s\0%s\0' "$name" "$pass" "$stamp" > "$T/fd3"
  (cd "$T" && "$BIN/verifypw" "$@" 3<"$T/fd3" >"$T/out" 2>"$T/err")
  rc=$?
}
printf 'pass word\n' | quail-passwd add alice "$(id -u)" "$(id -g)" "$HOMEA" 2>"$T/err"
is "$?" 0 "quail-passwd add alice"
chk alice 'pass word' '' sh -c 'echo "$(pwd)|$(id -u)|${USER-unset}"'
is "$rc" 0 "the right password: the program runs"
is "$(cat "$T/out")" "$T|$(id -u)|${USER-unset}" "in the caller's directory, with the caller's ids and environment"
chk ALICE 'pass word' '' true
is "$rc" 0 "user names are not case-sensitive"
chk alice 'pass wordx' '' true
is "$rc" 1 "a wrong password: exit 1"
chk nobody-here 'pass word' '' true
is "$rc" 1 "an unknown user: exit 1, as a wrong password"
is "$(cat "$T/err")" "" "an unknown user: nothing said"
chk 'a:b' 'pass word' '' true
is "$rc" 1 "a name the database cannot hold: exit 1"
printf '\n' | quail-passwd apop alice 2>/dev/null
printf 'sec\n' | quail-passwd apop alice 2>"$T/err"
is "$?" 0 "alice gets an APOP secret"
stamp='<1.2@example>'
digest=$(printf '%ssec' "$stamp" | md5sum | cut -c1-32)
chk alice "$digest" "$stamp" true
is "$rc" 1 "no APOP: the digest is only a wrong password here"
"$BIN/verifypw" 3</dev/null 2>"$T/err"; is "$?" 2 "no program: exit 2"
printf 'alice\0pass word' > "$T/fd3"; "$BIN/verifypw" true 3<"$T/fd3" 2>"$T/err"
is "$?" 2 "input without its NULs: exit 2"
"$BIN/verifypw" true 2>"$T/err" 3<&-; is "$?" 2 "no fd 3: exit 2"
head -c 600 /dev/zero | tr '\0' a > "$T/fd3"; "$BIN/verifypw" true 3<"$T/fd3" 2>/dev/null
is "$?" 1 "more than 512 bytes on fd 3: exit 1"
chk alice 'pass word' '' "$T/no-such-program"
is "$rc" 111 "the program cannot be run: exit 111"
mv "$INST/users/passwd.cdb" "$T/saved.cdb"
chk alice 'pass word' '' true
is "$rc" 111 "no database: exit 111"
like "$(cat "$T/err")" "verifypw: fatal: the password database .*users/passwd.cdb does not exist" "and says so"
done_testing
