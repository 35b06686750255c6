# Airlock's tasks. `make test` is the one command that runs every test on a fresh machine:
# it installs what the tests need first (see `test-deps`).

CARGO ?= cargo

.PHONY: all build run test test-deps lint fmt fmt-check bench fuzz doc clean

all: build

build:
	$(CARGO) build --workspace --all-targets

run:
	$(CARGO) run --release -p airlock-cli --

# Everything the tests need that cargo does not fetch by itself.
test-deps:
	@./scripts/install-test-deps.sh

test: test-deps
	$(CARGO) test --workspace --all-targets --locked
	$(CARGO) test -p airlock-engine --features object_store --test object_store --locked
	$(CARGO) test --workspace --doc --locked

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	$(CARGO) clippy -p airlock-engine --features object_store --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

bench:
	$(CARGO) bench --workspace

# `make fuzz TARGET=parse SECONDS=600` (or TARGET=execute) — needs `cargo install cargo-fuzz` and a nightly toolchain.
fuzz:
	mkdir -p fuzz/corpus/$(or $(TARGET),parse)
	cd fuzz && $(CARGO) +nightly fuzz run $(or $(TARGET),parse) corpus/$(or $(TARGET),parse) seeds -- -max_total_time=$(or $(SECONDS),60)

doc:
	$(CARGO) doc --workspace --no-deps

clean:
	$(CARGO) clean
