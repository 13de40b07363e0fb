# The front door. On a fresh Debian 12 machine:
#   make certify   install what is missing, build, certify the reference loop
#   make certify-all   the same for every adapter and backend, and results/README.md
#   make results   the results site results/site/ from the committed reports
#   make test      install what is missing, build, run every test
#   make install   build, then install headers, libraries, loopcert and the
#                  CMake and pkg-config packages under PREFIX (/usr/local)
# Every target runs tools/bootstrap.sh first; it does nothing when the
# packages are present.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ADAPTER ?=
FAULT_SEED ?= 1
FUZZ_SECONDS ?= 60
PREFIX ?= /usr/local

.PHONY: all bootstrap configure build test install certify certify-all results faults fuzz fuzz-merge asan tsan sanitize bench lint format clean

all: build

bootstrap:
	@sh tools/bootstrap.sh

configure: bootstrap
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@ctest --test-dir $(BUILD_DIR) -j $(JOBS) --output-on-failure

install: build
	@cmake --install $(BUILD_DIR) --prefix $(PREFIX)

certify: build
	@sh tools/certify.sh $(BUILD_DIR) $(ADAPTER)

# Every adapter library of the build (reference, libuv, libevent, libev,
# asio), each backend: results/<adapter>-<backend>.json and .xml, and the
# matrix results/README.md generated from them.
certify-all: build
	@sh tools/certify_all.sh $(BUILD_DIR)

# The results site (tools/results_site.py) from the reports in results/:
# open results/site/index.html. Python only, so no build.
results:
	@python3 tools/results_site.py

# The kit on every poller and the checksum soak, under the fault shim
# (EINTR, EAGAIN, short counts, EMFILE): FAULT_SEED=N changes the seed.
faults: build
	@sh tools/faults.sh $(BUILD_DIR) $(FAULT_SEED)

# The fuzz targets (harness/fuzz/README.md) under libFuzzer, ASan and UBSan
# (clang, in build-fuzz): each FUZZ_SECONDS on its committed corpus.
# fuzz-merge also adds the new interesting inputs to the corpora.
fuzz: bootstrap
	@sh tools/fuzz.sh build-fuzz $(FUZZ_SECONDS)

fuzz-merge: bootstrap
	@FUZZ_MERGE=1 sh tools/fuzz.sh build-fuzz $(FUZZ_SECONDS)

# The tests under AddressSanitizer + UndefinedBehaviorSanitizer, and under
# ThreadSanitizer, each in a build directory of its own.
asan:
	@$(MAKE) --no-print-directory test BUILD_DIR=build-asan CMAKE_FLAGS="-DPEP3156_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=Debug"

tsan:
	@$(MAKE) --no-print-directory test BUILD_DIR=build-tsan CMAKE_FLAGS="-DPEP3156_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug"

sanitize: asan tsan

bench: build
	@sh tools/bench.sh $(BUILD_DIR)

# clang-format conformance and the conformance kit's clause lint.
lint: build
	@sh tools/format.sh --check
	@ctest --test-dir $(BUILD_DIR) -R lint --output-on-failure

format:
	@sh tools/format.sh

clean:
	rm -rf build build-asan build-tsan build-fuzz
