# rnnlab — plain Makefile. `make` builds the library (static + shared), the tool and the
# example (-march=native outside the kernel sets); `make portable` the same for any x86-64
# into build-portable/; `make test` runs every test; `make debug|asan|ubsan` build checked
# variants into their own directories; `make install PREFIX=...` installs the portable build.

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
# The kernel sets (src/core/kset.h): KSET_SRC is compiled once per set in KSETS, each with
# its KSET_FLAGS_<set> in place of OPT's -march/-mtune, renamed by kset_names.h; cpu.c picks
# one at run time (RNNLAB_CPU forces it). Everything else is compiled once, with OPT.
KSETS    := plain avx2 avx512
KSET_SRC := $(addprefix src/core/,kernels.c noise.c optim.c cell_gru.c cell_lstm.c cell_tanh.c \
	head_bernoulli.c head_mog.c head_softmax.c kset.c)
KSET_FLAGS_plain  := -march=x86-64 -mtune=generic
KSET_FLAGS_avx2   := $(KSET_FLAGS_plain) -mpopcnt -mavx -mavx2 -mfma -mbmi -mbmi2
KSET_FLAGS_avx512 := $(KSET_FLAGS_avx2) -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx512cd
KSET_CFLAGS = $(filter-out -march=% -mtune=%,$(CFLAGS))
LIB_SRC := $(filter-out $(KSET_SRC),$(wildcard src/*/*.c))
LIB_HDR := include/rnnlab.h $(wildcard src/*/*.h)
KSET_OBJ := $(foreach k,$(KSETS),$(KSET_SRC:src/%.c=$(BUILD)/kset/$(k)/%.o))
KDBL_OBJ := $(foreach k,$(KSETS),$(KSET_SRC:src/%.c=$(BUILD)/kdbl/$(k)/%.o))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o) $(KSET_OBJ)
DBL_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/dbl/%.o) $(KDBL_OBJ)

# The portable build (`make portable`, what `make install` installs): OPT's -march=native
# becomes the x86-64 baseline, so the library and the tool run on any x86-64; the kernel sets
# are the same three. Without -march=native in OPT (asan, debug) the build already is.
PORTABLE_OPT   := $(patsubst -march=native,-march=x86-64 -mtune=generic,$(OPT))
PORTABLE_BUILD ?= $(if $(findstring -march=native,$(OPT)),$(BUILD)-portable,$(BUILD))
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

# One kernel set's objects, float and double: $(1) is the set.
define KSET_RULES
$(BUILD)/kset/$(1)/%.o: src/%.c $(LIB_HDR)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(KSET_CFLAGS) $$(KSET_FLAGS_$(1)) -DRNL_KSET=$(1) -include src/core/kset_names.h -c $$< -o $$@
$(BUILD)/kdbl/$(1)/%.o: src/%.c $(LIB_HDR)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(KSET_CFLAGS) $$(KSET_FLAGS_$(1)) -DRNL_DOUBLE -DRNL_KSET=$(1) -include src/core/kset_names.h -c $$< -o $$@
endef
$(foreach k,$(KSETS),$(eval $(call KSET_RULES,$(k))))

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

# The portable build of the same sources (see PORTABLE_OPT): its own directory unless the
# build is portable already.
portable:
	$(MAKE) BUILD=$(PORTABLE_BUILD) OPT="$(PORTABLE_OPT)" all

# The suite also checks the portable build (tests/sh_portable.sh), so it is built first.
test: test-bins portable
	BUILD=$(BUILD) PORTABLE_BUILD=$(PORTABLE_BUILD) RNL_LDFLAGS="$(LDFLAGS)" sh tests/run.sh

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
# The library for the harnesses: the ordinary rules (kernel sets included) under clang with
# the sanitizers' instrumentation, without OpenMP.
FUZZ_OPT := -g -O1 -fsanitize=fuzzer-no-link,address,undefined
ifneq ($(BUILD),build-fuzz/lib)
build-fuzz/lib/librnnlab.a: $(LIB_SRC) $(KSET_SRC) $(LIB_HDR)
	$(MAKE) BUILD=build-fuzz/lib CC=clang OPT="$(FUZZ_OPT)" OPENMP= MPICC= build-fuzz/lib/librnnlab.a
endif
build-fuzz/fuzz_%: fuzz/fuzz_%.c build-fuzz/lib/librnnlab.a tools/cli.c $(LIB_HDR)
	@mkdir -p build-fuzz
	clang $(FUZZ_FLAGS) -o $@ $< tools/cli.c build-fuzz/lib/librnnlab.a $(PKG_LIBS) -lm -lpthread
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
# run AVX-512 code, so this is an AVX2 build running the AVX2 kernel set, with OpenBLAS held
# to its AVX2 kernels.
VG := RNNLAB_CPU=avx2 OPENBLAS_CORETYPE=Haswell valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite
valgrind:
	$(MAKE) BUILD=build-vg OPT="-O1 -g -march=x86-64-v3" build-vg/rnnlab
	rm -rf build-vg/run
	$(VG) build-vg/rnnlab train --data jsb --cell lstm --hidden 8 --max-epochs 1 --out build-vg/run --quiet
	$(VG) build-vg/rnnlab eval --model build-vg/run/model.safetensors --data jsb --split valid
	$(VG) build-vg/rnnlab sample --model build-vg/run/model.safetensors --steps 16 --out build-vg/run/s.mid
	@echo "valgrind: 3 passed, 0 failed"

# `make install` installs the portable build ($(PORTABLE_BUILD)), which runs on any x86-64.
# The pkg-config file is written at install time, so it names the PREFIX installed to. Its
# Libs.private is what librnnlab.a really links against: the dependencies' shared libraries
# (`pkg-config --libs`, not their --static closure: Debian ships no static builds of
# libsndfile's codecs, so `Requires.private: sndfile` made `--static` ask for -lmp3lame).
install: portable
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/rnnlab.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(PORTABLE_BUILD)/librnnlab.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(PORTABLE_BUILD)/librnnlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf librnnlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf librnnlab.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/librnnlab.so
	install -m 755 $(PORTABLE_BUILD)/rnnlab $(DESTDIR)$(PREFIX)/bin/
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: rnnlab\nDescription: tanh RNN, LSTM and GRU sequence models\nVersion: %s\nCflags: -I$${includedir}\nLibs: -L$${libdir} -lrnnlab\nLibs.private: %s\n' \
	  '$(PREFIX)' '$(VERSION)' '$(strip $(PKG_LIBS) $(if $(OPENMP),-lgomp) -lm -lpthread)' \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rnnlab.pc

clean:
	rm -rf build build-portable build-debug build-asan build-ubsan build-fuzz build-vg

.PHONY: all portable test test-bins debug asan asan-test ubsan install clean fuzz fuzz-run valgrind
.SECONDARY:
