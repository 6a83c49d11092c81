# Chartbusters — the two commands: `make demo` (set up and run everything) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Set to https://download.pytorch.org/whl/cpu on machines whose pip would pick a CUDA build.
TORCH_INDEX ?=
TORCH_INDEX_ARG := $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX),)
# Local development runs with DEBUG on unless the caller says otherwise.
export DEBUG ?= True

.PHONY: demo install migrate corpora test test-fast lint format typecheck check-migrations ci clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	# torch first and pinned, so the CPU build is used and no CUDA build is pulled in.
	$(BIN)/pip install --quiet torch==2.13.0 $(TORCH_INDEX_ARG)
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py rundemo

# The corpus caches the tests read (built once, minutes on a new machine; a test that built
# one itself would run past its time limit on a busy machine).
corpora: install
	$(BIN)/python -c "from music.corpus import CORPORA, load_corpus; [load_corpus(n) for n in sorted(CORPORA)]"

# The whole suite. DATA_DIR keeps the test database and broker folder apart from the demo's.
test: install corpora
	DATA_DIR=$(CURDIR)/var/test $(BIN)/python -m pytest

test-fast: install corpora
	DATA_DIR=$(CURDIR)/var/test $(BIN)/python -m pytest -m "not worker and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	NODE_PATH=/usr/share/nodejs eslint --no-eslintrc -c .eslintrc.json -f unix --max-warnings 0 --ext .js,.mjs static/js tests/js

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: install
	$(BIN)/mypy .

check-migrations: install
	$(BIN)/python manage.py makemigrations --check --dry-run

ci: lint typecheck check-migrations test

clean:
	rm -rf var/test .pytest_cache .mypy_cache .ruff_cache
