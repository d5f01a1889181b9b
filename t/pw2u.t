#!/bin/bash
# pw2u (qmail-pw2u) and getpw (qmail-getpw): users/assign and address
# owners from a passwd file by qmail's rules; pw2u's table compiled by newu
# routes mail through the real queue; getpw reads a passwd of the test's
# own, bound over /etc/passwd in a mount namespace.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (home directories owned by other uids)"
inst_new
U=$INST/users
mkdir -p "$T/h/joe" "$T/h/ann" "$T/h/al" "$T/h/bob" "$T/h/stolen"
chown 4001 "$T/h/joe"; chown 4003 "$T/h/ann"; chown 4002 "$T/h/al"; chown 4004 "$T/h/bob"
chmod 755 "$T/h" "$T/h"/*; chmod o+x "$T"     # the users reach their homes
cat > "$T/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
joe:x:4001:100:Joe:$T/h/joe:/bin/sh
ann:x:4003:100:Ann:$T/h/ann:/bin/sh
alias:x:4002:100::$T/h/al:/usr/sbin/nologin
Bob:x:4004:100:upper case:$T/h/bob:/bin/sh
eve:x:4005:100:home not hers:$T/h/stolen:/bin/sh
gone:x:4006:100:no home:$T/h/none:/bin/sh
EOF
out=$(pw2u < "$T/passwd")
is "$?" 0 "pw2u: exit 0"
is "$out" "=joe:joe:4001:100:$T/h/joe:::
+joe-:joe:4001:100:$T/h/joe:-::
=ann:ann:4003:100:$T/h/ann:::
+ann-:ann:4003:100:$T/h/ann:-::
+:alias:4002:100:$T/h/al:-::
." "pw2u: user and user- for each user; the catch-all for alias; uid 0, upper case, a home not owned or missing skipped"

like "$(pw2u -u < "$T/passwd")" "=Bob:Bob:4004:" "-u: upper-case names allowed"
like "$(pw2u -H < "$T/passwd")" "=gone:gone:4006:.*
\+gone-:" "-H: home directories not checked"
pw2u -h < "$T/passwd" >/dev/null 2>"$T/err"; is "$?" 111 "-h: a missing home directory stops it (111)"
like "$(cat "$T/err")" "gone" "and names the user"
like "$(pw2u -C < "$T/passwd")" "=joe:joe:4001:100:$T/h/joe:::
=ann" "-C: no extension entries"
like "$(pw2u -c+ < "$T/passwd")" "\+joe\+:joe:" "-c+: + as the extension delimiter"
like "$(pw2u -/ < "$T/passwd")" "\+joe-:joe:4001:100:$T/h/joe:-/::" "-/: .qmail-/ files"

printf 'joe\nalias\n' > "$U/include"
is "$(pw2u < "$T/passwd" | cut -d: -f1 | tr '\n' ' ')" "=joe +joe- + . " "users/include: only those (and the catch-all of alias)"
rm "$U/include"; printf 'ann\n' > "$U/exclude"
unlike "$(pw2u < "$T/passwd")" "ann" "users/exclude: not those"
rm "$U/exclude"
printf 'joe:joseph:jo\nnobody-here:x\n' > "$U/mailnames"
like "$(pw2u < "$T/passwd")" "=joseph:joe:4001:100:$T/h/joe:::
\+joseph-:joe:.*
=jo:joe:.*
\+jo-:joe:" "users/mailnames: the names instead of the user's"
unlike "$(pw2u < "$T/passwd")" "^=joe:" "and not the user's own name"
rm "$U/mailnames"
printf 'sales:joe:work:\n' > "$U/subusers"
like "$(pw2u < "$T/passwd")" "=sales:joe:4001:100:$T/h/joe:-:work:
\+sales-:joe:4001:100:$T/h/joe:-:work-:" "users/subusers: sub handled by .qmail-pre"
rm "$U/subusers"
printf '=postmaster:joe:4001:100:%s:::\n' "$T/h/joe" > "$U/append"
like "$(pw2u < "$T/passwd" | tail -2 | head -1)" "^=postmaster:joe:" "users/append: printed at the end, before the ."
rm "$U/append"
printf 'x:y:zz:0::/:/bin/sh\n' | pw2u >/dev/null 2>&1; is "$?" 100 "a malformed uid: 100"
pw2u -q </dev/null 2>/dev/null; is "$?" 100 "an unknown option: usage, 100"

# the table through newu and the queue: mail for joe lands in joe's home
maildirmake "$T/h/joe/Maildir"; chown -R 4001 "$T/h/joe/Maildir"
printf 'sales:joe:work:\n' > "$U/subusers"
printf './Maildir/\n' > "$T/h/joe/.qmail-work"; chown 4001 "$T/h/joe/.qmail-work"
pw2u < "$T/passwd" > "$U/assign" && newu
is "$?" 0 "pw2u's table compiles with newu"
qm_start
printf 'Subject: to joe\n\nx\n' | sendmail -f a@example.org JOE@localhost
printf 'Subject: to sales\n\nx\n' | sendmail -f a@example.org sales@localhost
if reachable_by 4001 "$BIN/deliver-local"; then
  ok "delivered to joe's Maildir" wait_for 10 md_has "$T/h/joe/Maildir" 2
  is "$(stat -c %u "$(ls -d "$T"/h/joe/Maildir/new/* | head -1)")" 4001 "as joe (uid 4001)"
  ok "the subuser's mail went through .qmail-work" md_grep "$T/h/joe/Maildir" "Delivered-To: sales@localhost"
else
  for i in 1 2 3; do skip "uid 4001 cannot reach $BIN (a checkout under /root): no delivery as joe"; done
fi
qm_stop

# getpw against the test's passwd, bound over /etc/passwd
unshare -m true 2>/dev/null || { skip "unshare -m not allowed: getpw untested"; done_testing; }
gp() { P=$T/passwd unshare -m --propagation private sh -c 'mount --bind "$P" /etc/passwd && exec "$0" "$@"' "$BIN/getpw" "$@" | tr '\0' '|'; }
is "$(gp joe)" "joe|4001|100|$T/h/joe|||" "getpw joe: the user, empty dash and extension"
is "$(gp Joe-Lists-Foo)" "joe|4001|100|$T/h/joe|-|Lists-Foo|" "getpw Joe-Lists-Foo: any case in front, the rest the extension"
is "$(gp root)" "alias|4002|100|$T/h/al|-|root|" "uid 0 is no user: alias, the whole address as the extension"
is "$(gp eve)" "alias|4002|100|$T/h/al|-|eve|" "a home directory not owned: alias"
is "$(gp nosuch-x)" "alias|4002|100|$T/h/al|-|nosuch-x|" "nobody by that name: alias"
grep -v '^alias:' "$T/passwd" > "$T/passwd2"
P2=$(P=$T/passwd2 unshare -m --propagation private sh -c 'mount --bind "$P" /etc/passwd && exec "$0" nosuch' "$BIN/getpw" 2>/dev/null; echo "rc=$?")
is "$P2" "rc=100" "no user and no alias: 100, nothing printed"
getpw 2>/dev/null; is "$?" 100 "no argument: usage, 100"
done_testing
