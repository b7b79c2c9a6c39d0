# husk — build, test, install. `make` builds everything; `make test` runs the whole suite.
NODE        ?= node
PREFIX      ?= /usr/local
NODE_GYP    := $(NODE) node_modules/node-gyp/bin/node-gyp.js
TSC         := $(NODE) node_modules/typescript/bin/tsc
ADDON       := build/Release/husk_addon.node
VALIDATOR   := build/schemas/config-validator.js
TS_STAMP    := build/ts/.stamp
BUNDLE      := build/husk.js
ADDON_SRC   := $(wildcard addon/*.c addon/*.h addon/*.cc) binding.gyp
TS_SRC      := $(shell find src test conformance scripts -name '*.ts' 2>/dev/null) tsconfig.json
DEMO_BUNDLE := bundles/out/demo
CHECKER     := build/checker
PLAN_WIRE_TEST := build/plan-wire-test
FRONT_END   := build/bin/husk
BUILD_ID    := build/build-id
# The front end links the container-side C it shares with the addon (not binding.cc, not bpf.c,
# not seccomp-compile.c: it installs programs a worker compiled, and needs no libseccomp).
FRONT_END_SRC := addon/frontend.c addon/frames.c addon/plan-wire.c addon/clone.c addon/exec.c addon/namespaces.c \
                 addon/mounts.c addon/copyup.c addon/devices.c addon/process.c addon/sync.c addon/util.c \
                 addon/resolve.c addon/console.c addon/caps.c addon/keyring.c addon/seccomp.c \
                 addon/attributes.c addon/memory.c
# Built against musl (Debian's musl-tools; scripts/install-deps.sh) when it is there: a static
# glibc program spends ~0.5 ms of every start in cpuid (its cache-size probing; each cpuid is a
# trap to the hypervisor, ~6 us on this VM), a static musl one none. musl has no kernel headers
# of its own: build/musl-kernel-headers links the system's linux/ and asm/ in. Without musl-gcc,
# glibc's gcc -static (the same program, slower to start). Looked up when the recipe runs, not when
# make starts: `make test` installs musl-tools (deps) on a fresh machine before it builds.
MUSL_KERNEL_HEADERS := build/musl-kernel-headers
SPAWN_LOOP  := build/spawn-loop

# build-info is phony on purpose.
.PHONY: build-info all deps test test-unit test-integration test-daemon test-clients test-reliability conformance demo install uninstall clean bench

all: $(ADDON) $(VALIDATOR) $(TS_STAMP) $(BUNDLE) $(CHECKER) $(PLAN_WIRE_TEST) $(FRONT_END) build-info

# What `husk --version` prints (commit changes without any source change, so always rewritten).
build-info:
	@sh scripts/build-info.sh

# Debian packages (root) and npm packages; both are no-ops when already there.
deps: node_modules/.stamp
	sh scripts/install-deps.sh

# A copy of the tree whose node_modules is a symlink to another tree's must not run npm ci: npm
# replaces the symlink and empties the directory it pointed to (it happened here, twice, to
# /work/main/node_modules while others were building and testing in it).
node_modules/.stamp: package.json package-lock.json
	@if [ -L node_modules ]; then echo "node_modules is a symlink: not running npm ci through it"; else npm ci --no-audit --no-fund; fi
	touch $@

# configure + build, never `node-gyp rebuild`: its clean step deletes all of build/, including
# the TypeScript output and the schemas that share that directory.
NODE_DIR    = $$(dirname $$(dirname $$(readlink -f $$(command -v $(NODE)))))
$(ADDON): $(ADDON_SRC) node_modules/.stamp
	$(NODE_GYP) configure --nodedir=$(NODE_DIR)
	$(NODE_GYP) build --nodedir=$(NODE_DIR)
	@touch $@

$(VALIDATOR): scripts/build-schemas.js node_modules/.stamp
	$(NODE) scripts/build-schemas.js build/schemas

$(TS_STAMP): $(TS_SRC) node_modules/.stamp
	$(TSC) -p .
	@touch $@

# What bin/husk runs: the CLI in one file and its V8 code cache (scripts/bundle.js; tsc above is
# the type check and what the tests load). Rebuilt whenever tsc runs, so that it is never older
# than build/ts (bin/husk takes the newer). The validators get a code cache too.
$(BUNDLE): $(TS_STAMP) $(shell find src -name '*.ts' 2>/dev/null) scripts/bundle.js $(VALIDATOR) node_modules/.stamp
	$(NODE) scripts/bundle.js
	$(NODE) scripts/bundle.js --cache build/schemas/config-validator.js build/schemas/state-validator.js

# Daemon mode (docs/daemon.md): the build id names this exact build (the bundle, the addon, the
# front end's sources); a front end and a daemon of different builds never talk (FALLBACK).
$(BUILD_ID): $(BUNDLE) $(VALIDATOR) $(ADDON) $(FRONT_END_SRC) $(wildcard addon/*.h)
	cat $^ | sha256sum | cut -c1-16 > $@

# The front end, static: it starts in well under a millisecond and needs no library at run time.
$(FRONT_END): $(FRONT_END_SRC) $(wildcard addon/*.h) $(BUILD_ID)
	@mkdir -p build/bin $(MUSL_KERNEL_HEADERS)
	@ln -sfn /usr/include/linux $(MUSL_KERNEL_HEADERS)/linux
	@ln -sfn /usr/include/asm-generic $(MUSL_KERNEL_HEADERS)/asm-generic
	@ln -sfn /usr/include/$$(gcc -dumpmachine)/asm $(MUSL_KERNEL_HEADERS)/asm
	$$(command -v musl-gcc || echo gcc) -static -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fno-strict-aliasing \
	  -idirafter $(MUSL_KERNEL_HEADERS) \
	  -ffunction-sections -fdata-sections -Wl,--gc-sections \
	  -DHUSK_BUILD_ID='"'"$$(cat $(BUILD_ID))"'"' -DHUSK_BUILD_NODE='"'"$$(command -v $(NODE))"'"' \
	  -o $@ $(FRONT_END_SRC)

test: deps all test-unit test-integration test-daemon test-clients test-reliability conformance

test-unit: all
	$(NODE) --test --test-reporter=spec build/ts/test/unit/

# Integration tests start real containers: root only, one file at a time (they share the host).
test-integration: all
	$(NODE) --test --test-concurrency=1 --test-reporter=spec build/ts/test/integration/

# The integration suite once more in daemon mode: through build/bin/husk and a private husk daemon.
test-daemon: all
	NODE=$(NODE) sh scripts/test-daemon-mode.sh

# Real clients drive husk (test/clients): a private containerd through its runc v2 shim, and
# Podman through conmon, each in a namespace of its own with its state in a temporary directory
# (test/clients/sandbox.ts). Root only; scripts/install-deps.sh installs containerd and Podman.
test-clients: all
	$(NODE) --test --test-concurrency=1 --test-reporter=spec build/ts/test/clients/

# The conformance suite (conformance/README.md): runtime-spec clauses against husk and runc side by
# side; writes conformance/REPORT.md. Options: make conformance CONFORMANCE_ARGS="--only seccomp".
conformance: all
	$(NODE) build/ts/conformance/run.js --report conformance/REPORT.md $(CONFORMANCE_ARGS)

# The in-container checker of the conformance suite: static, so it runs in any rootfs.
$(CHECKER): conformance/checker/checker.c
	@mkdir -p build
	gcc -static -O2 -Wall -Wextra -o $@ $<

# addon/plan-wire.c's round trip and malformed-input checks, run by test/unit/plan-wire.test.ts.
$(PLAN_WIRE_TEST): test/native/plan-wire-test.c addon/plan-wire.c addon/plan-wire.h addon/plan.h addon/memory.c addon/memory.h
	@mkdir -p build
	gcc -O2 -Wall -Wextra -D_GNU_SOURCE -std=gnu11 -Iaddon -o $@ test/native/plan-wire-test.c addon/plan-wire.c addon/memory.c

# Concurrency, crashes (HUSK_FAULT), soak, fuzzing and stale state: root only, CI sizes by default
# (under 2 minutes here, so part of `make test`). The issue's full figures: HUSK_RELIABILITY_LONG=1
# (100 parallel containers, 2,000 soak lifecycles, 1,500 fuzz cases); or one knob, e.g.
# HUSK_SOAK=2000 (see test/reliability/harness.ts). Prints the figures at the end.
RELIABILITY_FIGURES := build/reliability-figures.jsonl
test-reliability: all
	@rm -f $(RELIABILITY_FIGURES)
	@HUSK_RELIABILITY_FIGURES=$(CURDIR)/$(RELIABILITY_FIGURES) $(NODE) --test --test-concurrency=1 --test-reporter=spec build/ts/test/reliability/; \
	  status=$$?; $(NODE) scripts/reliability-report.js $(RELIABILITY_FIGURES); exit $$status

demo: deps all
	sh scripts/demo.sh

install: all
	rm -rf $(DESTDIR)$(PREFIX)/lib/husk
	mkdir -p $(DESTDIR)$(PREFIX)/lib/husk/build $(DESTDIR)$(PREFIX)/bin
	cp -r bin package.json node_modules $(DESTDIR)$(PREFIX)/lib/husk/
	cp -r build/ts build/Release build/schemas build/bin build/build-id build/build-info.json $(BUNDLE) $(BUNDLE).cache $(DESTDIR)$(PREFIX)/lib/husk/build/
	# `husk` is the front end: it runs the Node CLI (lib/husk/bin/husk) unless a husk daemon answers.
	ln -sf $(PREFIX)/lib/husk/build/bin/husk $(DESTDIR)$(PREFIX)/bin/husk

uninstall:
	rm -rf $(DESTDIR)$(PREFIX)/lib/husk $(DESTDIR)$(PREFIX)/bin/husk

# Times husk against runc on a busybox bundle; writes bench/RESULTS.md and bench/latency.svg.
# Options: make bench BENCH_ARGS="--count 20 --parallel 20" (node bench/bench.js --help).
bench: all $(SPAWN_LOOP)
	$(NODE) bench/bench.js $(BENCH_ARGS)

# The bench's precise timer for single commands (Node's spawnSync adds ~2 ms to each).
$(SPAWN_LOOP): bench/spawn-loop.c
	@mkdir -p build
	gcc -O2 -Wall -Wextra -o $@ $<

clean:
	rm -rf build bundles/out
