#!/bin/bash
# `make demo`: builds the gallery celeb knows out of the box (LFW and
# ../shared/data/celebs, into the default gallery; once: a second run finds
# it up to date), then asks who is in ../shared/data/media/giphy_video.gif
# with no --gallery: Brad Pitt and Angelina Jolie.
set -euo pipefail
BUILD=${1:-build/release}
SHARED=${CELEB_SHARED:-../shared}
LOG=$BUILD/demo-gallery.jsonl
echo "celeb gallery build-default $SHARED/data   (one line per photo in $LOG)" >&2
# Progress on the terminal; the photos skipped (no face, no clear main face)
# are in the log.
"$BUILD/celeb" gallery build-default "$SHARED/data" 2>&1 >"$LOG" | grep --line-buffered -v ': skipped: ' >&2
echo "celeb detect --format text $SHARED/data/media/giphy_video.gif" >&2
"$BUILD/celeb" detect --format text "$SHARED/data/media/giphy_video.gif"
