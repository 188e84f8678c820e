#!/usr/bin/env bash
# The check a new machine would make: remove the system packages the tests need (RabbitMQ,
# Redis, Chromium; PostgreSQL with --purge-postgres), clone the repository afresh and run
# CI (.ci/run) there, which must install them again and end with "N passed, 0 failed".
#
#   sudo bash scripts/fresh-machine-check.sh [--purge-postgres] [REPO]   (REPO defaults to this checkout)
#
# It changes the machine (apt-get purge, then install again); run it on a development or CI
# box, not on a server.
set -euo pipefail

purge_pg=0
if [ "${1:-}" = "--purge-postgres" ]; then
  purge_pg=1
  shift
fi
repo="${1:-$(cd "$(dirname "$0")/.." && pwd)}"

# An array: as root the prefix is empty (an empty string would make the next word the command).
as_root=()
if [ "$(id -u)" != 0 ]; then as_root=(sudo); fi

packages=(rabbitmq-server redis-server chromium)
if [ "$purge_pg" = 1 ]; then packages+=(postgresql-15); fi
echo "fresh-machine-check: purging ${packages[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${packages[@]}" >/dev/null || true
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get autoremove -y -qq >/dev/null || true
for bin in /usr/lib/rabbitmq/bin/rabbitmq-server /usr/bin/redis-server /usr/bin/chromium; do
  if [ -e "$bin" ]; then echo "fresh-machine-check: $bin is still installed" >&2; exit 1; fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone"
cd "$work/clone"
echo "fresh-machine-check: running .ci/run in a fresh clone of $(git rev-parse --short HEAD)"
bash .ci/run > "$work/ci.log" 2>&1 || true
tail -3 "$work/ci.log"
summary="$(tail -1 "$work/ci.log")"
case "$summary" in
  *" passed, 0 failed") echo "fresh-machine-check: ok ($summary)" ;;
  *) echo "fresh-machine-check: FAILED ($summary)" >&2; exit 1 ;;
esac
