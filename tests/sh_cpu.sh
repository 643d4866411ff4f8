#!/bin/sh
# The kernel sets (src/core/kset.h), each one this CPU supports: the kernel, cell, head,
# reference and gradient-check test programs pass under RNNLAB_CPU=SET; a short JSB training
# and an evaluation under every set agree within the documented tolerance
# (docs/PERFORMANCE.md, "Kernel sets": 1e-5 nats per frame, measured <= 1e-6), and plain and
# avx2 give byte-identical models (the same source, FMAs rounded alike); RNNLAB_CPU's bad
# values are one line and exit 2.
. tests/lib.sh
LC_ALL=C
export LC_ALL
unset RNNLAB_CPU
v=$("$R" --version) && ok || bad "rnnlab --version failed: $v"
sets=$(printf '%s\n' "$v" | sed -n 's/.*this CPU supports \([a-z0-9 ]*\)).*/\1/p')
printf '%s\n' "$sets" | grep -qw plain && ok || bad "--version lists no plain set: $v"
best=$(printf '%s\n' "$sets" | cut -d' ' -f1)
printf '%s\n' "$v" | grep -q "(kernels $best;" && ok || bad "the default set is not the best supported ($best): $v"
echo "$NAME: kernel sets of this CPU: $sets"
for k in $sets; do
    RNNLAB_CPU=$k "$R" --version | grep -q "(kernels $k;" && ok || bad "RNNLAB_CPU=$k: --version does not say kernels $k"
done
RNNLAB_CPU= "$R" --version | grep -q "(kernels $best;" && ok || bad "an empty RNNLAB_CPU is not the default"

# The unit tests under each set.
for k in $sets; do
    for t in test_kernels test_cells test_reference test_train test_api dtest_gradcheck; do
        [ -x "$BUILD/tests/$t" ] || { bad "no $BUILD/tests/$t (make test-bins)"; continue; }
        RNNLAB_CPU=$k "$BUILD/tests/$t" > "$T/$t.$k" 2>&1 && ok || bad "$t under RNNLAB_CPU=$k: $(tail -n 3 "$T/$t.$k" | tr '\n' ' ')"
    done
done

# A JSB GRU (Table 1's size) for 2 epochs under each set, and one model evaluated by each.
nll() { tail -n 1 "$1/metrics.csv" | cut -d, -f5; }
close() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= t) }'; }
for k in $sets; do
    RNNLAB_CPU=$k "$R" train --data jsb --cell gru --lr 0.001 --max-epochs 2 --seed 1 --out "$T/jsb-$k" --quiet > "$T/err" 2>&1 \
        && ok || bad "RNNLAB_CPU=$k: training failed: $(cat "$T/err")"
done
for k in $sets; do
    close "$(nll "$T/jsb-$k")" "$(nll "$T/jsb-$best")" 1e-5 && ok \
        || bad "RNNLAB_CPU=$k: valid NLL $(nll "$T/jsb-$k") is not within 1e-5 of $best's $(nll "$T/jsb-$best")"
    RNNLAB_CPU=$k "$R" eval --model "$T/jsb-$best/model.safetensors" --data jsb --split test > "$T/eval-$k" 2>&1 \
        && ok || bad "RNNLAB_CPU=$k: eval failed: $(cat "$T/eval-$k")"
    a=$(sed -n 's/.*NLL \([0-9.]*\) nats.*/\1/p' "$T/eval-$k"); b=$(sed -n 's/.*NLL \([0-9.]*\) nats.*/\1/p' "$T/eval-$best")
    close "$a" "$b" 1e-5 && ok || bad "RNNLAB_CPU=$k: test NLL $a of one model is not within 1e-5 of $best's $b"
done
case " $sets " in
*" avx2 "*)
    cmp -s "$T/jsb-plain/model.safetensors" "$T/jsb-avx2/model.safetensors" && ok \
        || bad "plain and avx2 models differ (they should be byte-identical)" ;;
esac

# The speech head (the mixture NLL, a vector path on AVX-512): one model evaluated by each
# set agrees to 1e-5 nats per step.
if mini_fsdd "$T/fsdd" 8; then
    "$R" train --data "$T/fsdd" --cell lstm --hidden 8 --max-epochs 1 --out "$T/sp" --quiet > "$T/err" 2>&1 \
        && ok || bad "speech training failed: $(cat "$T/err")"
    for k in $sets; do
        RNNLAB_CPU=$k "$R" eval --model "$T/sp/model.safetensors" --data "$T/fsdd" --split valid > "$T/sp-$k" 2>&1 \
            && ok || bad "RNNLAB_CPU=$k: speech eval failed: $(cat "$T/sp-$k")"
        a=$(sed -n 's/.*NLL \([-0-9.]*\) nats.*/\1/p' "$T/sp-$k"); b=$(sed -n 's/.*NLL \([-0-9.]*\) nats.*/\1/p' "$T/sp-$best")
        close "$a" "$b" 1e-5 && ok || bad "RNNLAB_CPU=$k: speech NLL $a is not within 1e-5 of $best's $b"
    done
else
    bad "no FSDD under the data root for the speech check"
fi

# Bad values: one line on stderr, exit 2, for every command; a library call returns them.
for val in avx1024 PLAIN " avx2"; do
    RNNLAB_CPU=$val "$R" --version > "$T/out" 2> "$T/err"; rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && [ ! -s "$T/out" ] \
        && grep -q "RNNLAB_CPU: expected avx512, avx2 or plain, got '$val'" "$T/err" && ok \
        || bad "RNNLAB_CPU='$val': exit $rc, stderr: $(cat "$T/err")"
done
RNNLAB_CPU=bogus "$BUILD/example" "$T/jsb-$best/model.safetensors" 2 > "$T/out" 2> "$T/err"; rc=$?
[ $rc -ne 0 ] && grep -q "RNNLAB_CPU: expected" "$T/err" && ok || bad "a program's rnl_model_load under a bad RNNLAB_CPU: exit $rc, $(cat "$T/err")"
# A program: rnl_cpu_init returns the error, names still parse, and a kernel that cannot
# return a status aborts with the message instead of computing with some other set.
cat > "$T/k.c" <<'C'
#include <stdio.h>
#include "rnnlab.h"
int main(void) {
    rnl_real a[2] = {0.5f, -1.0f}, y[2] = {1, 0};
    if (rnl_cpu_init() != RNL_ERR_USAGE || rnl_cpu_name() != NULL) return 3;
    printf("%s %s\n", rnl_cell_name(RNL_CELL_GRU), rnl_last_error());
    fflush(stdout);
    printf("%g\n", rnl_bernoulli_nll(a, y, 2, NULL));
    return 0;
}
C
dir=$(cd "$BUILD" && pwd)
cc -std=c11 ${RNL_LDFLAGS:-} -Iinclude "$T/k.c" -o "$T/k" -L"$dir" -lrnnlab -Wl,-rpath,"$dir" 2> "$T/err" && ok || bad "cannot build the program: $(cat "$T/err")"
RNNLAB_CPU=bogus "$T/k" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 134 ] && [ "$(cat "$T/out")" = "gru RNNLAB_CPU: expected avx512, avx2 or plain, got 'bogus'" ] \
    && grep -q "^rnnlab: RNNLAB_CPU: expected avx512, avx2 or plain, got 'bogus'" "$T/err" && ok \
    || bad "a kernel call after a failed choice: exit $rc, out '$(cat "$T/out")', err '$(head -c 300 "$T/err")'"
RNNLAB_CPU= "$T/k" > /dev/null 2>&1; [ $? -eq 3 ] && ok || bad "the program's rnl_cpu_init failed with RNNLAB_CPU empty"
for k in avx512 avx2; do
    case " $sets " in *" $k "*) continue ;; esac
    RNNLAB_CPU=$k "$R" --version > /dev/null 2> "$T/err"; rc=$?
    [ $rc -eq 2 ] && grep -q "RNNLAB_CPU=$k: this CPU lacks" "$T/err" && ok || bad "RNNLAB_CPU=$k on a CPU without it: exit $rc, $(cat "$T/err")"
done
summary
