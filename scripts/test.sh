#!/usr/bin/env bash
# The whole test suite, on a fresh Debian 12 machine as root (what CI runs):
# installs what the test bed needs when it is missing (openssh-server for the
# sshd hosts, PostgreSQL 15 for the coordinator catalog, chromium for the HTML
# report test, pssh for the collection benchmark, sudo for the runbook's
# directory step on the bed, shellcheck for the runbook script, pkg-config and libssl-dev to
# build ssh2), then runs `cargo test --release` with any arguments given.
#
#   bash scripts/test.sh                 # everything
#   bash scripts/test.sh --test rehearsal
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v pkg-config >/dev/null || need+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || need+=(libssl-dev)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
[ -x /usr/bin/ssh ] || need+=(openssh-client)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15)
command -v chromium >/dev/null || need+=(chromium)
command -v parallel-ssh >/dev/null || need+=(pssh)
[ -x /usr/bin/sudo ] || need+=(sudo)
command -v shellcheck >/dev/null || need+=(shellcheck)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "the test bed needs: ${need[*]} (apt-get install as root), and root to run (namespaces, tmpfs mounts)" >&2
    exit 1
  fi
  echo "== installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  echo "the test bed needs root (network-free namespaces and tmpfs mounts): run as root" >&2
  exit 1
fi
exec cargo test --release "$@"
