# Circle — two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 5000
export FLASK_APP := board

.PHONY: run test install install-dev serve bench bench-large load crisis-eval clean

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Development: mail is printed in this terminal and kept at /dev/mail; links in it use this PORT.
run: install
	$(PY) -m flask --app board db upgrade
	BOARD_BASE_URL=$${BOARD_BASE_URL:-http://127.0.0.1:$(PORT)} $(PY) -m flask --app board seed --demo
	BOARD_BASE_URL=$${BOARD_BASE_URL:-http://127.0.0.1:$(PORT)} $(PY) -m flask --app board run --host 127.0.0.1 --port $(PORT)

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

# Production serving: `flask setup` (migrations, then the idempotent base seed: topics, watched
# phrases, canned reasons, pages; says how to create the first admin), then gunicorn with
# gunicorn.conf.py (WEB_CONCURRENCY workers, access log, PORT). Set SECRET_KEY, DATABASE_URL and REDIS_URL first; see "Serving Circle in production" in README.md.
serve: install
	BOARD_ENV=$${BOARD_ENV:-production} $(PY) -m flask --app board setup
	BOARD_ENV=$${BOARD_ENV:-production} PORT=$(PORT) $(VENV)/bin/gunicorn -c gunicorn.conf.py 'board:create_app()'

# Benchmarks (not part of `make test`); see bench/README.md. BENCH_ARGS="--duration 3" for a quick run.
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

bench-large: install
	$(PY) bench/run.py --scale $(BENCH_ARGS)

load: install
	$(PY) bench/load_posting.py $(LOAD_ARGS)

# Crisis detector: recall and false alarms per category on tests/data/crisis_eval.tsv (exit 1 if the test half misses its targets)
crisis-eval: install
	$(PY) scripts/crisis_eval.py

clean:
	rm -rf $(VENV) .pytest_cache
