#!/usr/bin/env bash
# Puts promtool on PATH if it is missing, from Debian's `prometheus` package.
# Needs root (CI runs as root). The package would also start a Prometheus server;
# a policy-rc.d that answers 101 keeps it from doing so, so nothing is left running.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "promtool is missing; install it with: sudo apt-get install --no-install-recommends prometheus" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
remove_policy() { :; }
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# temporary, from install-promtool.sh: start no services\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  remove_policy() { rm -f "$policy"; }
fi
trap remove_policy EXIT

apt_install() {
  apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends prometheus
}
if ! apt_install >/tmp/install-promtool.log 2>&1; then
  # A fresh machine has no package lists yet, or stale ones.
  apt-get update -q -o DPkg::Lock::Timeout=300 >>/tmp/install-promtool.log 2>&1
  apt_install >>/tmp/install-promtool.log 2>&1 || { cat /tmp/install-promtool.log >&2; exit 1; }
fi
command -v promtool
