#!/bin/bash
# The build itself: make without the build packages names them in one line
# (mk/packages.sh --missing); a change of PREFIX rebuilds what embeds it, so
# make install PREFIX=... after a plain make installs programs for that PREFIX.
. "$(dirname "$0")/lib.sh"
# run by make test: not a sub-make of it (no "Entering directory", no jobserver)
unset MAKEFLAGS MAKELEVEL MFLAGS
command -v git >/dev/null || skip_all "no git"
mkdir "$T/src"
(cd "$SRC" && git ls-files -co --exclude-standard | grep -vE '^(obj|bin)/' | tar cf - -T -) | tar xf - -C "$T/src"

out=$(cd "$T/src" && make PKG_BUILD="make no-such-quail-package" 2>&1); rc=$?
nok "a missing build package stops make" test "$rc" = 0
like "$out" "missing Debian packages: no-such-quail-package; run 'make deps' as root" "and names it, with make deps"
is "$(printf '%s\n' "$out" | grep -c .)" 1 "in one line"
nok "before compiling anything" test -e "$T/src/bin/sendmail"
is "$(sh "$T/src/mk/packages.sh" --missing make no-such-quail-package)" " no-such-quail-package" "packages.sh --missing lists only what is missing"

make -s -j2 -C "$T/src" >/dev/null 2>&1
is "$?" 0 "a plain make builds"
ok "for /var/quail" grep -q /var/quail "$T/src/bin/sendmail"
make -s -j2 -C "$T/src" install PREFIX="$T/opt" DESTDIR="$T/dest" >/dev/null 2>&1
is "$?" 0 "make install PREFIX=elsewhere DESTDIR=... exits 0"
ok "the installed sendmail was rebuilt for that PREFIX" grep -q "$T/opt" "$T/dest$T/opt/bin/sendmail"
ok "so was the installed queue-writer" grep -q "$T/opt" "$T/dest$T/opt/bin/queue-writer"
nok "and no longer names /var/quail/bin" grep -q /var/quail/bin "$T/dest$T/opt/bin/sendmail"
done_testing
