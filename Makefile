# coapsec - top-level commands. See `make help`.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
VALGRIND_BUILD ?= build-valgrind
PREFIX     ?= /usr/local
SECONDS    ?= 60
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all build deps demo test test-unit test-asan test-fuzz bench fuzz valgrind install docs help clean format

all: build

deps:
	@bash scripts/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS)

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: deps build
	@bash scripts/demo.sh $(BUILD)/coapsec

# The whole suite: normal build (unit, end-to-end, interop), then the unit and
# scenario tests again under ASan+UBSan, then a short libFuzzer smoke run.
test: deps build
	ctest --no-tests=error --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	$(MAKE) test-asan
	$(MAKE) test-fuzz

test-unit: build
	ctest --no-tests=error --test-dir $(BUILD) --output-on-failure -j $(JOBS) -L unit

test-asan:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCOAPSEC_SANITIZE=ON -DCMAKE_C_COMPILER=clang
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --no-tests=error --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS) -L 'unit|e2e'

test-fuzz:
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCOAPSEC_FUZZ=ON -DCMAKE_C_COMPILER=clang
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	ctest --no-tests=error --test-dir $(FUZZ_BUILD) --output-on-failure -j $(JOBS) -L fuzz

# Long fuzzing: each harness for SECONDS, growing fuzz/corpus/<harness>/, each
# failing below its coverage floor (fuzz/floors/); one ledger row per harness
# is appended to fuzz/RUNS.md (date, harness, seconds, execs, cov, ft, findings).
fuzz:
	cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCOAPSEC_FUZZ=ON -DCMAKE_C_COMPILER=clang
	cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@for h in $(FUZZ_BUILD)/fuzz/fuzz_*; do \
	  [ -x "$$h" ] || continue; n=$$(basename $$h); \
	  COAPSEC_FUZZ_LEDGER=fuzz/RUNS.md bash scripts/fuzz-run.sh $$h fuzz/corpus/$$n $(SECONDS) keep || exit 1; done
	@awk -F'|' '$$4 ~ /^ *[0-9]+ *$$/ { h = $$3; gsub(/ /, "", h); w[h] += $$4; if ($$5 ~ /^ *[0-9]+ *$$/) c[h] += $$5 } \
	  END { for (h in w) printf "fuzz: %-18s %6.1f min wall, %6.1f CPU-min measured\n", h, w[h] / 60, c[h] / 60 }' fuzz/RUNS.md | sort

# The interop tests with our programs (build/coapsec, dtls_driver) under
# valgrind memcheck: any memory error or definite leak fails. Not part of
# `make test`. Scripts start our binaries through `run_ours`
# (tests/interop/lib.sh), which prepends $$COAPSEC_WRAP; every valgrind log
# must end with "ERROR SUMMARY: 0 errors".
valgrind:
	cmake -S . -B $(VALGRIND_BUILD) -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(VALGRIND_BUILD) -j $(JOBS)
	@command -v valgrind >/dev/null || { echo "valgrind: not installed (apt-get install valgrind)"; exit 1; }
	@rm -rf $(VALGRIND_BUILD)/vglogs && mkdir -p $(VALGRIND_BUILD)/vglogs; \
	  COAPSEC_WRAP="valgrind --error-exitcode=99 --leak-check=full --show-leak-kinds=definite \
	    --errors-for-leak-kinds=definite --log-file=$(abspath $(VALGRIND_BUILD))/vglogs/vg.%p.log" \
	    ctest --no-tests=error --test-dir $(VALGRIND_BUILD) --output-on-failure -L interop; rc=$$?; \
	  logs=$$(ls $(VALGRIND_BUILD)/vglogs/vg.*.log 2>/dev/null | wc -l); \
	  [ "$$logs" -gt 0 ] || { echo "valgrind: FAIL: no program of ours ran under valgrind"; exit 1; }; \
	  bad=$$(grep -L 'ERROR SUMMARY: 0 errors' $(VALGRIND_BUILD)/vglogs/vg.*.log); \
	  for f in $$bad; do echo "== $$f"; cat $$f; done; \
	  echo "valgrind: $$logs runs of our programs, $$(echo $$bad | wc -w) with errors; ctest exit $$rc"; \
	  [ -z "$$bad" ] && [ $$rc = 0 ]

bench: deps build
	@bash bench/run.sh $(BUILD)

# Soak (scripts/soak.sh): MINUTES of load with churn (sessions opening, closing,
# evicted, vanishing, heartbeats, observers, block-wise through 5 % loss) on one
# server; its RSS sampled into $(BUILD)/soak/rss.csv, every exchange accounted
# for, its counters at stop; SOAK_VALGRIND=1 runs the server under valgrind.
MINUTES ?= 10
.PHONY: soak
soak: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS) --target coapsec_tool coapsec_bench_tool udp_proxy
	MINUTES=$(MINUTES) nice -n 10 bash scripts/soak.sh $(BUILD)

# DESTDIR (staged installs) is passed on to cmake --install explicitly.
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix $(PREFIX)

# API reference from the public headers (needs doxygen; fails with a message
# saying so when it is missing). Output: $(BUILD)/docs/html/index.html.
docs: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) --target docs

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(VALGRIND_BUILD)

help:
	@echo "coapsec make targets:"
	@echo "  make            build into $(BUILD)/ (the tool is $(BUILD)/coapsec)"
	@echo "  make demo       install missing packages, build, run server+client in every available mode"
	@echo "  make test       install missing packages, build, run the whole suite (unit, e2e, interop),"
	@echo "                  then unit+e2e under ASan+UBSan, then a libFuzzer smoke run"
	@echo "  make test-unit  only the unit tests"
	@echo "  make fuzz       run each fuzz harness for SECONDS (default 60), growing fuzz/corpus/;"
	@echo "                  fails below a harness's coverage floor (fuzz/floors/), logs to fuzz/RUNS.md"
	@echo "  make valgrind   the interop tests with our programs under valgrind memcheck (0 errors)"
	@echo "  make bench      coapsec vs libcoap, same machine, same run, servers taking turns round by"
	@echo "                  round: rates, server CPU per operation, the UDP echo ceiling, the ECDHE"
	@echo "                  crypto bound (openssl speed on the server's core, before each run),"
	@echo "                  memory at 1k-1M sessions (~30 min); QUICK=1: one short run each (< 1 min);"
	@echo "                  writes build/bench/results.json (see docs/PERFORMANCE.md)"
	@echo "  make soak       MINUTES (default 10) of load with churn: flat RSS, no exchange lost"
	@echo "  make install    install into PREFIX (default /usr/local); DESTDIR honoured:"
	@echo "                  library (.so + .a), headers, tool, man page, coapsec.pc, CMake package"
	@echo "  make docs       API reference with doxygen -> $(BUILD)/docs/html/index.html"
	@echo "  make format     clang-format every source file"
	@echo "  make clean      remove build directories"
