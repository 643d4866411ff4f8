#!/bin/sh
# make install into a scratch prefix, then build the embedding example against the installed
# header and library (shared through the installed pkg-config file, and static), and run both
# on a checkpoint the installed tool trained: they must run and agree.
. tests/lib.sh
tmp=$T
make -s BUILD="$BUILD" install PREFIX="$tmp/prefix" >/dev/null 2>&1 && ok || bad "make install failed"
for f in include/rnnlab.h lib/librnnlab.a lib/librnnlab.so lib/pkgconfig/rnnlab.pc bin/rnnlab; do
    [ -e "$tmp/prefix/$f" ] && ok || bad "missing $f"
done
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# RNL_LDFLAGS: the build's link flags (the sanitizer runtime when the suite runs under ASan).
cc -std=c11 ${RNL_LDFLAGS:-} $(pkg-config --cflags rnnlab) examples/run_model.c -o "$tmp/ex_shared" \
    $(pkg-config --libs rnnlab) -Wl,-rpath,"$tmp/prefix/lib" -lm 2>"$tmp/err" && ok || bad "shared build: $(cat "$tmp/err")"
# librnnlab.a with its dependencies linked shared (as the tool is) and the private libraries
# the installed rnnlab.pc lists (libgomp, libm, pthread): a fully static link
# would also need static builds of libsndfile's codecs, which Debian does not install.
cc -std=c11 ${RNL_LDFLAGS:-} $(pkg-config --cflags rnnlab) examples/run_model.c -o "$tmp/ex_static" \
    "$tmp/prefix/lib/librnnlab.a" $(pkg-config --libs openblas matio sndfile) \
    $(sed -n 's/^Libs.private: //p' "$tmp/prefix/lib/pkgconfig/rnnlab.pc") 2>"$tmp/err" && ok || bad "static build: $(cat "$tmp/err")"
"$tmp/prefix/bin/rnnlab" train --data jsb --hidden 8 --max-epochs 1 --out "$tmp/run" --quiet >/dev/null 2>&1 && ok || bad "installed rnnlab cannot train"
a=$("$tmp/ex_shared" "$tmp/run/model.safetensors" 6 2>&1); ra=$?
b=$("$tmp/ex_static" "$tmp/run/model.safetensors" 6 2>&1); rb=$?
[ $ra -eq 0 ] && [ $rb -eq 0 ] && ok || bad "example failed: $a / $b"
[ "$(printf '%s\n' "$a" | grep -c '^step ')" -eq 6 ] && ok || bad "example printed: $a"
[ "$a" = "$b" ] && ok || bad "shared and static examples differ"
summary
