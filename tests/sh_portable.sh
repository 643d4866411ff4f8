#!/bin/sh
# The portable build ($PORTABLE_BUILD, `make portable`, what `make install` installs) runs on
# any x86-64: outside the kernel sets no instruction touches a ymm or zmm register (objdump of
# every object, and of every function of the tool and the shared library that is not a
# kernel set's), the plain set none either and the avx2 set no zmm. Within one kernel set
# the portable and the -march=native build give byte-identical models (JSB GRU, 2 epochs),
# and under valgrind, whose virtual CPU has no AVX-512, the portable tool runs, chooses a
# smaller set itself and evaluates a model to the native build's digits under that set.
. tests/lib.sh
LC_ALL=C
export LC_ALL
unset RNNLAB_CPU
PB=${PORTABLE_BUILD:-$BUILD-portable}
case $PB in /*) PR="$PB/rnnlab" ;; *) PR="$(pwd)/$PB/rnnlab" ;; esac
[ -x "$PR" ] && [ -d "$PB/obj" ] && [ -d "$PB/kset" ] && ok || { bad "no portable build in $PB (make portable)"; summary; exit 1; }
command -v objdump > /dev/null && ok || { bad "no objdump"; summary; exit 1; }

# vregs FILE: the number of instructions in FILE's disassembly that name %ymm or %zmm (ZMM: only those).
vregs() { objdump -d --no-show-raw-insn "$1" | grep -cE "%${2:-[yz]}mm[0-9]"; }
n=0
for o in "$PB"/obj/*/*.o; do
    n=$((n + 1))
    c=$(vregs "$o")
    [ "$c" -eq 0 ] && ok || bad "$o (outside the kernel sets) has $c instructions on ymm/zmm registers"
done
[ $n -gt 30 ] && ok || bad "only $n objects in $PB/obj"
for o in "$PB"/kset/plain/*/*.o; do
    c=$(vregs "$o"); [ "$c" -eq 0 ] && ok || bad "$o (plain set) has $c instructions on ymm/zmm registers"
done
for o in "$PB"/kset/avx2/*/*.o; do
    c=$(vregs "$o" z); [ "$c" -eq 0 ] && ok || bad "$o (avx2 set) has $c instructions on zmm registers"
done
# The sets do use what they are for (else the flags did not reach them).
[ "$(cat "$PB"/kset/avx512/*/*.o | wc -c)" -gt 0 ] && [ "$(for o in "$PB"/kset/avx512/*/*.o; do vregs "$o" z; done | awk '{ s += $1 } END { print s + 0 }')" -gt 100 ] \
    && ok || bad "the avx512 set's objects hardly use zmm registers"
# Linked binaries: every function with ymm/zmm instructions is a kernel set's (its name is
# among the symbols of the set objects, static functions included).
for o in "$PB"/kset/*/*/*.o; do nm "$o"; done | awk '$2 ~ /^[Tt]$/ { print $3 }' | sort -u > "$T/setfns"
for bin in "$PR" "$PB/librnnlab.so"; do
    objdump -d --no-show-raw-insn "$bin" | awk '
        /^[0-9a-f]+ <.*>:$/ { f = $2; sub(/^</, "", f); sub(/>:$/, "", f); next }
        /%[yz]mm[0-9]/ { print f }' | sort -u > "$T/vfns"
    [ -s "$T/vfns" ] && ok || bad "$bin has no vector function at all (no kernel sets linked?)"
    comm -23 "$T/vfns" "$T/setfns" > "$T/outside"
    [ -s "$T/outside" ] && bad "$bin: functions outside the kernel sets with ymm/zmm instructions: $(head -n 5 "$T/outside" | tr '\n' ' ')" || ok
done

# Within each set, the portable build's model is the native build's, byte for byte.
if [ "$PB" = "$BUILD" ]; then
    echo "$NAME: $BUILD is itself the portable build (OPT has no -march=native): nothing to compare"
else
    sets=$("$R" --version | sed -n 's/.*this CPU supports \([a-z0-9 ]*\)).*/\1/p')
    [ -n "$sets" ] && ok || bad "rnnlab --version names no kernel sets"
    for k in $sets; do
        for b in native portable; do
            tool=$R; [ $b = portable ] && tool=$PR
            RNNLAB_CPU=$k "$tool" train --data jsb --cell gru --lr 0.001 --max-epochs 2 --seed 1 --out "$T/$b-$k" --quiet > "$T/err" 2>&1 \
                && ok || bad "$b build, RNNLAB_CPU=$k: training failed: $(cat "$T/err")"
        done
        cmp -s "$T/native-$k/model.safetensors" "$T/portable-$k/model.safetensors" && ok \
            || bad "RNNLAB_CPU=$k: the portable build's model differs from the native build's"
    done
    # Valgrind's CPU has no AVX-512: the portable tool runs there, picks a smaller set by
    # itself, refuses RNNLAB_CPU=avx512 in one line, and evaluates a model as the native
    # build does under the same set. (Skipped where the portable build is the build itself:
    # sanitizer builds do not run under valgrind.)
    if command -v valgrind > /dev/null; then
        VG="valgrind -q --error-exitcode=9"
        v=$($VG "$PR" --version 2>&1) && ok || bad "portable rnnlab --version under valgrind: $v"
        vk=$(printf '%s\n' "$v" | sed -n 's/.*(kernels \([a-z0-9]*\);.*/\1/p')
        case "$vk" in avx2 | plain) ok ;; *) bad "under valgrind (no AVX-512) the set is '$vk': $v" ;; esac
        printf '%s\n' "$v" | grep -q "supports.*avx512" && bad "valgrind's CPU said to support avx512: $v" || ok
        RNNLAB_CPU=avx512 $VG "$PR" --version > /dev/null 2> "$T/err"; rc=$?
        [ $rc -eq 2 ] && [ "$(wc -l < "$T/err")" -eq 1 ] && grep -q "RNNLAB_CPU=avx512: this CPU lacks avx512f" "$T/err" && ok \
            || bad "RNNLAB_CPU=avx512 under valgrind: exit $rc, $(cat "$T/err")"
        "$R" train --data jsb --hidden 8 --max-epochs 1 --out "$T/small" --quiet > /dev/null 2>&1 && ok || bad "small training failed"
        a=$($VG "$PR" eval --model "$T/small/model.safetensors" --data jsb --split valid 2>&1) && ok || bad "portable eval under valgrind: $a"
        b=$(RNNLAB_CPU=$vk "$R" eval --model "$T/small/model.safetensors" --data jsb --split valid 2>&1)
        [ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "under valgrind ($vk) the evaluation is '$a', natively '$b'"
    else
        bad "no valgrind (apt-get install valgrind): the run on a CPU without AVX-512 is not checked"
    fi
fi
summary
