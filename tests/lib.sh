# tests/lib.sh - sourced by the tests/cli_*.sh scripts: the TAP-like
# "ok N - ..." / "not ok N - ..." lines that tests/run.sh counts, and the
# paths every script uses.
CELEB=${CELEB:-build/asan/celeb}
SHARED=$(cd "${CELEB_SHARED:-../shared}" && pwd)
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }
