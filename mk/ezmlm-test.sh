#!/bin/sh
# mk/ezmlm-test.sh EZMLM_SRC [REV [EZMLM-TEST ARGS...]]: run ezmlm-idx's own
# end-to-end test (ezmlm-test, ezmlm-idx 0.4x) against a quail installed
# for real, as a qmail administrator would run it against qmail.
#
#   git clone https://github.com/bruceg/ezmlm-idx && sh mk/ezmlm-test.sh ezmlm-idx 0.43
#
# EZMLM_SRC is an ezmlm-idx source tree, or a git clone of one with REV the
# tag to test (0.43 by default when EZMLM_SRC is a clone); only releases
# 0.421 to 0.433 test through the MTA (qmail-inject, deliveries by
# ~eztest/.qmail files): 0.440 and later test ezmlm alone with a fake
# qmail-queue. Needs root and a C compiler; no
# network (the lists' mail never leaves this machine's queue). Takes about
# two minutes, most of it ezmlm-test's own waits for delivery.
#
# What it does, in a directory under /var/tmp removed at the end (KEEP=1
# keeps it): a copy of this tree is built and installed (make install
# PREFIX=that/quail, qmail's names included: qmail-inject, qmail-local,
# qmail-queue), control/me set to a name with a dot (ezmlm-test's HOST),
# queue-manager started under runsvdir; ezmlm-idx is built with
# conf-qmail pointing at the prefix; a user eztest (removed at the end)
# with a home there runs ./ezmlm-test with umask 002, whose lists are
# delivered by quail's queue through ~eztest/.qmail-* files.
# Exit code: ezmlm-test's (0 when every section passed).
set -u
[ $# -ge 1 ] || { echo "usage: mk/ezmlm-test.sh EZMLM_SRC [REV [ARGS...]]" >&2; exit 100; }
ezsrc=$(cd "$1" && pwd) || exit 100
shift
rev=
if [ $# -ge 1 ]; then rev=$1; shift; elif [ -e "$ezsrc/.git" ]; then rev=0.43; fi
src=$(cd "$(dirname "$0")/.." && pwd)
die() { echo "ezmlm-test.sh: $*" >&2; exit 111; }
say() { echo "ezmlm-test.sh: $*"; }
[ "$(id -u)" = 0 ] || die "must run as root: make install creates users, ezmlm-test runs as user eztest"
for c in useradd userdel runuser runsvdir make cc; do command -v $c >/dev/null || die "$c not found"; done
getent passwd eztest >/dev/null && die "a user eztest exists already; remove it first"

W=$(mktemp -d /var/tmp/quail-ezmlm-XXXXXX) || die "mktemp failed"
chmod 755 "$W"
P=$W/quail
HOSTNAME_T=lists.quail-ezmlm.test
QUSERS="quaild quaill alias quailq quails quailr quailv" QGROUPS="quail nofiles quailv"
new_users= new_groups=
for u in $QUSERS; do getent passwd "$u" >/dev/null || new_users="$new_users $u"; done
for g in $QGROUPS; do getent group "$g" >/dev/null || new_groups="$new_groups $g"; done
RSV=
finish() {
  [ -n "$RSV" ] && kill -HUP "$RSV" 2>/dev/null && wait "$RSV" 2>/dev/null
  sleep 1
  userdel eztest 2>/dev/null
  for u in $new_users; do userdel "$u" 2>/dev/null; done
  for g in $new_groups; do groupdel "$g" 2>/dev/null; done
  if [ -n "${KEEP:-}" ]; then say "kept $W"; else
    case "$W" in /var/tmp/quail-ezmlm-??????) rm -rf "$W";; esac
  fi
}
trap finish EXIT
trap 'exit 111' INT TERM

say "installing quail into $P"
mkdir "$W/src"
(cd "$src" && git ls-files -co --exclude-standard | grep -vE '^(obj|bin)/' | tar cf - -T -) | tar xf - -C "$W/src"
make -s -j2 -C "$W/src" install PREFIX="$P" UNITDIR="$W/units" INITDIR="$W/init.d" \
  DEFAULTDELIVERY=maildir > "$W/install.log" 2>&1 || { tail -20 "$W/install.log"; die "make install failed"; }
# ezmlm-test's HOST is control/me; qmail-inject appends defaultdomain to a
# name without a dot, so the host needs one, as on any real qmail
printf '%s\n' "$HOSTNAME_T" > "$P/control/me"
printf '%s\n' "$HOSTNAME_T" > "$P/control/defaultdomain"
printf '%s\nlocalhost\n' "$HOSTNAME_T" > "$P/control/locals"
cp "$P/control/locals" "$P/control/rcpthosts"

say "building ezmlm-idx${rev:+ $rev} from $ezsrc"
mkdir "$W/ezmlm"
if [ -n "$rev" ]; then git -C "$ezsrc" archive "$rev" | tar xf - -C "$W/ezmlm" || die "git archive $rev failed"
else cp -R "$ezsrc/." "$W/ezmlm/"; fi
# ezmlm-test is ezmlm-test.sh up to 0.43, tests/* from 0.432 on; it
# mails through the MTA (qmail-inject) up to 0.433 only
cat "$W/ezmlm/ezmlm-test.sh" "$W/ezmlm"/tests/* 2>/dev/null | grep -q 'bin/qmail-inject' ||
  die "the ezmlm-test of $ezsrc${rev:+ at $rev} does not mail through the MTA: use ezmlm-idx 0.421 to 0.433"
echo "$P" > "$W/ezmlm/conf-qmail"
echo "$W/ezmlm" > "$W/ezmlm/conf-bin"
# 2004's C on today's compilers: K&R definitions, errno declared by hand
echo "cc -O2 -fcommon -w -std=gnu89 -include errno.h" > "$W/ezmlm/conf-cc"
(cd "$W/ezmlm" && make it) > "$W/ezmlm-build.log" 2>&1 || { tail -20 "$W/ezmlm-build.log"; die "ezmlm-idx does not build"; }
chmod -R a+rX "$W/ezmlm"

say "user eztest, queue-manager under runsvdir"
useradd -U -m -d "$W/eztest" -s /bin/sh eztest || die "useradd eztest failed"
chmod 755 "$W/eztest"
mkdir "$W/sv"
ln -s "$P/service/queue-manager" "$W/sv/queue-manager"
env -u QUAIL_HOME runsvdir -P "$W/sv" >/dev/null 2>&1 &
RSV=$!
i=0
until env -u QUAIL_HOME sv status "$W/sv/queue-manager" 2>/dev/null | grep -q '^run: '; do
  i=$((i + 1)); [ $i -lt 100 ] || die "queue-manager does not start"; sleep 0.1
done

say "running ezmlm-test as eztest (its output: $W/ezmlm-test.out)"
{ runuser -u eztest -- env -u QUAIL_HOME HOME="$W/eztest" \
    sh -c 'umask 002; cd "$1" && shift && exec ./ezmlm-test "$@"' sh "$W/ezmlm" "$@" 2>&1
  echo $? > "$W/rc"; } | tee "$W/ezmlm-test.out"
rc=$(cat "$W/rc")
say "ezmlm-test exited $rc"
[ "$rc" = 0 ] || { say "the queue-manager's log:"; tail -30 "$P/log/queue-manager/current" 2>/dev/null; }
exit "$rc"
