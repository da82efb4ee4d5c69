# s3dlua build. `make` builds ./s3dlua; `make demo`, `make test`, `make asan`,
# `make test-asan`, `make test-valgrind`, `make bench`, `make format`. V=1 shows full commands.
CC      ?= cc
O       ?= obj
BIN     ?= s3dlua
OPT     ?= -O2 -g
VERSION := $(shell git describe --always --dirty --tags 2>/dev/null || echo 0.1)
PKGS    := luajit libuv libedit libcurl expat libcrypto libisal libzstd
WARN    := -std=c11 -Wall -Wextra -Werror
CFLAGS  += $(OPT) $(WARN) -D_GNU_SOURCE -MMD -MP -iquote src -I$(O) \
           $(shell pkg-config --cflags $(PKGS) 2>/dev/null) -DS3D_VERSION='"$(VERSION)"'
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -l:liblua5.1-cjson.a -lm -lpthread

SRC      := $(wildcard src/*.c)
OBJ      := $(SRC:src/%.c=$(O)/%.o)
LIBOBJ   := $(filter-out $(O)/main.o,$(OBJ))
LUASRC   := $(shell find lua -name '*.lua' | sort)
LUAHDR   := $(LUASRC:lua/%.lua=$(O)/lua/%.h)
CTESTS   := $(patsubst tests/c/%.c,$(O)/tests/%,$(wildcard tests/c/test_*.c))
BENCHES  := $(patsubst bench/%.c,$(O)/bench/%,$(wildcard bench/*.c))

ifeq ($(V),1)
Q :=
else
Q := @
endif

all: $(BIN)

$(BIN): $(OBJ) $(O)/lua_bundle.o
	@$(if $(Q),echo "  LINK    $@")
	$(Q)$(CC) $(LDFLAGS) -rdynamic -o $@ $^ $(LDLIBS)

$(O)/%.o: src/%.c | $(O)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# Lua sources are embedded as LuaJIT bytecode (with debug info, so tracebacks
# name lua/... file:line) and registered in package.preload by src/lua_bundle.
$(O)/lua/%.h: lua/%.lua | $(O)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LUAC    $<")
	$(Q)luajit -b -g -t h -n $(subst /,_,$*) $< $@

$(O)/lua_bundle.c: $(LUAHDR) Makefile
	@$(if $(Q),echo "  GEN     $@")
	$(Q){ for h in $(LUAHDR); do echo "#include \"$${h#$(O)/}\""; done; \
	  echo '#include <stddef.h>'; \
	  echo 'const struct { const char *name; const unsigned char *bc; size_t len; } s3d_lua_bundle[] = {'; \
	  for f in $(LUASRC); do m=$${f#lua/}; m=$${m%.lua}; id=$$(echo $$m | tr / _); \
	    echo "  {\"$$(echo $$m | tr / .)\", luaJIT_BC_$$id, luaJIT_BC_$${id}_SIZE},"; done; \
	  echo '  {NULL, NULL, 0}};'; } > $@

$(O)/lua_bundle.o: $(O)/lua_bundle.c
	$(Q)$(CC) $(OPT) -I$(O) -c -o $@ $<

$(O):
	@mkdir -p $(O)/lua $(O)/tests $(O)/bench

$(O)/tests/%: tests/c/%.c $(LIBOBJ) $(O)/lua_bundle.o | $(O)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -Itests/c -o $@ $^ $(LDLIBS)

$(O)/bench/%: bench/%.c $(LIBOBJ) $(O)/lua_bundle.o | $(O)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

ctests: $(CTESTS)
benches: $(BENCHES)

# Installs the Debian packages the build and tests need (quiet when present).
deps:
	@tests/install-deps.sh

# The real servers the tests run against (s3rver, radosgw, azurite).
test-deps: deps
	@tests/servers/install.sh

demo: deps
	@$(MAKE) --no-print-directory all
	./$(BIN) run scripts/demo.lua

test: test-deps
	@$(MAKE) --no-print-directory all ctests
	@S3DLUA=./$(BIN) O=$(O) tests/run.sh

test-valgrind: test-deps
	@$(MAKE) --no-print-directory all ctests
	@VALGRIND=1 S3DLUA=./$(BIN) O=$(O) tests/run.sh

asan:
	@$(MAKE) --no-print-directory O=obj-asan BIN=s3dlua-asan \
	  OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" all ctests

test-asan: test-deps asan
	@ASAN_OPTIONS=detect_leaks=1 S3DLUA=./s3dlua-asan O=obj-asan tests/run.sh

bench: deps
	@$(MAKE) --no-print-directory all benches
	@S3DLUA=./$(BIN) O=$(O) bench/run.sh

format:
	clang-format -i src/*.c src/*.h tests/c/*.c tests/c/*.h bench/*.c

clean:
	rm -rf obj obj-asan $(BIN) s3dlua-asan

.PHONY: all deps test-deps demo test test-valgrind asan test-asan bench benches ctests format clean
-include $(OBJ:.o=.d)
