#!/bin/bash
# covers lists/list-import.sh
# list-import: an ezmlm-idx list built by hand in ezmlm's formats (T+NUL
# subscriber files in subscribers/, digest/ and mod/, a flags file, texts)
# taken into a quail list, which then serves a post to the imported
# members; an older ezmlm list whose options are files; bad arguments.
. "$(dirname "$0")/lib.sh"
inst_new
qm_start
H=$INST/mail/test
L=$H/ml
for b in m1 m2 dg; do
  maildirmake "$H/$b"; printf './%s/\n' "$b" > "$H/.qmail-$b"; chmod 644 "$H/.qmail-$b"
done
list-make -b "$BIN" "$L" "$H/.qmail-ml" test-ml localhost >/dev/null || { echo "Bail out! list-make"; exit 1; }

E=$T/ezmlm
mkdir -p "$E/subscribers" "$E/digest/subscribers" "$E/mod/subscribers" "$E/deny/subscribers" "$E/text"
printf 'Ttest-m1@localhost\0Ttest-m2@localhost\0' > "$E/subscribers/@"
printf 'Tfar@example.org\0' > "$E/subscribers/K"
printf 'Ttest-dg@localhost\0' > "$E/digest/subscribers/B"
printf 'Tmoderator@example.org\0' > "$E/mod/subscribers/@"
printf 'Tspammer@example.net\0' > "$E/deny/subscribers/Q"
printf 'aPUfptrM\n' > "$E/flags"     # archived, public, prefix, trailer, remote; not moderated
printf '[old-ml]\n' > "$E/prefix"
printf '30000:0\n' > "$E/msgsize"
printf 'Welcome to <#l#>@<#h#>, old friend.\n' > "$E/text/sub-ok"
printf -- '-- \nthe old trailer <#A#>\n' > "$E/text/trailer"
printf 'never used by quail\n' > "$E/text/faq"

list-import >/dev/null 2>&1
is "$?" 100 "no arguments: usage, 100"
list-import "$T/nolist" "$E" 2>"$T/err"
is "$?" 100 "DIR is not a quail list: 100"
like "$(cat "$T/err")" "run list-make first" "and says what to do"
list-import "$L" "$T" 2>"$T/err"
is "$?" 100 "EZMLMDIR is not an ezmlm list: 100"

out=$(list-import "$L" "$E" 2>&1)
is "$?" 0 "list-import exits 0"
is "$(list-sub "$L" count)" 3 "three members from subscribers/"
ok "test-m2 is a member" list-sub "$L" has test-m2@localhost
ok "far@example.org is a member" list-sub "$L" has far@example.org
is "$(list-sub -s digest "$L" list)" "test-dg@localhost" "the digest member"
is "$(list-sub -s mod "$L" list)" "moderator@example.org" "the moderator"
like "$out" "deny/: ezmlm's deny list has no quail equivalent" "the deny list is reported"
like "$out" "option remote \(-r\) has no quail equivalent" "an option quail lacks is reported"
cfg=$(cat "$L/config")
like "$cfg" "^archive=yes$" "archived"
like "$cfg" "^moderated=no$" "M: not moderated"
like "$cfg" "^post=open$" "U: anyone may post"
like "$cfg" "^subscribe=confirm$" "public, with confirmation"
like "$cfg" '^prefix=\[old-ml\]$' "the subject prefix"
like "$cfg" "^maxsize=30000$" "msgsize's maximum"
is "$(cat "$L/text/sub-ok")" 'Welcome to <#l#>@<#h#>, old friend.' "text/sub-ok taken over"
like "$out" "text/trailer imported; it has ezmlm tags other than" "a tag quail lacks is reported"
nok "a text quail does not use is left out" test -e "$L/text/faq"
is "$(grep -c '^archive=' "$L/config")" 1 "each key once in config"

# the imported list works: a post reaches the imported members with the prefix
printf 'Subject: after the move\n\nhello\n' | sendmail -f test-m1@localhost test-ml@localhost
ok "m1 gets the post" wait_for 20 md_has "$H/m1" 1
ok "m2 gets the post" wait_for 20 md_has "$H/m2" 1
like "$(md_cat "$H/m2")" 'Subject: \[old-ml\] after the move' "with the imported prefix"

# an older list: options as files (modpost, modsub, no public), no flags
E2=$T/ezmlm2 L2=$H/ml2
mkdir -p "$E2/subscribers"
printf 'Tone@example.org\0' > "$E2/subscribers/A"
touch "$E2/modpost" "$E2/modsub" "$E2/subpostonly"
list-make -b "$BIN" "$L2" "$H/.qmail-ml2" test-ml2 localhost >/dev/null
out=$(list-import "$L2" "$E2" 2>&1)
is "$?" 0 "an option-file list: exits 0"
cfg=$(cat "$L2/config")
like "$cfg" "^moderated=yes$" "modpost: moderated"
like "$cfg" "^post=members$" "subpostonly: members only"
like "$cfg" "^subscribe=closed$" "modsub: closed"
like "$cfg" "^archive=no$" "no archived file: no archive"
like "$out" "subscriptions moderated in ezmlm" "says what modsub becomes"
done_testing
