# rexec-stack: the two commands README.md promises, plus helpers.
#   make up     start the whole stack locally (no cluster needed)
#   make test   run the whole test suite (what CI runs)
.PHONY: deps build test up bench clean

deps:
	@scripts/install-deps.sh

build: deps
	swift build

test: deps
	scripts/test.sh

up: deps
	scripts/run-stack.sh

bench:
	@scripts/install-deps.sh --bench
	scripts/bench/run-all.sh

clean:
	rm -rf .build .venv
