#!/bin/bash
# make deb, then the package as an administrator uses it, in a bare Debian
# 12 root filesystem (mmdebstrap --variant=apt, kept in /var/tmp) with a
# network namespace of its own, so nothing touches this machine's MTA or
# ports: lintian finds no error; Postfix installed first is replaced; the
# services start (invoke-rc.d through the init script: no systemd there);
# mail by SMTP on port 25 and by sendmail (as a cron job would) reaches a
# system user's Maildir; a reinstall (upgrade) keeps a queued message and
# restarts the services; apt remove stops them and keeps the configuration,
# the queue and the mail; apt purge removes /etc/quail and leaves the queue.
# Packages come from Debian's archive (downloaded first, installed offline).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/netns-lib.sh"
[ "$(id -u)" = 0 ] || skip_all "not root: a chroot and a network namespace"
command -v mmdebstrap >/dev/null || skip_all "mmdebstrap is not installed (make test installs it)"
command -v ip >/dev/null || skip_all "no ip"
ip netns add "q$$probe" 2>/dev/null || skip_all "no network namespaces here"
ip netns del "q$$probe"

# the package, from a copy of this tree and its build (make deb writes
# into the tree)
mkdir "$T/src"
(cd "$SRC" && { git ls-files -co --exclude-standard | grep -vE '^(obj|bin)/|\.deb$'; ls -d obj bin 2>/dev/null; } |
  tar cf - -T -) | tar xf - -C "$T/src"
v=0.$(git -C "$SRC" rev-list --count HEAD 2>/dev/null || echo 0)
deb=$(cd "$T/src" && QUAIL_VERSION=$v make -s -j2 deb 2>"$T/deb.err" | tail -n 1)
ok "make deb builds a package" test -f "$T/src/$deb"
[ -f "$T/src/$deb" ] || { diag "$(tail -5 "$T/deb.err")"; done_testing; }
like "$deb" '^quail_[0-9.]+_[a-z0-9]+\.deb$' "named quail_VERSION_ARCH.deb"
info=$(dpkg-deb -I "$T/src/$deb")
like "$info" "Provides: mail-transport-agent" "provides mail-transport-agent"
like "$info" "Conflicts: mail-transport-agent" "conflicts with the other MTAs"
files=$(dpkg-deb -c "$T/src/$deb")
like "$files" "\./var/quail/control -> /etc/quail/control" "/var/quail/control links to /etc/quail/control"
like "$files" "\./var/quail/bin -> /usr/lib/quail/bin" "/var/quail/bin links to /usr/lib/quail/bin"
like "$files" "\./usr/lib/quail/boot/procmail" "boot/ holds the start-up variants"
unlike "$files" "\./var/quail/queue" "the queue is not in the package (the postinst makes it)"
if command -v lintian >/dev/null; then
  is "$(lintian "$T/src/$deb" 2>/dev/null | grep -c '^E:')" 0 "lintian: no errors"
else
  skip "lintian is not installed"
fi

# the root filesystem: made once, then reused
tar=/var/tmp/quail-deb-rootfs.tar
[ -f "$tar" ] || [ ! -f /var/tmp/quail-fresh-rootfs.tar ] || tar=/var/tmp/quail-fresh-rootfs.tar
if [ ! -f "$tar" ]; then
  rm -rf "$tar" "$tar.tmp"
  mmdebstrap --variant=apt --format=tar --include=ca-certificates bookworm "$tar.tmp" >"$T/mmdebstrap.log" 2>&1 &&
    mv "$tar.tmp" "$tar" ||
    { rm -f "$tar.tmp"; diag "$(tail -3 "$T/mmdebstrap.log")"; skip "mmdebstrap could not make a root filesystem"; done_testing; }
fi
R=$(mktemp -d /var/tmp/quail-deb-XXXXXX)
N=q$$deb
gone() { ! grep -q " $R" /proc/mounts; }
finish() {
  local p
  for p in $(ip netns pids "$N" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
  for p in /proc/[0-9]*; do [ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && kill -9 "${p#/proc/}" 2>/dev/null; done
  ip netns del "$N" 2>/dev/null; ns_unmount_idle
  grep -o " $R[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
  # never remove a tree that still has /dev or /proc mounted in it
  if gone; then rm -rf "$R"; else echo "# $R still has mounts: left in place" >&2; fi
  _cleanup
}
trap finish EXIT
tar -C "$R" -xf "$tar" || { fail "unpack the root filesystem $tar"; done_testing; }
cp /etc/resolv.conf "$R/etc/resolv.conf"
cp /etc/apt/sources.list.d/*.sources "$R/etc/apt/sources.list.d/" 2>/dev/null
for m in proc sys dev dev/pts; do mount --bind "/$m" "$R/$m" || { echo "Bail out! mount $m"; exit 1; }; done
cp "$T/src/$deb" "$R/tmp/quail.deb"
# a machine whose init starts services: invoke-rc.d asks policy-rc.d
printf '#!/bin/sh\nexit 0\n' > "$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/bash -c "$1"; }
# downloads with the machine's network, for the offline installs below
in_root 'apt-get update -qq; echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string deb.test" | debconf-set-selections
  apt-get install -y -q --download-only --no-install-recommends postfix && \
  apt-get install -y -q --download-only --no-install-recommends /tmp/quail.deb' >"$T/download.log" 2>&1 ||
  { diag "$(tail -5 "$T/download.log")"; skip "Debian's archive cannot be reached"; done_testing; }

ip netns add "$N" && ip -n "$N" link set lo up || { echo "Bail out! netns"; exit 1; }
in_ns() { ip netns exec "$N" chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive /bin/bash -c "$1"; }
in_ns 'apt-get install -y -q --no-install-recommends postfix' >"$T/postfix.log" 2>&1
is "$?" 0 "Postfix installs first"
in_ns 'apt-get install -y -q --no-install-recommends /tmp/quail.deb' >"$T/install.log" 2>&1
is "$?" 0 "apt install ./quail.deb exits 0"
[ "$?" = 0 ] || diag "$(tail -15 "$T/install.log")"
like "$(cat "$T/install.log")" "Removing postfix" "it replaces Postfix"
is "$(in_ns 'readlink -f /usr/sbin/sendmail')" /usr/lib/quail/bin/sendmail "/usr/sbin/sendmail is quail's"
is "$(in_ns 'readlink -f /usr/lib/sendmail')" /usr/lib/quail/bin/sendmail "/usr/lib/sendmail is quail's"
for u in quaild quailq quails quailr; do ok "postinst made user $u" in_ns "getent passwd $u >/dev/null"; done
ok "postinst wrote control/me" in_ns 'test -s /etc/quail/control/me'
ok "users/cdb compiled" in_ns 'test -s /var/quail/users/cdb'
ok "postinst made a self-signed certificate" in_ns 'test -s /etc/quail/control/servercert.pem'
is "$(in_ns 'stat -c "%U %a" /var/quail/bin/queue-writer')" "quailq 4711" "queue-writer setuid quailq"
ok "the queue is real, the queue owner's" in_ns 'test -d /var/quail/queue/mess -a ! -L /var/quail/queue'
smtp_up() { in_ns 'exec 3<>/dev/tcp/127.0.0.1/25 && read -r l <&3 && case $l in 220*) exit 0;; esac; exit 1' 2>/dev/null; }
ok "the services started: port 25 answers" wait_for 20 smtp_up

in_ns 'useradd -m -s /bin/bash joe && su joe -c "/var/quail/bin/maildirmake ~/Maildir"'
out=$(in_ns 'exec 3<>/dev/tcp/127.0.0.1/25; read -r l <&3
  for c in "HELO t" "MAIL FROM:<a@example.org>" "RCPT TO:<joe@$(cat /var/quail/control/me)>" DATA; do
    printf "%s\r\n" "$c" >&3; read -r l <&3; echo "$l"; done
  printf "Subject: over smtp\r\n\r\nhello joe\r\n.\r\n" >&3; read -r l <&3; echo "$l"; printf "QUIT\r\n" >&3' 2>&1)
like "$out" "250 2.0.0 ok" "SMTP on port 25 accepts mail for a system user"
in_ns 'printf "Subject: from cron\n\nnightly report\n" | su joe -c "/usr/sbin/sendmail joe"'
is "$?" 0 "sendmail as a cron job would run it exits 0"
maildir_has() { [ "$(in_ns 'ls ~joe/Maildir/new | wc -l')" -ge "$1" ]; }
ok "both reach joe's Maildir" wait_for 20 maildir_has 2
ok "the SMTP one" in_ns 'grep -q "hello joe" ~joe/Maildir/new/*'
ok "the cron one" in_ns 'grep -q "nightly report" ~joe/Maildir/new/*'

# an upgrade (a reinstall runs prerm upgrade and postinst configure) keeps
# a queued message and restarts the services
in_ns 'echo mx.custom.example > /etc/quail/control/me'
in_ns 'printf "Subject: waits\n\nx\n" | /usr/sbin/sendmail someone@unreachable.invalid'
queued() { in_ns '/var/quail/bin/queue-stat' 2>/dev/null | grep -q "messages in queue: 1"; }
ok "a message waits in the queue" wait_for 10 queued
qm1=$(in_ns 'sv status /var/quail/service/queue-manager' | sed -n 's/^run: [^(]*(pid \([0-9]*\)).*/\1/p')
in_ns 'dpkg -i /tmp/quail.deb' >"$T/upgrade.log" 2>&1
is "$?" 0 "the upgrade exits 0"
ok "the queued message is still there" queued
is "$(in_ns 'cat /etc/quail/control/me')" mx.custom.example "the administrator's control/me is not overwritten"
qm_new() { qm2=$(in_ns 'sv status /var/quail/service/queue-manager' 2>/dev/null | sed -n 's/^run: [^(]*(pid \([0-9]*\)).*/\1/p'); [ -n "$qm2" ] && [ "$qm2" != "$qm1" ]; }
ok "queue-manager was restarted ($qm1 -> a new one)" wait_for 20 qm_new
ok "port 25 answers again" wait_for 20 smtp_up

in_ns 'apt-get remove -y -q quail' >"$T/remove.log" 2>&1
is "$?" 0 "apt remove exits 0"
is "$(in_ns 'for p in $(pgrep -x runsv); do readlink /proc/$p/cwd; done | grep -c /var/quail/service')" 0 "remove stops every service"
nok "nothing answers on port 25" smtp_up
ok "remove keeps the configuration" in_ns 'test -s /etc/quail/control/me'
ok "and the queue" in_ns 'test -n "$(ls /var/quail/queue/mess)"'
ok "and the mail" in_ns 'grep -q "hello joe" ~joe/Maildir/new/*'
in_ns 'apt-get purge -y -q quail' >"$T/purge.log" 2>&1
is "$?" 0 "apt purge exits 0"
nok "purge removes /etc/quail" in_ns 'test -e /etc/quail'
ok "purge leaves the queue" in_ns 'test -n "$(ls /var/quail/queue/mess)"'
like "$(cat "$T/purge.log")" "left alone" "and says so"
ok "the users' mail is left alone" in_ns 'grep -q "hello joe" ~joe/Maildir/new/*'
done_testing
