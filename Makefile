# The two commands: `make demo` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench bench-smoke bench-timeline faults record mutate lint clean lock api-watch

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m bench

bench-smoke: $(STAMP)
	$(BIN)/python -m bench --smoke

# Telnyx's real timeline in virtual time (adopt, reassign to a shared campaign, profile move) with the
# scheduled resume at its shipped cadence and hourly: time until every number sends, number-hours without service.
bench-timeline: $(STAMP)
	$(BIN)/python -m bench.timeline

faults: $(STAMP)
	$(BIN)/python -m tests.faults.report

# What the newest official SDK knows about our operations that the pinned one (pyproject.toml's test
# extra) did not: installed in a throwaway venv (never 4.87.1/4.87.2, malicious releases), described
# there, compared with the pinned one's description. Exit 0: nothing new or gone; 1: changes listed.
API_WATCH := .api-watch
api-watch: $(STAMP)
	rm -rf $(API_WATCH)
	$(PY) -m venv $(API_WATCH)/venv
	$(API_WATCH)/venv/bin/pip install --quiet --upgrade pip
	$(API_WATCH)/venv/bin/pip install --quiet --upgrade --no-cache-dir 'telnyx!=4.87.1,!=4.87.2'
	$(API_WATCH)/venv/bin/python scripts/api_watch.py describe > $(API_WATCH)/newest.json
	$(BIN)/python scripts/api_watch.py describe > $(API_WATCH)/pinned.json
	$(BIN)/python scripts/api_watch.py compare $(API_WATCH)/pinned.json $(API_WATCH)/newest.json > $(API_WATCH)/report.txt; \
	  rc=$$?; cat $(API_WATCH)/report.txt; exit $$rc

# Mutation testing of the pure core (diff, plan, drift, live/pagination) and apply with the fast unit tests
# only ([tool.mutmut] in pyproject.toml); one worker. Prints the table; fails under 90 % killed.
mutate: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,mutate]'
	rm -rf mutants  # a fresh run: cached verdicts do not see edited tests
	$(BIN)/mutmut run --max-children 1
	$(BIN)/python scripts/mutate_report.py --min 90

record: $(STAMP)
	@test -n "$$TELNYX_API_KEY" || (echo "make record needs TELNYX_API_KEY (a real account)"; exit 1)
	RECORD_CASSETTES=1 $(BIN)/python -m pytest -q -m recorded

# ci/requirements.lock: what the CI workflows install, every file hashed (--require-hashes).
# Re-run after changing pyproject.toml's dependencies (needs pip-tools; Dependabot proposes updates).
lock: $(STAMP)
	$(BIN)/pip install --quiet pip-tools
	cd ci && ../$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links --output-file requirements.lock ../pyproject.toml build.in

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info mutants
