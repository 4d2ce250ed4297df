# vouch — the front door. Everything real happens in meson/ninja and in
# the scripts under scripts/ and tests/.
#
#   make          build (build/)
#   make run      install what is missing, build, start the demo
#   make test     install what is missing, build, run the whole test suite
#   make bench    build and run the benchmarks (bench/README.md); with
#                 BENCH_SCALE=1 also the 10M-occurrence scale run, with
#                 BENCH_SOAK=1 the 10-minute soak (both slow)
#   make fuzz     run every fuzz target for FUZZ_SECONDS (default 300) each
#   make install  install binaries, headers, libvouch, vouch.pc, man pages
#   make console  rebuild the web console's bundle (console/dist) from its
#                 sources with npm ci + esbuild (docs/console.md)

BUILD ?= build
PREFIX ?= /usr/local
FUZZ_SECONDS ?= 300

.PHONY: all build deps run test bench fuzz install console clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: deps build
	@sh scripts/demo.sh $(BUILD)

test: deps
	@sh tests/run-all.sh

bench: deps build
	@sh bench/run.sh $(BUILD)

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh

install: build
	meson install -C $(BUILD)

console:
	cd console && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

clean:
	rm -rf build build-san build-fuzz
