#!/bin/sh
# The library's layers (docs/ARCHITECTURE.md): each folder of src/ may use only the folders
# below it, checked three ways — the #include lines, the include graph (no circle), and the
# symbols each object file links against (a call into a higher layer is caught even when it
# goes through rnnlab.h). Also: no two source files share a basename (the static library is
# built with ar, which keeps one member per name), and README.md's layout names every one.
. tests/lib.sh
LC_ALL=C
export LC_ALL

# allowed LAYER: the layers LAYER may use (itself included).
allowed() {
    case "$1" in
    io) echo "io" ;;
    core) echo "core io" ;;
    data) echo "data io" ;;
    sample) echo "sample core data io" ;;
    run) echo "run sample core data io" ;;
    *) echo "" ;;
    esac
}

# 1. #include "layer/file.h" lines.
for f in src/*/*.c src/*/*.h; do
    layer=$(echo "$f" | cut -d/ -f2)
    ok_layers=$(allowed "$layer")
    [ -n "$ok_layers" ] || { bad "$f: $layer is not a known layer"; continue; }
    for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[a-z_0-9]*\.h".*/\1/p' "$f"); do
        case " $ok_layers " in
        *" $inc "*) ok ;;
        *) bad "$f includes $inc/, above its layer ($layer may use: $ok_layers)" ;;
        esac
    done
done

# 2. The include graph has no circle (tsort fails on one).
for f in src/*/*.c src/*/*.h; do
    sed -n 's/^#include "\([a-z_]*\/[a-z_0-9]*\.h\)".*/\1/p' "$f" | while read -r h; do echo "${f#src/} $h"; done
done > "$T/edges"
if tsort "$T/edges" > /dev/null 2> "$T/tsort.err"; then ok; else bad "include circle: $(tr '\n' ' ' < "$T/tsort.err")"; fi

# 3. Unique basenames.
dups=$(ls src/*/*.c | sed 's|.*/||' | sort | uniq -d)
[ -z "$dups" ] && ok || bad "source files with the same basename: $dups"

# 4. The README's layout section names every source file of the library and the tool.
for f in src/*/*.c tools/*.c; do
    b=$(basename "$f")
    if grep -q "$b" README.md; then ok; else bad "README.md's layout does not name $f"; fi
done

# 5. Symbols: every library symbol an object uses is defined in its layer or below.
if command -v nm > /dev/null && [ -d "$BUILD/obj" ]; then
    # The kernel sets' objects ($BUILD/kset/SET/core/*.o) belong to their folder's layer too.
    for o in "$BUILD"/obj/*/*.o "$BUILD"/kset/*/*/*.o; do
        layer=$(basename "$(dirname "$o")")
        nm --defined-only -g "$o" | awk -v l="$layer" '{ print $3, l }'
    done | sort -u > "$T/defs"
    for o in "$BUILD"/obj/*/*.o "$BUILD"/kset/*/*/*.o; do
        layer=$(basename "$(dirname "$o")")
        ok_layers=$(allowed "$layer")
        nm -u "$o" | awk '{ print $2 }' | sort -u > "$T/undef"
        join "$T/undef" "$T/defs" | while read -r sym where; do
            case " $ok_layers " in
            *" $where "*) ;;
            *) echo "$o uses $sym from $where/" ;;
            esac
        done > "$T/up"
        if [ -s "$T/up" ]; then bad "$(head -n 3 "$T/up" | tr '\n' ';')"; else ok; fi
    done
else
    bad "no objects in $BUILD/obj (build first) or no nm"
fi
summary
