# Two commands: `make run` (service with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench loadtest evaluate clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: install
	$(BIN)/matchmaker db migrate
	$(BIN)/matchmaker seed --allow-external-database
	$(BIN)/matchmaker import-history seed/history.csv
	$(BIN)/matchmaker serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m matchmaker.bench

loadtest: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m matchmaker.loadtest

evaluate: install
	$(BIN)/matchmaker evaluate --train ../shared/bench/iati/train.csv --test ../shared/bench/iati/test.csv

clean:
	rm -rf $(VENV) .matchmaker .pytest_cache
