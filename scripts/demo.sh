#!/bin/sh
# `make demo`: enrolls ../shared/data/celebs into a fresh gallery and asks
# who is in ../shared/data/media/giphy_video.gif (Brad Pitt, who is
# enrolled, and Angelina Jolie, who is not).
set -eu
BUILD=${1:-build/release}
SHARED=${CELEB_SHARED:-../shared}
G=$BUILD/demo-gallery.db
rm -f "$G" "$G-wal" "$G-shm"
echo "celeb enroll --gallery $G $SHARED/data/celebs" >&2
"$BUILD/celeb" enroll --gallery "$G" "$SHARED/data/celebs" >/dev/null 2>"$BUILD/demo-enroll.log"
tail -1 "$BUILD/demo-enroll.log" >&2
echo "celeb detect --gallery $G --format text $SHARED/data/media/giphy_video.gif" >&2
"$BUILD/celeb" detect --gallery "$G" --format text "$SHARED/data/media/giphy_video.gif"
