# The two commands a newcomer needs (see README):
#   make demo   -> the Jiangxi demo GEP account in runs/jiangxi-demo/
#   make test   -> lint (ruff), type checks (mypy) and the whole test suite (pytest)
# Both create or update the local virtual environment .venv first.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= runs/jiangxi-demo
# Re-install only when pyproject.toml changes.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-16)

.PHONY: demo test lint typecheck pytest install clean

$(STAMP): pyproject.toml scripts/setup-system.sh
	@scripts/setup-system.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/gep demo --out $(OUT) --overwrite

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -n 2

test: lint typecheck pytest

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
