# rnnlab — plain Makefile. `make` builds the library (static + shared), the tool and the
# example; `make test` runs every test; `make debug|asan|ubsan` build checked variants into
# their own directories; `make install PREFIX=...` installs.

PREFIX  ?= /usr/local
BUILD   ?= build
CC      ?= cc
PKGS    := openblas matio sndfile
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
# IEEE-strict by default: no -ffast-math anywhere; -std=c11 keeps FP contraction off.
# -fno-math-errno only stops libm from setting errno (never read here), so sqrtf vectorises.
OPT     ?= -O3 -march=native
WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(OPT) -fno-math-errno $(WARN) -Iinclude -Isrc $(PKG_CFLAGS) -fPIC
LDLIBS  += $(PKG_LIBS) -lm -lpthread

LIB_SRC := $(wildcard src/*.c)
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
DBL_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/dbl/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
DTEST_SRC := $(wildcard tests/dtest_*.c)
DTESTS   := $(DTEST_SRC:tests/%.c=$(BUILD)/tests/%)

all: $(BUILD)/librnnlab.a $(BUILD)/librnnlab.so $(BUILD)/rnnlab $(BUILD)/example $(BUILD)/rnnlab.pc

$(BUILD)/obj/%.o: src/%.c include/rnnlab.h $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# The same sources in double precision, for tight finite-difference checks.
$(BUILD)/dbl/%.o: src/%.c include/rnnlab.h $(wildcard src/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DRNL_DOUBLE -c $< -o $@

$(BUILD)/librnnlab.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/librnnlab_d.a: $(DBL_OBJ)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/librnnlab.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS) $(LDLIBS)

TOOL_SRC := $(wildcard tools/*.c)
$(BUILD)/rnnlab: $(TOOL_SRC) tools/cli.h $(BUILD)/librnnlab.a
	$(CC) $(CFLAGS) -Itools -o $@ $(TOOL_SRC) $(BUILD)/librnnlab.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/example: examples/run_model.c $(BUILD)/librnnlab.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/librnnlab.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/test_%: tests/test_%.c tests/check.h $(BUILD)/librnnlab.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/librnnlab.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/dtest_%: tests/dtest_%.c tests/check.h $(BUILD)/librnnlab_d.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -DRNL_DOUBLE -o $@ $< $(BUILD)/librnnlab_d.a $(LDFLAGS) $(LDLIBS)

$(BUILD)/rnnlab.pc: Makefile
	@mkdir -p $(dir $@)
	printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: rnnlab\nDescription: tanh RNN, LSTM and GRU sequence models\nVersion: %s\nRequires.private: %s\nCflags: -I$${includedir}\nLibs: -L$${libdir} -lrnnlab\nLibs.private: -lm -lpthread\n' \
	  '$(PREFIX)' "$$(sed -n 's/^#define RNL_VERSION "\(.*\)"/\1/p' include/rnnlab.h)" '$(PKGS)' > $@

test-bins: all $(TESTS) $(DTESTS)

test: test-bins
	BUILD=$(BUILD) sh tests/run.sh

debug:
	$(MAKE) BUILD=build-debug OPT="-O0 -g -DRNL_TRAP_FE"
asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" LDFLAGS="-fsanitize=address,undefined"
asan-test:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" LDFLAGS="-fsanitize=address,undefined" test
ubsan:
	$(MAKE) BUILD=build-ubsan OPT="-O1 -g -fsanitize=undefined -fno-sanitize-recover=all" LDFLAGS="-fsanitize=undefined"

install: all
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin
	install -m 644 include/rnnlab.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(BUILD)/librnnlab.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/librnnlab.so $(DESTDIR)$(PREFIX)/lib/
	install -m 644 $(BUILD)/rnnlab.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 $(BUILD)/rnnlab $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf build build-debug build-asan build-ubsan

.PHONY: all test test-bins debug asan asan-test ubsan install clean
.SECONDARY:
