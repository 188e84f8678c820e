#!/usr/bin/env bash
# Install the service binaries the tests start themselves: RabbitMQ, Redis,
# PostgreSQL 15, and Chromium for the browser test, on Debian 12. Idempotent: installs only what is missing.
#
# The tests run their own instances on free ports in temp dirs, so the system services the
# packages would start are unwanted (they would hold 5672/6379/5432 and use CPU): a
# policy-rc.d keeps invoke-rc.d from starting them during installation, and anything that
# started anyway is stopped and disabled afterwards.
#
# Run as root (or through sudo). .ci/run calls it; the test harness calls it under
# `flock /tmp/stompbox-apt.lock` when a binary is missing.
set -euo pipefail

# An array, so that running as root adds nothing: an empty string before `-E` would make
# `-E` the command.
SUDO=()
if [ "$(id -u)" != 0 ]; then SUDO=(sudo); fi

need=()
command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql-15)
# The demo's browser test drives Debian's Chromium (no browser download is possible here).
[ -x /usr/bin/chromium ] || need+=(chromium)
# The FCM mock's HTTP/2 mode serves TLS with a certificate the tests make with openssl.
command -v openssl >/dev/null 2>&1 || need+=(openssl)

if [ ${#need[@]} -gt 0 ]; then
  echo "ci-services: installing ${need[*]}"
  policy=/usr/sbin/policy-rc.d
  had_policy=0
  if [ -e "$policy" ]; then had_policy=1; fi
  if [ "$had_policy" = 0 ]; then
    printf '#!/bin/sh\n# stompbox ci-services.sh: do not start services during apt-get install\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
  fi
  trap 'if [ "$had_policy" = 0 ]; then "${SUDO[@]}" rm -f "$policy"; fi' EXIT
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  echo "ci-services: rabbitmq-server, redis-server and postgresql already installed"
fi

# Whatever the packages started (systemd hosts ignore policy-rc.d), stop and disable it: the
# tests must own every running instance. Without systemd, only call the init script when the
# system instance really runs (its stop action would otherwise start an epmd just to ask).
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for unit in rabbitmq-server redis-server postgresql epmd.socket epmd.service; do
    "${SUDO[@]}" systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
else
  if pgrep -u rabbitmq -x beam.smp >/dev/null 2>&1; then "${SUDO[@]}" /etc/init.d/rabbitmq-server stop || true; fi
  if pgrep -u rabbitmq -x epmd >/dev/null 2>&1; then epmd -kill >/dev/null 2>&1 || true; fi
  if pgrep -u redis -x redis-server >/dev/null 2>&1; then "${SUDO[@]}" /etc/init.d/redis-server stop || true; fi
  if command -v pg_lsclusters >/dev/null 2>&1 && pg_lsclusters -h 2>/dev/null | grep -q ' online'; then
    "${SUDO[@]}" /etc/init.d/postgresql stop || true
  fi
fi

for bin in /usr/bin/chromium /usr/lib/rabbitmq/bin/rabbitmq-server "$(command -v redis-server)" "$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1)" "$(command -v epmd)"; do
  [ -x "$bin" ] || { echo "ci-services: missing $bin after install" >&2; exit 1; }
done
echo "ci-services: ready"
