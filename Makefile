# The two commands: `make demo` and `make test`. Everything else is a helper.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-smoke bench-timeline faults record mutate lint clean lock api-watch

# What `make test` installs is hash-locked (ci/test.txt, `make lock`): every file's hash checked, then the
# reconciler itself from this checkout without resolving anything, so a clean clone installs nothing unhashed.
$(STAMP): pyproject.toml ci/test.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r ci/test.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# Everything but the tests marked `slow` (the full mode matrices, the fault matrix, the long timelines,
# the wheel): under 5 minutes on 2 idle cores. `make faults` runs the rest; CI runs both.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python -m bench

bench-smoke: $(STAMP)
	$(BIN)/python -m bench --smoke

# Telnyx's real timeline in virtual time (adopt, reassign to a shared campaign, profile move) with the
# scheduled resume at its shipped cadence and hourly: time until every number sends, number-hours without service.
bench-timeline: $(STAMP)
	$(BIN)/python -m bench.timeline

# The tests marked `slow`, then the fault matrix's report table (tests/faults/report.py).
faults: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m slow
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

# Mutation testing of the core ([tool.mutmut] only_mutate in pyproject.toml: diff, plan, drift, pagination, apply,
# the journal, tracking, the saved plan, change windows, messaging continuity, durations) with the fast unit tests
# only; one worker. Prints the table, writes it with the survivors' names to mutants/report.md (the weekly
# mutate.yml uploads it); fails when a module or the total is under 90 % killed.
mutate: $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,mutate]'
	rm -rf mutants  # a fresh run: cached verdicts do not see edited tests
	$(BIN)/mutmut run --max-children 1
	$(BIN)/python scripts/mutate_report.py --min 90 --markdown mutants/report.md

# The linters alone (make test runs each of them too, as tests): ruff, the import contracts, and
# actionlint and zizmor (offline) over the workflows, the composite action and what `init` writes.
lint: $(STAMP)
	$(BIN)/ruff check --quiet reconciler bench tests scripts
	$(BIN)/lint-imports --config .importlinter
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/ci/test_static.py -k "actionlint or zizmor"

record: $(STAMP)
	@test -n "$$TELNYX_API_KEY" || (echo "make record needs TELNYX_API_KEY (a real account)"; exit 1)
	RECORD_CASSETTES=1 $(BIN)/python -m pytest -q -m recorded

# The hash locks: ci/requirements.txt (what the CI workflows holding the key install) and ci/test.txt (what
# `make test` installs), pip-compile pairs written from pyproject.toml (scripts/lock_inputs.py) under the names
# Dependabot's pip updater reads (x.in -> x.txt). Re-run after changing pyproject.toml's dependencies.
lock:
	$(PY) -m venv $(VENV)-lock
	$(VENV)-lock/bin/pip install --quiet pip-tools
	$(VENV)-lock/bin/python scripts/lock_inputs.py
	cd ci && for lock in requirements test; do CUSTOM_COMPILE_COMMAND="make lock" ../$(VENV)-lock/bin/pip-compile --quiet \
		--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file $$lock.txt $$lock.in || exit 1; done

clean:
	rm -rf $(VENV) $(VENV)-lock .pytest_cache build *.egg-info mutants
