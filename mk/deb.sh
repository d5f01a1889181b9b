#!/bin/sh
# deb.sh PROG...: build quail_VERSION_ARCH.deb in the current directory from
# the programs in bin/ (make deb runs it after make).
#
# The layout of qmail's packages: /var/quail holds links to where each part
# lives, and only the queue is real there (the postinst makes it):
#   /var/quail/alias, control, users -> /etc/quail/...   (configuration)
#   /var/quail/bin, boot             -> /usr/lib/quail/... (programs)
#   /var/quail/doc                   -> /usr/share/doc/quail
#   /var/quail/man                   -> /usr/share/man
# so every program keeps finding its files through /var/quail. The files
# come from mk/install.sh's files phase; the postinst runs its configure
# phase from /usr/lib/quail (install.sh, run/ templates). Depends is what
# the dynamic programs link (dpkg -S) and the tools the scripts run.
# Exit codes: 0 built, 111 a step failed.
set -eu
die() { echo "deb.sh: fatal: $*" >&2; exit 111; }
command -v dpkg-deb >/dev/null || die "dpkg-deb is missing"
version=${QUAIL_VERSION:-0.$(git rev-list --count HEAD 2>/dev/null || echo 0)}
arch=$(dpkg --print-architecture)
out=quail_${version}_$arch.deb
tmp=$(mktemp -d) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
pkg=$tmp/pkg
v=$pkg/var/quail

# the files phase into the staging tree, as for /var/quail
QUAIL_INSTALL_PHASE=files UNITDIR=/lib/systemd/system INITDIR=/nonexistent \
  sh mk/install.sh "$pkg" /var/quail "$@" >/dev/null || die "mk/install.sh's files phase failed"

# link FROM TO: a link at FROM (inside pkg) to TO, as Debian's policy wants
# it: absolute across top-level directories, else relative
link() { ln -s "$2" "$1"; }
mkdir -p "$pkg/usr/lib/quail/mk" "$pkg/etc/quail/control" "$pkg/etc/quail/users" "$pkg/etc/quail/alias" \
  "$pkg/usr/share/doc/quail" "$pkg/usr/sbin" "$pkg/usr/bin" "$pkg/etc/init.d"
for d in bin boot; do mv "$v/$d" "$pkg/usr/lib/quail/$d"; link "$v/$d" "/usr/lib/quail/$d"; done
for d in "$v"/man/man*; do
  mkdir -p "$pkg/usr/share/man/${d##*/}"
  for f in "$d"/*; do gzip -9n < "$f" > "$pkg/usr/share/man/${d##*/}/${f##*/}.gz"; done
done
rm -rf "$v/man" "$v/control" "$v/users" "$v/alias" "$v/queue" "$v/service" "$v/log"
link "$v/man" /usr/share/man
for d in control users alias; do link "$v/$d" "/etc/quail/$d"; done
link "$v/doc" /usr/share/doc/quail
cp README.md "$pkg/usr/share/doc/quail/"
cp mk/deb/copyright "$pkg/usr/share/doc/quail/copyright"
printf 'quail (%s) unstable; urgency=medium\n\n  * Built from %s.\n\n -- quail developers <quail@example.org>  %s\n' \
  "$version" "$(git rev-parse --short HEAD 2>/dev/null || echo source)" "$(date -R -d @"$(git log -1 --format=%ct 2>/dev/null || date +%s)")" |
  gzip -9n > "$pkg/usr/share/doc/quail/changelog.gz"
# what the postinst's configure phase runs
cp mk/install.sh "$pkg/usr/lib/quail/install.sh"
cp -R run "$pkg/usr/lib/quail/run"
cp -R control "$pkg/usr/lib/quail/control"
cp -R control "$pkg/usr/share/doc/quail/control"
chmod 755 "$pkg"/usr/lib/quail/run/*/run "$pkg"/usr/lib/quail/run/*/log/run
install -m 644 mk/quail.service "$pkg/usr/lib/quail/mk/"
install -m 755 mk/quail.init "$pkg/usr/lib/quail/mk/"
sed 's|@PREFIX@|/var/quail|g' mk/quail.init > "$pkg/etc/init.d/quail"
chmod 755 "$pkg/etc/init.d/quail"
# the MTA's names on the system
link "$pkg/usr/sbin/sendmail" ../lib/quail/bin/sendmail
link "$pkg/usr/lib/sendmail" quail/bin/sendmail
link "$pkg/usr/bin/mailq" ../lib/quail/bin/mailq
# what lintian calls errors and is the design: the static programs (one
# exec per message or connection, README's figures) and /var/quail itself
mkdir -p "$pkg/usr/share/lintian/overrides"
{
  echo "# /var/quail is qmail's layout (/var/qmail): links, and the queue"
  echo "quail: non-standard-dir-in-var [var/quail/]"
  echo "quail: file-in-unusual-dir [var/quail/*]"
  echo "# linked statically on purpose: started once per message or connection"
  for f in "$pkg"/usr/lib/quail/bin/*; do
    [ -L "$f" ] || ! head -c 4 "$f" | grep -q ELF || ldd "$f" >/dev/null 2>&1 ||
      echo "quail: statically-linked-binary [usr/lib/quail/bin/${f##*/}]"
  done
} > "$pkg/usr/share/lintian/overrides/quail"
for f in "$pkg"/usr/lib/quail/bin/*; do
  [ -L "$f" ] || ! head -c 4 "$f" | grep -q ELF || strip --strip-unneeded "$f"
done

# Depends: the packages of the libraries the dynamic programs load
libs=$(for f in "$pkg"/usr/lib/quail/bin/*; do [ -L "$f" ] || ldd "$f" 2>/dev/null || true; done |
  awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u)
deps=$(for l in $libs; do dpkg -S "$l" 2>/dev/null || dpkg -S "$(readlink -f "$l")" 2>/dev/null || true; done |
  cut -d: -f1 | sort -u | tr '\n' ' ')
depends=$(printf '%s' "$deps runit ucspi-tcp-ipv6 openssl procps passwd" | tr ' ' '\n' | grep . | sort -u |
  sed 's/^ucspi-tcp-ipv6$/ucspi-tcp-ipv6 | ucspi-tcp/' | paste -sd, | sed 's/,/, /g')

mkdir "$pkg/DEBIAN"
for s in postinst prerm postrm; do install -m 755 "mk/deb/$s" "$pkg/DEBIAN/$s"; done
echo /etc/init.d/quail > "$pkg/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" -e "s/@DEPENDS@/$depends/" \
  mk/deb/control.in > "$pkg/DEBIAN/control"
(cd "$pkg" && find . -type f ! -path './DEBIAN/*' -printf '%P\0' | sort -z | xargs -0 md5sum) > "$pkg/DEBIAN/md5sums"
find "$pkg" -type d -exec chmod 755 {} +
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$out" >/dev/null || die "dpkg-deb --build failed"
echo "$out"
