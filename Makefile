# Front door: `make` builds build/graphcerts, `make run` serves a dev instance, `make test` runs
# every test (the end-to-end suite on SQLite and again on a throwaway PostgreSQL server; the
# sanitizer build's too with `make test-asan`; the end-to-end suite on SQLite with the server
# under valgrind memcheck with `make test-valgrind`, slow), `make bench` the benchmarks,
# `make fuzz` each libFuzzer target for FUZZ_SECONDS (FUZZ_TARGETS: a subset, e.g. "jwt body"),
# `make install` (PREFIX=/usr/local, DESTDIR) the binary, man page, systemd unit and completion.
BUILD ?= build
ASAN_BUILD ?= build-asan
VALGRIND_BUILD ?= build-valgrind
PREFIX ?= /usr/local
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=

.PHONY: all build run test test-asan test-valgrind bench fuzz deps clean install

all: build

build:
	@command -v cmake >/dev/null 2>&1 && pkg-config --exists jansson sqlite3 openssl libcurl 2>/dev/null || scripts/deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

run:
	scripts/deps.sh build
	$(MAKE) build
	scripts/run-dev.sh $(BUILD)/graphcerts

test:
	scripts/deps.sh test
	$(MAKE) build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan:
	scripts/deps.sh test
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DGC_SANITIZE=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

test-valgrind:
	scripts/deps.sh valgrind
	cmake -S . -B $(VALGRIND_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGC_E2E_TIMEOUT=3600 >/dev/null
	cmake --build $(VALGRIND_BUILD) -j $(JOBS)
	cd $(VALGRIND_BUILD) && GC_VALGRIND=1 ctest --output-on-failure -j $(JOBS) -R '^e2e_test_'

install:
	@test -x $(BUILD)/graphcerts || $(MAKE) build
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)
	DESTDIR=$(DESTDIR) cmake --install $(BUILD)

bench:
	scripts/deps.sh bench
	bench/run.sh

fuzz:
	scripts/deps.sh fuzz
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILD_JOBS=$(JOBS) fuzz/run.sh $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(VALGRIND_BUILD) build-fuzz
