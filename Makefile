# Front door: `make` builds build/graphcerts, `make run` serves a dev instance, `make test` runs
# every test (the sanitizer build's too with `make test-asan`), `make bench` the benchmarks.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build run test test-asan bench deps clean

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

bench:
	scripts/deps.sh bench
	bench/run.sh

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
