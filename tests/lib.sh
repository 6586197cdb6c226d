# tests/lib.sh - sourced by the tests/cli_*.sh scripts: the TAP-like
# "ok N - ..." / "not ok N - ..." lines that tests/run.sh counts, and the
# paths every script uses.
CELEB=${CELEB:-build/asan/celeb}
SHARED=$(cd "${CELEB_SHARED:-../shared}" && pwd)
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
n_ok=0
n_fail=0
ok() { n=$((n + 1)); n_ok=$((n_ok + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); n_fail=$((n_fail + 1)); echo "not ok $n - $1"; }
check() { if eval "$2"; then ok "$1"; else not_ok "$1"; fi; }

# listening_port LOG PID [TENTHS]: waits (default 60 s) until the `celeb serve`
# of PID says in LOG that it listens; prints its port (nothing if it never did).
listening_port() {
    i=0
    until grep -q 'listening on' "$1" 2>/dev/null || [ $i -gt "${3:-600}" ] || ! kill -0 "$2" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\)\/.*/\1/p' "$1"
}
