# ecsdeploy developer commands. Everything runs inside .venv, created on demand.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: install test lint demo bench bench-smoke e2e-aws clean

$(BIN)/ecsdeploy: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/ecsdeploy ## create .venv and install ecsdeploy with its dev tools

test: install ## run the whole test suite: ecsdeploy, then the example apps
	$(BIN)/pytest -q -m "not aws"
	bash examples/run_tests.sh

lint: install ## ruff and mypy --strict
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/mypy scripts/emulator.py

demo: install ## up, status, plan, down against a local AWS emulator (no AWS account needed)
	bash scripts/demo.sh

BENCH_ARGS ?=
bench: install ## time up/no-op/redeploy/down against moto behind a latency proxy (see README)
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-smoke: install ## the benchmark once, 1 service, no latency: fails if it breaks
	$(BIN)/python -m bench --smoke --json .bench/smoke.json

e2e-aws: install ## deploy configs/example.yaml to YOUR AWS account, check it, delete it (see docs/development.md; costs money)
	ECSDEPLOY_E2E_AWS=1 $(BIN)/pytest -m aws tests/aws -v

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .demo .bench
