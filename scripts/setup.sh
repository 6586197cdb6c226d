#!/bin/sh
# One idempotent setup step for a fresh Debian 12: installs the Debian packages
# the build and the tests need (only those missing), then fetches the models.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKGS="pkg-config libdnnl-dev libxnnpack-dev libpthreadpool-dev
 libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libwebp-dev
 libjpeg62-turbo-dev libexif-dev libcjson-dev libsqlite3-dev libcmocka-dev libcurl4-openssl-dev libssl-dev
 python3-pil python3-numpy libmicrohttpd-dev libcsv-dev libgif-dev wrk chromium libhiredis-dev redis-server clang valgrind
 g++ libdlib-dev libdlib-data liblapacke-dev"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
"$ROOT/scripts/fetch_models.sh"
# playwright-core for the browser tests of `celeb serve` (the browser is Debian's chromium;
# playwright-core downloads none): from the lock file, only when missing.
if [ ! -d "$ROOT/tests/browser/node_modules/playwright-core" ]; then
    echo "setup: npm ci in tests/browser (playwright-core)" >&2
    (cd "$ROOT/tests/browser" && npm ci --silent --no-audit --no-fund)
fi
