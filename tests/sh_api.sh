#!/bin/sh
# The shared library's interface is the header: `nm -D --defined-only` of librnnlab.so lists
# exactly the functions include/rnnlab.h declares (every exported symbol declared, every
# declared function exported), the library carries its SONAME librnnlab.so.MAJOR with the
# usual links, and rnl_version() is the header's version. SO (default $BUILD/librnnlab.so)
# may name an installed library (tests/sh_install.sh runs this test on it).
. tests/lib.sh
LC_ALL=C
export LC_ALL
SO=${SO:-$BUILD/librnnlab.so}
[ -e "$SO" ] && ok || { bad "no $SO (build first)"; summary; exit 1; }
# Declared functions: the header without its comments and preprocessor lines, each name
# followed by "(" (a function pointer typedef is "(*name)(", so it is not one).
cc -fpreprocessed -dD -E -P include/rnnlab.h > "$T/h.i" 2>"$T/err" && ok || bad "cannot read rnnlab.h: $(cat "$T/err")"
grep -v '^ *#' "$T/h.i" | tr '\n' ' ' | grep -o '[A-Za-z_][A-Za-z0-9_]* *(' | sed 's/ *($//' \
    | grep -v -x '__attribute__\|format\|void\|int\|char\|double\|float\|long\|sizeof' | sort -u > "$T/declared"
nm -D --defined-only "$SO" | awk '$2 ~ /^[TtWwDdBbRrVviu]$/ { print $3 }' | sed 's/@.*//' | sort -u > "$T/exported"
[ -s "$T/declared" ] && [ -s "$T/exported" ] && ok || bad "no declared or no exported functions"
comm -13 "$T/declared" "$T/exported" > "$T/extra"
comm -23 "$T/declared" "$T/exported" > "$T/missing"
[ -s "$T/extra" ] && bad "exported but not declared in rnnlab.h: $(tr '\n' ' ' < "$T/extra")" || ok
[ -s "$T/missing" ] && bad "declared in rnnlab.h but not exported: $(tr '\n' ' ' < "$T/missing")" || ok
# SONAME and links.
major=$(sed -n 's/^#define RNL_VERSION_MAJOR \([0-9]*\)/\1/p' include/rnnlab.h)
version=$(sed -n 's/^#define RNL_VERSION "\(.*\)"/\1/p' include/rnnlab.h)
soname=$(readelf -d "$SO" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "librnnlab.so.$major" ] && ok || bad "SONAME is '$soname', not librnnlab.so.$major"
dir=$(dirname "$SO")
[ -L "$dir/librnnlab.so" ] && [ "$(readlink "$dir/librnnlab.so")" = "librnnlab.so.$version" ] && ok \
    || bad "$dir/librnnlab.so is not a link to librnnlab.so.$version"
[ -L "$dir/librnnlab.so.$major" ] && [ -f "$dir/librnnlab.so.$version" ] && ok || bad "no $dir/librnnlab.so.$major link"
# rnl_version() of the loaded library is the header's, and the macros make it.
cat > "$T/v.c" <<'C'
#include <stdio.h>
#include <string.h>
#include "rnnlab.h"
#define S2(x) #x
#define S(x) S2(x)
int main(void) {
    const char *want = S(RNL_VERSION_MAJOR) "." S(RNL_VERSION_MINOR) "." S(RNL_VERSION_PATCH);
    printf("%s\n", rnl_version());
    return strcmp(rnl_version(), RNL_VERSION) != 0 || strcmp(want, RNL_VERSION) != 0;
}
C
cc -std=c11 ${RNL_LDFLAGS:-} -Iinclude "$T/v.c" -o "$T/v" -L"$dir" -lrnnlab -Wl,-rpath,"$(cd "$dir" && pwd)" 2>"$T/err" \
    && ok || bad "cannot link a program against $SO: $(cat "$T/err")"
got=$("$T/v" 2>&1) && [ "$got" = "$version" ] && ok || bad "rnl_version() gave '$got', the header says $version"
# The program needs the SONAME, not the unversioned link.
readelf -d "$T/v" | grep -q "NEEDED.*\[librnnlab.so.$major\]" && ok || bad "a program linked with -lrnnlab does not need librnnlab.so.$major"
summary
