# Pollinate's entry points. `make run` and `make test` are the two commands in the README.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= S
export HOST PORT

.PHONY: install run test lint typecheck pytest messages bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	scripts/run

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy pollinate

pytest: install
	scripts/install-system-packages
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n 2 --dist loadgroup -q

test: lint typecheck pytest

messages: install
	$(BIN)/python manage.py makemessages -l fr --ignore '.venv/*' --ignore 'bench/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

bench: install
	scripts/install-system-packages
	$(BIN)/python -m pollinate.bench --scale $(SCALE)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache var
