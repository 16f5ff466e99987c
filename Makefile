# Every target installs what it needs first, so each works on a fresh clone.
export UV_PYTHON_DOWNLOADS := never
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen --extra dev
GENERATED_FROM := schema/examples/orders.yaml schema/examples/agent.yaml

.PHONY: setup demo test lint typecheck drift pytest bench bench-quick

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==0.13.8"
	$(UV) sync --frozen --extra dev --quiet
	@[ -f '.cache/asyncapi/package/schemas/3.0.0-without-$$id.json' ] || { mkdir -p .cache/asyncapi && cd .cache/asyncapi && npm pack --silent @asyncapi/specs@6.11.1 >/dev/null && tar -xzf asyncapi-specs-6.11.1.tgz; } || echo "make setup: npm could not fetch @asyncapi/specs@6.11.1 (needed by tests/generator/test_asyncapi.py)" >&2
	@# The browser test of wstream.sse drives Debian's chromium (never a downloaded browser).
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null 2>&1; then \
	    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; } \
	      || echo 'warning: installing chromium failed; tests/runtime/sse/test_browser.py will be skipped' >&2; \
	  else \
	    echo 'warning: apt-get is unavailable, so chromium is not installed; tests/runtime/sse/test_browser.py will be skipped' >&2; \
	  fi; \
	fi

demo: setup
	$(RUN) wstream-gen schema/examples/orders.yaml --out demo/_build
	$(RUN) python demo/run_demo.py

test: setup lint typecheck drift pytest

lint:
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck:
	$(RUN) mypy --strict runtime/wstream generator/wstream_gen $(wildcard generated/*/) benchmarks

drift:
	@if [ -e generator/wstream_gen/cli.py ]; then $(RUN) wstream-gen --check --out generated $(GENERATED_FROM); fi

pytest:
	$(RUN) pytest -q

bench: setup
	$(RUN) python -m benchmarks

bench-quick: setup
	$(RUN) python -m benchmarks --quick
