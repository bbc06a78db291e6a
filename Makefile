# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run test lint typecheck imports unit bench resilience messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(STAMP_RUN)

## run: set up and serve on the embedded default (SQLite under var/, demo data loaded once)
run: $(STAMP_RUN)
	$(BIN)/oversight migrate
	$(BIN)/oversight demo-data --if-empty
	$(BIN)/oversight serve

## test: install what the tests need, then lint, type-check, check layers, run the suite
test: $(STAMP_DEV)
	scripts/ensure-system-deps.sh prometheus prometheus-alertmanager:amtool prometheus-blackbox-exporter:prometheus-blackbox-exporter nginx:/usr/sbin/nginx chromium openssh-server:/usr/sbin/sshd age zstd curl
	$(MAKE) --no-print-directory lint typecheck imports unit

lint: $(STAMP_DEV)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP_DEV)
	$(BIN)/mypy

imports: $(STAMP_DEV)
	PYTHONPATH=src $(BIN)/lint-imports  # this checkout's code, whichever one the venv installed

unit: $(STAMP_DEV)
	$(BIN)/pytest -n 3 --dist loadfile -q

## bench: every benchmark in benchmarks/ (builds its own data), one table, BENCHMARKS.md
## (BENCH_QUICK=1: small data and short runs, to prove they work; not part of `make test`)
bench: $(STAMP_DEV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	command -v wrk >/dev/null || scripts/ensure-system-deps.sh wrk
	$(BIN)/python benchmarks/run.py

## resilience: the fault cases alone (they also run in `make test`)
resilience: $(STAMP_DEV)
	$(BIN)/pytest -n 2 --dist loadfile -q -m resilience

## messages: refresh the bot's catalogues from the source (then translate the new entries)
MESSAGE_SOURCES := src/oversight/telegram src/oversight/analytics/text.py src/oversight/analytics/charts.py
messages: $(STAMP_DEV)
	mkdir -p var
	$(BIN)/pybabel extract -k _ -k gettext -k ngettext:1,2 -k t --no-location \
		--omit-header -o var/oversight.pot $(MESSAGE_SOURCES)
	$(BIN)/pybabel update -N --ignore-obsolete --width 100 -D oversight \
		-i var/oversight.pot -d src/oversight/telegram/locale

clean:
	rm -rf $(VENV) var
