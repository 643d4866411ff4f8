#!/bin/sh
# The Python module (python/rnnlab) with /usr/bin/python3: its tests (python/tests: numpy
# references, the tool's numbers, PyTorch where it imports), the session of docs/PYTHON.md
# run as written, `pip install` of python/ offline into a virtual environment that sees
# Debian's numpy, and where the module looks for librnnlab.so. Without numpy, or with a
# sanitizer build, nothing runs and the test says so (0 checks).
. tests/lib.sh
PY=/usr/bin/python3
if ! "$PY" -c 'import numpy' >/dev/null 2>&1; then
    echo "sh_python: skipped: $PY cannot import numpy (Debian python3-numpy)"
    summary
    exit
fi
D=$(cd "${RNNLAB_DATA:-../shared/data}" && pwd)
LIB="$(pwd)/$BUILD/librnnlab.so"
case $BUILD in /*) LIB="$BUILD/librnnlab.so" ;; esac
export RNNLAB_LIB="$LIB"
# A sanitizer build's library cannot be loaded into a Python that does not start with its
# runtime (make asan-test): the module is tested with the plain build.
if nm -D "$LIB" 2>/dev/null | grep -q '__asan_init\|__ubsan_handle'; then
    echo "sh_python: skipped: $LIB is a sanitizer build (ctypes cannot load it)"
    summary
    exit
fi

# 1. The unit tests.
RNNLAB_DATA="$D" RNNLAB_TOOL="$R" RNNLAB_HEADER="$(pwd)/include/rnnlab.h" PYTHONPATH="$(pwd)/python" \
    "$PY" -W error::ResourceWarning python/tests/test_rnnlab.py > "$T/unit" 2>&1 && ok || bad "python/tests/test_rnnlab.py: $(tail -n 30 "$T/unit")"
grep -q '^OK' "$T/unit" && ok || bad "the Python tests did not end with OK"

# 2. docs/PYTHON.md's session (its python block), in a scratch directory.
sed -n '/^```python$/,/^```$/p' docs/PYTHON.md | sed '1d;$d' > "$T/session.py"
[ -s "$T/session.py" ] && ok || bad "no python block in docs/PYTHON.md"
if "$PY" -c 'import torch' >/dev/null 2>&1; then
    (cd "$T" && RNNLAB_DATA="$D" PYTHONPATH="$OLDPWD/python" "$PY" session.py) > "$T/session.out" 2>&1 \
        && ok || bad "docs/PYTHON.md's session failed: $(tail -n 20 "$T/session.out")"
    grep -q '^PyTorch test NLL: ' "$T/session.out" && [ -s "$T/runs/py-gru/sample.mid" ] && ok \
        || bad "the session printed: $(cat "$T/session.out")"
    # Its model's test NLL by the tool.
    want=$("$R" eval --model "$T/runs/py-gru/model.safetensors" --data jsb --data-root "$D" | sed -n 's/.*NLL \([0-9.]*\) nats.*/\1/p')
    got=$(sed -n 's/^test NLL: \([0-9.]*\) over.*/\1/p' "$T/session.out")
    "$PY" -c "import sys; sys.exit(abs(float('$got') - float('$want')) > 1e-6 * float('$want'))" 2>/dev/null && ok \
        || bad "the session's test NLL $got is not rnnlab eval's $want"
else
    echo "sh_python: docs/PYTHON.md's session skipped: $PY cannot import torch"
fi

# 3. pip install offline into a venv (Debian's numpy through --system-site-packages).
if "$PY" -m venv --system-site-packages --without-pip "$T/venv" > "$T/venv.out" 2>&1; then
    ok
    # From a copy: pip builds in the source tree (egg-info, build/), which stays clean.
    mkdir -p "$T/src" && cp -R python/setup.py python/rnnlab "$T/src/"
    (cd "$T" && "$T/venv/bin/python" -m pip install --no-index --no-cache-dir "$T/src") > "$T/pip.out" 2>&1 \
        && ok || bad "pip install --no-index ./python failed: $(tail -n 5 "$T/pip.out")"
    v=$(cd "$T" && "$T/venv/bin/python" -c 'import rnnlab, os; print(rnnlab.version(), os.path.dirname(rnnlab.__file__))' 2>&1)
    case $v in
        "0."*"$T/venv/"*) ok ;;
        *) bad "the installed package: $v" ;;
    esac
else
    bad "python3 -m venv failed: $(cat "$T/venv.out")"
fi

# 4. Where the library is found: RNNLAB_LIB first, and a wrong one is an error naming it; the
# checkout's build directory without it.
err=$(cd "$T" && RNNLAB_LIB="$T/none.so" PYTHONPATH="$OLDPWD/python" "$PY" -c 'import rnnlab' 2>&1)
printf '%s' "$err" | grep -q "RNNLAB_LIB=$T/none.so: no such file" && ok || bad "a wrong RNNLAB_LIB: $err"
if [ "$BUILD" = build ]; then
    p=$(cd "$T" && env -u RNNLAB_LIB PYTHONPATH="$OLDPWD/python" "$PY" -c 'import rnnlab; print(rnnlab._L.path)' 2>&1)
    [ "$p" = "$OLDPWD/python/rnnlab/../../build/librnnlab.so" ] || [ "$(readlink -f "$p")" = "$(readlink -f "$LIB")" ] && ok \
        || bad "without RNNLAB_LIB the module loaded $p, not the checkout's build"
fi
summary
