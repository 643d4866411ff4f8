#!/bin/sh
# make install into a scratch prefix, then build both examples against the installed header
# and library through the installed pkg-config file alone — shared (`pkg-config --cflags
# --libs rnnlab`) and with librnnlab.a (`pkg-config --static --libs rnnlab`) — and run them:
# run_model on a checkpoint the installed tool trained, train_model through the whole
# workflow (train, evaluate, resume, sample). Shared and static builds must agree, and
# train_model's numbers must be the installed tool's.
. tests/lib.sh
tmp=$T
# make install installs the portable build (make test passes its directory; build-asan under
# make asan-test, where the build itself is portable).
PB=${PORTABLE_BUILD:-$BUILD-portable}
make -s BUILD="$BUILD" PORTABLE_BUILD="$PB" install PREFIX="$tmp/prefix" >/dev/null 2>&1 && ok || bad "make install failed"
for f in include/rnnlab.h lib/librnnlab.a lib/librnnlab.so lib/librnnlab.so.0 lib/pkgconfig/rnnlab.pc bin/rnnlab; do
    [ -e "$tmp/prefix/$f" ] && ok || bad "missing $f"
done
# The installed shared library exports exactly the header's functions and has its SONAME.
SO="$tmp/prefix/lib/librnnlab.so" NAME=sh_install.api sh tests/sh_api.sh > "$tmp/api" 2>&1 && ok || bad "$(cat "$tmp/api")"
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# RNL_LDFLAGS: the build's link flags (the sanitizer runtime when the suite runs under ASan).
# Static: librnnlab.a (-Bstatic for it alone) and what the .pc's Libs.private lists for it —
# its dependencies' shared libraries (a fully static link would also need static builds of
# libsndfile's codecs, which Debian does not install). -lm: run_model itself calls exp().
# --as-needed: the .pc's Libs names -lrnnlab again, now in dynamic mode; unused, it must not
# become a dependency (gcc's sanitizer specs turn --as-needed off, which the ASan suite showed).
for ex in run_model train_model; do
    cc -std=c11 ${RNL_LDFLAGS:-} $(pkg-config --cflags rnnlab) examples/$ex.c -o "$tmp/${ex}_shared" \
        $(pkg-config --libs rnnlab) -Wl,-rpath,"$tmp/prefix/lib" -lm 2>"$tmp/err" && ok || bad "$ex shared build: $(cat "$tmp/err")"
    cc -std=c11 ${RNL_LDFLAGS:-} $(pkg-config --cflags rnnlab) examples/$ex.c -o "$tmp/${ex}_static" \
        -Wl,-Bstatic -lrnnlab -Wl,-Bdynamic -Wl,--as-needed $(pkg-config --static --libs rnnlab) 2>"$tmp/err" && ok || bad "$ex static build: $(cat "$tmp/err")"
    readelf -d "$tmp/${ex}_shared" | grep -q 'NEEDED.*\[librnnlab.so.0\]' && ok || bad "$ex shared does not load librnnlab.so.0"
    readelf -d "$tmp/${ex}_static" | grep -q 'NEEDED.*librnnlab' && bad "$ex static needs librnnlab.so" || ok
done
# `pkg-config --static --libs rnnlab` as it comes links (it asked for -lmp3lame before).
cc -std=c11 ${RNL_LDFLAGS:-} $(pkg-config --cflags --static rnnlab) examples/train_model.c -o "$tmp/plain_static" \
    $(pkg-config --static --libs rnnlab) -Wl,-rpath,"$tmp/prefix/lib" 2>"$tmp/err" && ok || bad "pkg-config --static link: $(cat "$tmp/err")"
"$tmp/prefix/bin/rnnlab" train --data jsb --hidden 8 --max-epochs 1 --out "$tmp/run" --quiet >/dev/null 2>&1 && ok || bad "installed rnnlab cannot train"
# What is installed is the portable build (tests/sh_portable.sh checks its instructions), and
# it trains under the plain and avx2 kernel sets, to byte-identical models (docs/PERFORMANCE.md).
cmp -s "$tmp/prefix/bin/rnnlab" "$PB/rnnlab" && cmp -s "$tmp/prefix/lib/librnnlab.so.0" "$PB/librnnlab.so.0" && ok \
    || bad "the installed tool or library is not the portable build's ($PB)"
for k in plain avx2; do
    RNNLAB_CPU=$k "$tmp/prefix/bin/rnnlab" train --data jsb --hidden 8 --max-epochs 1 --out "$tmp/run-$k" --quiet >/dev/null 2>"$tmp/err" \
        && ok || bad "installed rnnlab under RNNLAB_CPU=$k: $(cat "$tmp/err")"
done
cmp -s "$tmp/run-plain/model.safetensors" "$tmp/run-avx2/model.safetensors" && ok || bad "the installed tool's plain and avx2 models differ"
a=$("$tmp/run_model_shared" "$tmp/run/model.safetensors" 6 2>&1); ra=$?
b=$("$tmp/run_model_static" "$tmp/run/model.safetensors" 6 2>&1); rb=$?
[ $ra -eq 0 ] && [ $rb -eq 0 ] && ok || bad "run_model failed: $a / $b"
[ "$(printf '%s\n' "$a" | grep -c '^step ')" -eq 6 ] && ok || bad "run_model printed: $a"
[ "$a" = "$b" ] && ok || bad "shared and static run_model differ"
# train_model: 2 epochs, evaluated, resumed to 3, sampled.
a=$("$tmp/train_model_shared" "$tmp/ts" 2>&1); ra=$?
b=$("$tmp/train_model_static" "$tmp/tt" 2>&1); rb=$?
[ $ra -eq 0 ] && [ $rb -eq 0 ] && ok || bad "train_model failed: $a / $b"
[ "$(printf '%s\n' "$a" | sed "s|$tmp/ts|D|")" = "$(printf '%s\n' "$b" | sed "s|$tmp/tt|D|")" ] && ok \
    || bad "shared and static train_model differ: $a / $b"
[ "$(printf '%s\n' "$a" | grep -c '^train epoch=')" -eq 2 ] && [ "$(printf '%s\n' "$a" | grep -c '^resume epoch=3 ')" -eq 1 ] \
    && ok || bad "train_model did not train 2 epochs and resume a third: $a"
[ "$(tail -n 1 "$tmp/ts/run/metrics.csv" | cut -d, -f1)" = 3 ] && ok || bad "the resumed run's metrics.csv does not end at epoch 3"
# Its evaluation after 2 epochs is the tool's for the same run trained by the tool (seed 3).
"$tmp/prefix/bin/rnnlab" train --data jsb --cell gru --hidden 8 --max-epochs 2 --seed 3 --out "$tmp/cli2" --quiet >/dev/null 2>&1 \
    && ok || bad "installed rnnlab cannot train 2 epochs"
want=$("$tmp/prefix/bin/rnnlab" eval --model "$tmp/cli2/model.safetensors" --data jsb --split test | sed -n 's/.*NLL \([0-9.]*\) nats.*/\1/p')
got=$(printf '%s\n' "$a" | sed -n 's/^test_nll=\([0-9.]*\) .*/\1/p')
[ -n "$want" ] && [ "$got" = "$want" ] && ok || bad "train_model's test NLL $got is not rnnlab eval's $want"
# Resumed to 3 epochs, its model is the tool's 3-epoch run's (resume is bit for bit).
"$tmp/prefix/bin/rnnlab" train --data jsb --cell gru --hidden 8 --max-epochs 3 --seed 3 --out "$tmp/cli3" --quiet >/dev/null 2>&1 \
    && ok || bad "installed rnnlab cannot train 3 epochs"
cmp -s "$tmp/cli3/model.safetensors" "$tmp/ts/run/model.safetensors" && ok || bad "train_model's resumed model differs from the tool's 3-epoch run"
printf '%s\n' "$a" | grep -q '^sample=.* frames=40 ' && [ -s "$tmp/ts/sample.mid" ] && ok || bad "train_model wrote no sample: $a"
cmp -s "$tmp/ts/sample.mid" "$tmp/tt/sample.mid" && ok || bad "shared and static samples differ"
summary
