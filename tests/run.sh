#!/bin/sh
# Runs every test program in $BUILD/tests and the shell tests in tests/*.sh, adds up their
# "N passed, N failed" lines and ends with the total. Exit status: non-zero if anything failed.
BUILD=${BUILD:-build}
export BUILD
passed=0; failed=0
for t in "$BUILD"/tests/test_* "$BUILD"/tests/dtest_* tests/sh_*.sh; do
    [ -e "$t" ] || continue
    case "$t" in *.sh) cmd="sh $t" ;; *) cmd="$t" ;; esac
    out=$($cmd 2>&1); rc=$?
    printf '%s\n' "$out" | tail -n 30
    line=$(printf '%s\n' "$out" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(printf '%s' "$line" | sed -n 's/.*[^0-9]\([0-9][0-9]*\) passed.*/\1/p; s/^\([0-9][0-9]*\) passed.*/\1/p' | head -n 1)
    f=$(printf '%s' "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p' | head -n 1)
    [ -n "$p" ] || p=0
    [ -n "$f" ] || f=0
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL $t exited $rc"; fi
    passed=$((passed + p)); failed=$((failed + f))
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
