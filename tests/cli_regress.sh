# cli_regress.sh - replays the regression corpus, tests/regress/<target>/*:
# every input a fuzz target (fuzz/fuzz_<target>.c) once failed on, run
# through the same target code without libFuzzer (BUILD/fuzz/replay_<target>,
# under the suite's ASan+UBSan). One check per target; a crash, a sanitizer
# report or a failed check of the target fails it.
. tests/lib.sh
BUILD=$(dirname "$CELEB")
for d in tests/regress/*/; do
    t=$(basename "$d")
    bin=$BUILD/fuzz/replay_$t
    count=$(ls "$d" | wc -l)
    if [ ! -x "$bin" ]; then
        not_ok "regress $t: no replay binary $bin (make BUILD=... tests builds it)"
        continue
    fi
    "$bin" "$d"* >"$T/$t.out" 2>&1
    rc=$?
    check "regress $t: $count inputs replayed, no crash or sanitizer report" \
        "[ $rc -eq 0 ] && [ \$(grep -c '^replayed ' '$T/$t.out') -eq $count ]" || true
    [ $rc -eq 0 ] || tail -20 "$T/$t.out" | sed 's/^/#   /'
done
