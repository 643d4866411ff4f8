# rnnlab — plain Makefile. `make` builds the library (static + shared), the tool and the
# example; `make test` runs every test; `make debug|asan|ubsan` build checked variants into
# their own directories; `make install PREFIX=...` installs.

PREFIX  ?= /usr/local
MAKEFLAGS += --no-print-directory
BUILD   ?= build
CC      ?= cc
PKGS    := openblas matio sndfile
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
# IEEE-strict by default: no -ffast-math anywhere; -std=c11 keeps FP contraction off.
# -fno-math-errno only stops libm from setting errno (never read here), so sqrtf vectorises.
OPT     ?= -O3 -march=native
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
# OpenMP (GCC's libgomp) splits the large per-step products over --threads; without it
# (OPENMP=) they run on one thread and everything else is unchanged.
OPENMP  ?= -fopenmp
# -fvisibility=hidden: librnnlab.so exports only what include/rnnlab.h declares (its
# `#pragma GCC visibility push(default)`); the tool and the tests link the static library,
# which reaches every internal function.
CFLAGS  += $(OPENMP) -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) -fno-math-errno $(WARN) -Iinclude -Isrc $(PKG_CFLAGS) -fPIC -fvisibility=hidden
LDLIBS  += $(OPENMP) $(PKG_LIBS) -lm -lpthread

# The library's layers are folders of src/ (docs/ARCHITECTURE.md): io, core, data, sample, run.
LIB_SRC := $(wildcard src/*/*.c)
LIB_HDR := include/rnnlab.h $(wildcard src/*/*.h)
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
DBL_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/dbl/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
DTEST_SRC := $(wildcard tests/dtest_*.c)
DTESTS   := $(DTEST_SRC:tests/%.c=$(BUILD)/tests/%)

all: $(BUILD)/librnnlab.a $(BUILD)/librnnlab.so $(BUILD)/rnnlab $(BUILD)/example

$(BUILD)/obj/%.o: src/%.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The same sources in double precision, for tight finite-difference checks.
$(BUILD)/dbl/%.o: src/%.c $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DRNL_DOUBLE -c $< -o $@

$(BUILD)/librnnlab.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/librnnlab_d.a: $(DBL_OBJ)
	rm -f $@ && ar rcs $@ $^

# The shared library: librnnlab.so.X.Y.Z with SONAME librnnlab.so.X (X = RNL_VERSION_MAJOR,
# bumped when the header changes incompatibly), and the usual links librnnlab.so.X (what a
# program loads) and librnnlab.so (what -lrnnlab finds).
VERSION   := $(shell sed -n 's/^\#define RNL_VERSION "\(.*\)"/\1/p' include/rnnlab.h)
SOMAJOR   := $(shell sed -n 's/^\#define RNL_VERSION_MAJOR \([0-9]*\)/\1/p' include/rnnlab.h)
SONAME    := librnnlab.so.$(SOMAJOR)
$(BUILD)/librnnlab.so.$(VERSION): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -o $@ $^ $(LDFLAGS) $(LDLIBS)
$(BUILD)/librnnlab.so: $(BUILD)/librnnlab.so.$(VERSION)
	ln -sf librnnlab.so.$(VERSION) $(BUILD)/$(SONAME)
	ln -sf librnnlab.so.$(VERSION) $@

TOOL_SRC := $(wildcard tools/*.c)
$(BUILD)/rnnlab: $(TOOL_SRC) tools/cli.h $(BUILD)/librnnlab.a
	$(CC) $(CFLAGS) -Itools -o $@ $(TOOL_SRC) $(BUILD)/librnnlab.a $(LDFLAGS) $(LDLIBS)

# Optional MPI: when mpicc is on the PATH, `make` also builds $(BUILD)/rnnlab-mpi, the same tool
# compiled with -DRNL_MPI (`mpirun -np P build/rnnlab-mpi search ...` spreads the trials over
# the ranks). The library is the same, so its trials give the same numbers. MPICC= disables it.
MPICC ?= $(shell command -v mpicc 2>/dev/null)
ifneq ($(MPICC),)
all: $(BUILD)/rnnlab-mpi
endif
$(BUILD)/rnnlab-mpi: $(TOOL_SRC) tools/cli.h $(BUILD)/librnnlab.a
	OMPI_CC="$(CC)" $(MPICC) $(CFLAGS) -DRNL_MPI -Itools -o $@ $(TOOL_SRC) $(BUILD)/librnnlab.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/example: examples/run_model.c $(BUILD)/librnnlab.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/librnnlab.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/test_%: tests/test_%.c tests/check.h $(BUILD)/librnnlab.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/librnnlab.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/dtest_%: tests/dtest_%.c tests/check.h $(BUILD)/librnnlab_d.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DRNL_DOUBLE -o $@ $< $(BUILD)/librnnlab_d.a $(LDFLAGS) $(LDLIBS)

test-bins: all $(TESTS) $(DTESTS)

test: test-bins
	BUILD=$(BUILD) RNL_LDFLAGS="$(LDFLAGS)" sh tests/run.sh

debug:
	$(MAKE) BUILD=build-debug OPT="-O0 -g -DRNL_TRAP_FE"
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" LDFLAGS="-fsanitize=address,undefined"
asan-test:
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 $(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" LDFLAGS="-fsanitize=address,undefined" test
ubsan:
	$(MAKE) BUILD=build-ubsan OPT="-O1 -g -fsanitize=undefined -fno-sanitize-recover=all" LDFLAGS="-fsanitize=undefined"

# libFuzzer harnesses (clang): `make fuzz` builds them into build-fuzz/, `make fuzz-run`
# runs each for FUZZ_SECONDS on a copy of its seed corpus (fuzz/corpus/NAME/).
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZERS  := $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
FUZZ_FLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fno-math-errno \
	-fsanitize=fuzzer,address,undefined -Iinclude -Isrc -Itools $(PKG_CFLAGS)
fuzz: $(FUZZERS)
build-fuzz/fuzz_%: fuzz/fuzz_%.c $(LIB_SRC) tools/cli.c $(LIB_HDR)
	@mkdir -p build-fuzz
	clang $(FUZZ_FLAGS) -o $@ $< $(LIB_SRC) tools/cli.c $(PKG_LIBS) -lm -lpthread
FUZZ_ONLY ?= $(FUZZERS)
fuzz-run: fuzz
	@for f in $(FUZZ_ONLY); do n=$${f#build-fuzz/fuzz_}; mkdir -p build-fuzz/corpus-$$n; \
	  cp -n fuzz/corpus/$$n/* build-fuzz/corpus-$$n/ 2>/dev/null; \
	  echo "== $$f for $(FUZZ_SECONDS) s"; \
	  if LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=4096 -malloc_limit_mb=8192 \
	       -print_final_stats=1 -artifact_prefix=build-fuzz/$$n- build-fuzz/corpus-$$n > build-fuzz/$$n.log 2>&1; \
	  then grep -E "stat::number_of_executed_units|stat::new_units_added" build-fuzz/$$n.log; \
	  else echo "FINDING in $$f: see build-fuzz/$$n.log"; tail -n 30 build-fuzz/$$n.log; exit 1; fi; done

# valgrind memcheck of a short training run, an evaluation and sampling. Valgrind cannot
# run AVX-512 code, so this is an AVX2 build, with OpenBLAS held to its AVX2 kernels.
VG := OPENBLAS_CORETYPE=Haswell valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite
valgrind:
	$(MAKE) BUILD=build-vg OPT="-O1 -g -march=x86-64-v3" build-vg/rnnlab
	rm -rf build-vg/run
	$(VG) build-vg/rnnlab train --data jsb --cell lstm --hidden 8 --max-epochs 1 --out build-vg/run --quiet
	$(VG) build-vg/rnnlab eval --model build-vg/run/model.safetensors --data jsb --split valid
	$(VG) build-vg/rnnlab sample --model build-vg/run/model.safetensors --steps 16 --out build-vg/run/s.mid
	@echo "valgrind: 3 passed, 0 failed"

# The pkg-config file is written at install time, so it names the PREFIX installed to. Its
# Libs.private is what librnnlab.a really links against: the dependencies' shared libraries
# (`pkg-config --libs`, not their --static closure: Debian ships no static builds of
# libsndfile's codecs, so `Requires.private: sndfile` made `--static` ask for -lmp3lame).
install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/rnnlab.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/librnnlab.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/librnnlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf librnnlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf librnnlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/librnnlab.so
	install -m 755 $(BUILD)/rnnlab $(DESTDIR)$(PREFIX)/bin/
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: rnnlab\nDescription: tanh RNN, LSTM and GRU sequence models\nVersion: %s\nCflags: -I$${includedir}\nLibs: -L$${libdir} -lrnnlab\nLibs.private: %s\n' \
	  '$(PREFIX)' '$(VERSION)' '$(strip $(PKG_LIBS) $(if $(OPENMP),-lgomp) -lm -lpthread)' \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rnnlab.pc

clean:
	rm -rf build build-debug build-asan build-ubsan build-fuzz build-vg

.PHONY: all test test-bins debug asan asan-test ubsan install clean fuzz fuzz-run valgrind
.SECONDARY:
