#!/bin/sh
# Seed corpora for the fuzz targets (fuzz/*.c), generated from ../shared/data and
# models/ into build/fuzz/corpus/<target>/ (never into the source tree).
# Usage: scripts/fuzz_seeds.sh [OUTDIR]   (default build/fuzz/corpus)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "${CELEB_SHARED:-$ROOT/../shared}" && pwd)
OUT=${1:-$ROOT/build/fuzz/corpus}
mkdir -p "$OUT/media" "$OUT/manifest" "$OUT/weights" "$OUT/serve" "$OUT/enroll"
# media: the small samples whole, the first 48 KB of the others
for f in "$SHARED"/data/media/*; do
    head -c 49152 "$f" >"$OUT/media/$(basename "$f")"
done
# manifest: plain lines, JSON lines, comments, a broken line
printf '%s\n' "a.gif" "https://x.test/b.gif" "# comment" "" >"$OUT/manifest/plain"
printf '%s\n' '{"id": "a", "source": "a.gif"}' '{"id": 7, "source": "b.gif"}' '{"source": "c.gif"}' >"$OUT/manifest/jsonl"
printf '%s\n' '{"id": "x", "source": ' 'a.gif' >"$OUT/manifest/broken"
# weights: each model's manifest, a NUL, then the first 4 KB of its weights
for m in "$ROOT"/models/*-weights_manifest.json; do
    base=$(basename "$m" -weights_manifest.json)
    bin=$(ls "$ROOT"/models/"$base"*.bin 2>/dev/null | head -1)
    { cat "$m"; printf '\0'; [ -n "$bin" ] && head -c 4096 "$bin"; } >"$OUT/weights/$base"
done
# a small complete one: one 2x2 float32 tensor
{ printf '[{"paths":["w.bin"],"weights":[{"name":"t","shape":[2,2],"dtype":"float32"}]}]'; printf '\0'
  printf '\000\000\200\077\000\000\000\100\000\000\100\100\000\000\200\100'; } >"$OUT/weights/tiny"
# serve: whole HTTP requests (CRLF line ends) on every route; the bodies are
# small and mostly not media, so that a run spends its time in the HTTP side.
# req NAME HEAD [BODY]: HEAD's lines get CRLF; a BODY (printf format) gets its Content-Length.
req() {
    b=$(mktemp)
    [ $# -gt 2 ] && printf -- "$3" | sed 's/$/\r/' | head -c -2 >"$b"
    { printf -- "$2\n" | sed 's/$/\r/'
      [ $# -gt 2 ] && printf 'Content-Length: %d\r\n' "$(wc -c <"$b")"
      printf '\r\n'; cat "$b"; } >"$OUT/serve/$1"
    rm -f "$b"
}
K='Authorization: Bearer fuzz-api-key'
req healthz 'GET /healthz HTTP/1.1\nHost: x'
req metrics 'GET /metrics HTTP/1.1\nHost: x\nConnection: keep-alive'
req gallery_list 'GET /v1/gallery HTTP/1.1\nHost: x'
req gallery_get 'GET /v1/gallery/Fuzz_Person HTTP/1.1\nHost: x'
req embeddings 'GET /v1/embeddings HTTP/1.1\nHost: x'
req thumbnail 'GET /v1/faces/1/thumbnail HTTP/1.1\nHost: x'
req page 'GET / HTTP/1.0'
req static 'GET /app.js?v=1 HTTP/1.1\nHost: x\nConnection: close'
req detect_raw 'POST /v1/detect?frames=5&detector=ssd&include=frames,embedding HTTP/1.1\nHost: x\nContent-Type: image/gif' \
    'GIF89a\001\000\001\000\000\000\000\n'
req detect_json 'POST /v1/detect?frames=all HTTP/1.1\nHost: x\nContent-Type: application/json' \
    '{"url": "http://example.com/a.gif"}\n'
req detect_chunked 'POST /v1/detect HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n5\nGIF89\n0\n'
req enroll_form "POST /v1/gallery/New_Person/faces HTTP/1.1\nHost: x\n$K\nContent-Type: multipart/form-data; boundary=BB" \
    '--BB\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\nContent-Type: image/jpeg\n\n\377\330\377\340junk\n--BB\nContent-Disposition: form-data; name="url"\n\nhttps://example.com/b.png\n--BB--\n'
req enroll_json "POST /v1/gallery/New_Person/faces HTTP/1.1\nHost: x\n$K\nContent-Type: application/json" \
    '{"urls": ["http://example.com/1.jpg", "https://example.com/2.jpg"]}\n'
req rename "PATCH /v1/gallery/Fuzz_Person HTTP/1.1\nHost: x\n$K" '{"name": "Renamed"}\n'
req delete "DELETE /v1/gallery/Nobody HTTP/1.1\nHost: x\n$K"
req unauthorized 'DELETE /v1/gallery/Fuzz_Person HTTP/1.1\nHost: x\nAuthorization: Bearer wrong'
req too_big 'POST /v1/detect HTTP/1.1\nHost: x\nContent-Length: 99999999999'
# enroll: labels.csv, a NUL, then folder names one per line (the people of ../shared/data/celebs)
people=$(ls "$SHARED/data/celebs" | head -6)
{ printf 'folder,name\r\n'; for p in $people; do printf '%s,"%s"\r\n' "$p" "$(echo "$p" | tr _ ' ')"; done
  printf '\0'; for p in $people; do echo "$p"; done; echo "Not_Listed"; } >"$OUT/enroll/celebs"
{ printf '\357\273\277"Smith, Will","Will Smith",extra\nBeyonce_Knowles,Beyonc\303\251 Knowles\n'
  printf '\0Smith, Will\nBeyonce_Knowles\nbad\001name\n\377\376\n'; } >"$OUT/enroll/quoted"
printf 'folder,name\nA,"unterminated\0A\n' >"$OUT/enroll/broken"
printf 'A,One\nA,Two\n\0A\n' >"$OUT/enroll/twice"
echo "fuzz_seeds: $(ls "$OUT/media" | wc -l) media, $(ls "$OUT/manifest" | wc -l) manifest, $(ls "$OUT/weights" | wc -l) weights, $(ls "$OUT/serve" | wc -l) serve, $(ls "$OUT/enroll" | wc -l) enroll seeds in $OUT"
