# Pollinate's entry points. `make run` and `make test` are the two commands in the README.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= S
export HOST PORT

.PHONY: install run test lint typecheck pytest audit messages bench clean

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
	$(BIN)/bandit -c pyproject.toml -r pollinate --severity-level high -q

typecheck: install
	POLLINATE_DEV_SECRET=1 $(BIN)/mypy pollinate

pytest: install
	scripts/install-system-packages
	scripts/install-ralph
	POLLINATE_TESTING=1 $(BIN)/python manage.py makemigrations --check --dry-run
	POLLINATE_TESTING=1 $(BIN)/pytest -n 2 -q

test: lint typecheck pytest

# Supply chain (docs/security.md): bandit fails on high-severity findings in app code (settings in
# pyproject.toml), pip-audit on any known vulnerability in the installed pinned packages.
# bandit also runs in `make lint` (so in `make test` and CI); pip-audit needs PyPI's vulnerability
# data, which an offline mirror does not carry, so it runs here, on a connected machine.
audit: install
	$(BIN)/bandit -c pyproject.toml -r pollinate --severity-level high -q
	$(BIN)/pip-audit --progress-spinner off --skip-editable

# Refreshes the translation catalogues (needs gettext); the compiled .mo files are committed so
# `make run` works without gettext on the machine.
messages: install
	cd pollinate && POLLINATE_DEV_SECRET=1 ../$(BIN)/django-admin makemessages -l fr --settings=pollinate.settings --pythonpath=.. --ignore 'bench/*'
	cd pollinate && POLLINATE_DEV_SECRET=1 ../$(BIN)/django-admin compilemessages --settings=pollinate.settings --pythonpath=..

bench: install
	scripts/install-system-packages
	$(BIN)/python -m pollinate.bench --scale $(SCALE)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache var
