# Two commands: `make run` (service with demo data; HOST and PORT may be set) and `make test` (the whole suite).
PYTHON ?= python3
HOST ?= 127.0.0.1
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run lint test bench bench-rounds loadtest evaluate clean messages screenshots

install: $(STAMP)

# pip reports each package as it goes: the first install takes a minute or more.
$(STAMP): pyproject.toml Makefile
	@echo "[1/3] creating $(VENV)"
	$(PYTHON) -m venv $(VENV)
	@echo "[2/3] upgrading pip"
	$(BIN)/pip install --upgrade pip
	@echo "[3/3] installing Matchmaker and its dependencies into $(VENV)"
	$(BIN)/pip install -e '.[test]'
	@# The official IATI 2.03 schemas the tests validate the export against ship in pyIATI's
	@# source distribution; its own pinned dependencies do not build on current Python, nor are they needed.
	$(BIN)/pip install --no-deps 'pyIATI==0.4.1'
	touch $(STAMP)

run: install
	$(BIN)/matchmaker db migrate
	$(BIN)/matchmaker seed --allow-external-database
	$(BIN)/matchmaker import-history seed/history.csv
	$(BIN)/matchmaker serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff check matchmaker tests
	$(BIN)/mypy

# Two workers, one a core: each has its own embedded PostgreSQL (or template database).
test: lint
	$(BIN)/python -m pytest -n 2

bench: install
	$(BIN)/python -m matchmaker.bench

# Funding rounds: 500 needs x 100 offers and 5,000 x 1,000, allocated under balance rules.
bench-rounds: install
	$(BIN)/python -m matchmaker.rounds.bench

loadtest: install
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m matchmaker.loadtest

# Every public set beside the project (../shared/bench/*/train.csv and test.csv).
evaluate: install
	for set in ../shared/bench/*/; do echo "== $$set"; \
		$(BIN)/matchmaker evaluate --train $$set/train.csv --test $$set/test.csv || exit 1; done

clean:
	rm -rf $(VENV) .matchmaker .pytest_cache

# The README's pictures of the main pages, taken by the browser tests (Debian's chromium).
screenshots: install
	MATCHMAKER_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser

# The pages' messages: extract them, then merge them into the French and Spanish catalogues.
messages: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k gettext:2 -k ngettext:2,3 --no-location --omit-header \
		-o matchmaker/pages/locale/messages.pot .
	for lang in fr es; do $(BIN)/pybabel update --no-fuzzy-matching -l $$lang \
		-i matchmaker/pages/locale/messages.pot -o matchmaker/pages/locale/$$lang/LC_MESSAGES/messages.po; done
