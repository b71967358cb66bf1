# Two commands do all the set-up on a fresh machine:
#   make demo   -- creates .venv, installs omni-nas (CPU torch), runs the main job
#   make test   -- creates .venv, installs omni-nas with test tools, runs the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
SHARED_DATA ?= ../shared/data

.PHONY: venv demo test lint bench clean

$(BIN)/omni: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/omni

venv: $(BIN)/omni

demo: venv
	$(BIN)/omni demo

test: venv
	$(BIN)/python -m pytest -q -n 2 --dist worksteal

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
