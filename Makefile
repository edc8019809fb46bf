# rexec-stack: the two commands README.md promises, plus helpers.
#   make up     start the whole stack locally (no cluster needed)
#   make test   run the whole test suite (what CI runs)
#   make format rewrite the Swift sources in the house style (.swift-format); make lint checks it
.PHONY: deps build test up bench fuzz soak clean format lint docs

deps:
	@scripts/install-deps.sh

build: deps
	swift build

test: deps
	scripts/test.sh

# Under job control (set -m) the stack is its own foreground process group: Ctrl-C reaches the
# stack, which stops everything and exits 0, and not make, which would die by the signal and
# report "Error 130" whatever the stack did. (`exit` keeps bash from exec'ing the script in
# make's own process group.) Without a terminal there is no Ctrl-C: the stack stays in make's
# process group, so a signal sent to the group reaches it.
up: deps
	@if [ -t 0 ]; then bash -c 'set -m; scripts/run-stack.sh; exit $$?'; else scripts/run-stack.sh; fi

bench:
	@scripts/install-deps.sh --bench
	scripts/bench/run-all.sh

# Each parser fuzz target for FUZZ_SECONDS (default 60); `make test` runs 2,000 inputs each.
fuzz:
	@scripts/install-deps.sh
	scripts/fuzz.sh

# The local stack under a mixed load for SOAK_SECONDS (default 600): errors, p99 per route, RSS.
soak: deps
	swift build
	STACK_SKIP_BUILD=1 .venv/bin/python scripts/soak.py

# The pages written from declarations: docs/configuration.md, docs/routes.md and ARCHITECTURE.md's module graph (make test checks them),
# and the console's screenshots in docs/console/ (taken by its browser tests).
docs: deps
	swift build --build-tests
	UPDATE_DOCS=1 swift test --skip-build --no-parallel --filter DocumentationTests
	scripts/module-graph.py --write
	CONSOLE_SCREENSHOTS=1 .venv/bin/python -m pytest e2e/test_console.py -q -p no:cacheprovider

clean:
	rm -rf .build .venv

# The formatter ships with the Swift toolchain (`swift format`); .swift-format holds the style.
format:
	swift format --in-place --recursive --parallel Sources Tests Package.swift

lint:
	swift format lint --strict --recursive --parallel Sources Tests Package.swift
