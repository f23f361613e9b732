# Every target creates .venv when it is missing: `make run` and `make test` are the whole setup.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench chaos fuzz load format clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m app serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check app tests bench
	$(BIN)/ruff format --check app tests bench
	$(BIN)/mypy app

# The crash harness's long run: 50 SIGKILLs under a mixed workload, every invariant checked
# after each restart (a 3-kill run is part of `make test`); figures in docs/reliability.md.
chaos: $(STAMP)
	$(BIN)/python bench/chaos.py --seed 1 --kills 50 --ops 20

# The long fuzzing run: schemathesis' every phase, stateful along the document's links, against a
# real server (a few examples per operation are part of `make test`); figures in docs/reliability.md.
fuzz: $(STAMP)
	$(BIN)/python bench/fuzz.py --max-examples 100

# The load test: 60 s of mixed clients while uploads keep the processor busy; fails on any 5xx.
load: $(STAMP)
	$(BIN)/python bench/load.py --duration 60

format: $(STAMP)
	$(BIN)/ruff format app tests bench
	$(BIN)/ruff check --fix app tests bench

# The poll benchmark loads with wrk (Debian's package) when it can install it, else with its
# own slower Python client; never part of `make test`. The library benchmark builds its
# 100 000-image database on its first run (a few minutes) and keeps it in bench/.cache/library/.
bench: $(STAMP)
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk) \
		|| echo "wrk could not be installed: bench/poll.py falls back to its Python client"
	$(BIN)/python bench/poll.py
	$(BIN)/python bench/processor.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/library.py
	$(BIN)/python bench/search.py

clean:
	rm -rf $(VENV) *.egg-info
