#!/bin/sh
# queue-part: what runs as qmail-clean, qmail-lspawn or qmail-rspawn, the
# parts of qmail's queue that quail's queue-manager does itself.
#
# qmail-start starts those three beside qmail-send and talks to them over
# pipes; nothing else runs them. In quail one process, queue-manager
# (also installed as qmail-send and started by qmail-start), cleans the
# queue and starts deliver-local (as each user) and deliver-remote (as
# quailr). The names are kept so that scripts and monitors that look for
# them find a program that says so: run under any name, this explains and
# exits 100.
# Exit codes: 100 always.
name=${0##*/}
case $name in
  qmail-clean)  job="removes finished messages from the queue";;
  qmail-lspawn) job="starts deliver-local as the recipient's user for each local delivery";;
  qmail-rspawn) job="starts deliver-remote for each remote delivery";;
  *)            name=queue-part job="does the work of qmail-clean, qmail-lspawn and qmail-rspawn";;
esac
echo "$name: quail has no separate $name: queue-manager (running as qmail-send, started by qmail-start or its runit service) $job itself; see queue-manager(8)" >&2
exit 100
