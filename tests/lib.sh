# lib.sh — what every shell test (tests/sh_*.sh) shares; each sources it first, from the
# repository root, as tests/run.sh runs them:  . tests/lib.sh
#   NAME     the test's name for its messages: the script's file name without .sh
#   BUILD    the build directory (default build; make test passes its own)
#   R        that build's rnnlab tool, as an absolute path (a test may cd)
#   T        a scratch directory, removed when the test exits
#   ok, bad MESSAGE, check CONDITION MESSAGE
#            count one check as passed or failed; bad prints "FAIL NAME: MESSAGE";
#            check evaluates CONDITION (a shell command line) and counts it either way
#   summary  prints "NAME: N passed, M failed" (the line tests/run.sh adds up) and returns
#            non-zero if any check failed; a test ends with it, so it is the exit status
NAME=${NAME:-$(basename "$0" .sh)}
BUILD=${BUILD:-build}
case $BUILD in
    /*) R="$BUILD/rnnlab" ;;
    *) R="$(pwd)/$BUILD/rnnlab" ;;
esac
T=$(mktemp -d) || { echo "FAIL $NAME: mktemp -d failed"; exit 1; }
trap 'rm -rf "$T"' EXIT
passed=0; failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL $NAME: $*"; }
check() { if eval "$1"; then ok; else bad "$2"; fi; }
summary() {
    echo "$NAME: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
# mini_fsdd DIR [N]: an FSDD-style directory of the first N (default 8) training recordings
# and the first N/4 validation and test ones of the data root's FSDD (index split), linked,
# not copied: a speech data set that trains in a second.
mini_fsdd() {
    src=${RNNLAB_DATA:-../shared/data}/speech/fsdd
    n=${2:-8}
    [ -f "$src/manifest.tsv" ] || return 1
    mkdir -p "$1/recordings" || return 1
    awk -F '\t' -v n="$n" 'NR == 1 { print; next }
        { c[$6]++; if (($6 == "train" && c[$6] <= n) || ($6 != "train" && c[$6] <= n / 4)) print }' \
        "$src/manifest.tsv" > "$1/manifest.tsv" || return 1
    src_abs=$(cd "$src/recordings" && pwd)
    tail -n +2 "$1/manifest.tsv" | cut -f1 | while read -r f; do ln -sf "$src_abs/$f" "$1/recordings/$f"; done
}
