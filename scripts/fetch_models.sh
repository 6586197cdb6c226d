#!/bin/sh
# Fetch the face-api model weights from the npm registry into models/ and check
# every file we use against the committed sha256 list. Idempotent: does nothing
# when models/ already holds the right files. Nothing is downloaded at run time.
set -eu
PKG="@vladmandic/face-api@1.7.15"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST="$ROOT/models"
SUMS="$ROOT/scripts/models.sha256"

mkdir -p "$DEST"
if (cd "$DEST" && sha256sum --quiet -c "$SUMS" >/dev/null 2>&1); then
    exit 0
fi
echo "fetch_models: npm pack $PKG" >&2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "$PKG" >/dev/null && tar xzf ./*.tgz)
for f in $(awk '{print $2}' "$SUMS"); do
    cp "$TMP/package/model/$f" "$DEST/$f"
done
if ! (cd "$DEST" && sha256sum --quiet -c "$SUMS"); then
    echo "fetch_models: sha256 mismatch, refusing the downloaded models" >&2
    rm -f "$DEST"/*.bin "$DEST"/*.json
    exit 1
fi
echo "fetch_models: models ready in $DEST" >&2
