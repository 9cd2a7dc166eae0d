# PyTorch for scientific computing: the instructor's front door. `make help` lists targets.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
# nbgrader shells out to alembic: the environment's bin/ goes first on PATH.
export PATH := $(BIN):$(PATH)
export PYTHONUNBUFFERED := 1
# Submissions autograded at once by `make grade` / `make demo` (one worker process each):
# by default one per core.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
# `make grade COURSE_DIR=<dir>` grades another course directory than the repository root.
COURSE_DIR_ARG = $(if $(COURSE_DIR),--course-dir "$(COURSE_DIR)")

.DEFAULT_GOAL := help
.PHONY: test-postgres shares help setup release demo grade export collect feedback-bundle feedback-screenshot test test-gpu test-seeds test-load test-compat lint format bench lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/' | expand -t 12

setup: $(STAMP)  ## install the pinned environment into .venv (quick when done)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@echo "Setting up $(VENV) with the versions in constraints.txt ..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.txt -c constraints.txt
	$(BIN)/pip install --quiet --no-deps -e .
	@command -v bwrap >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get install -y -qq bubblewrap >/dev/null; } || echo "NOTE: bubblewrap (bwrap) is \
	not installed: grading kernels will not be sandboxed. Install it: sudo apt-get install bubblewrap"
	@touch $@
	@echo "Environment ready: $(VENV)"

release: $(STAMP)  ## regenerate notebooks/ from solutions/ (RESET=<assignment> drops its grades first)
	$(BIN)/python -m course release $(if $(RESET),--reset $(RESET))

demo: $(STAMP)  ## the whole pipeline on the bundled example class, in build/demo
	$(BIN)/python -m course demo --jobs $(JOBS)

grade: $(STAMP)  ## autograde what changed in submitted/ (STUDENT=, ASSIGNMENT=, FORCE=1, JOBS=N)
	$(BIN)/python -m course grade --jobs $(JOBS) $(COURSE_DIR_ARG) $(if $(STUDENT),--student "$(STUDENT)") \
	  $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)") $(if $(FORCE),--force) $(if $(SHARE),--share $(SHARE))

shares: $(STAMP)  ## which students each of MACHINES=N graders grades (make grade SHARE=k/N)
	$(BIN)/python -m course shares $(COURSE_DIR_ARG) $(or $(MACHINES),2)

export: $(STAMP)  ## grades.csv etc. from the gradebook (LMS=canvas|moodle: its import file)
	$(BIN)/python -m course export $(COURSE_DIR_ARG) $(if $(LMS),--lms $(LMS))

collect: $(STAMP)  ## an LMS download into submitted/: ZIP=<file> [LMS=canvas|moodle] [ASSIGNMENT=]
	$(BIN)/python -m course collect "$(ZIP)" --lms $(or $(LMS),canvas) \
	  $(if $(ASSIGNMENT),--assignment "$(ASSIGNMENT)")

feedback-bundle: $(STAMP)  ## one zip of feedback per student, and mail-merge.csv
	$(BIN)/python -m course.lms bundle

feedback-screenshot: $(STAMP)  ## feedback of a tiny class in headless Chromium: tests/artefacts/
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)
	$(BIN)/python -m tests.feedback_screenshot

test: $(STAMP)  ## the full test suite: notebooks, release, structure, grading
	$(BIN)/python -m pytest

test-gpu: $(STAMP)  ## the same suite, insisting on a CUDA device
	COURSE_REQUIRE_GPU=1 $(BIN)/python -m pytest

test-postgres: $(STAMP)  ## two graders on one PostgreSQL gradebook vs SQLite (installs PostgreSQL as root)
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  { [ "$$(id -u)" = 0 ] && { apt-get install -y -qq postgresql >/dev/null 2>&1 || \
	    { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }; }; } || \
	  echo "PostgreSQL could not be installed (not root?): the test will say it is skipped"
	$(BIN)/pip install --quiet -r requirements-postgres.txt -c constraints.txt
	COURSE_TEST_POSTGRES=1 $(BIN)/python -m pytest -v -ra tests/postgres

test-seeds: $(STAMP)  ## every solution notebook under seeds 1-5 (or COURSE_SEEDS); slow, not in make test
	COURSE_SEEDS="$${COURSE_SEEDS:-1 2 3 4 5}" $(BIN)/python -m pytest -v tests/seeds

test-load: $(STAMP)  ## grading under 3 CPU burners per core, incl. the perfect class on all notebooks; slow, not in make test
	COURSE_LOAD_TEST=1 $(BIN)/python -m pytest -v -s tests/test_load.py

test-compat: $(STAMP)  ## notebooks on Colab's torch and on the newest (venvs in build/compat); slow, not in make test
	$(BIN)/python compat/run.py $(if $(ONLY),--only $(ONLY))

lint: $(STAMP)  ## ruff on the tooling, the tests and the solution notebooks
	$(BIN)/ruff check course tests solutions nbgrader_config.py
	$(BIN)/ruff format --check course tests nbgrader_config.py

format: $(STAMP)  ## ruff format, and notebooks without outputs in one stable layout
	$(BIN)/ruff format course tests nbgrader_config.py
	$(BIN)/python -m course format

bench: $(STAMP)  ## measure the course against its references (ONLY="pinn grading" for some)
	$(BIN)/python -m course bench $(if $(ONLY),--only $(ONLY))

lock:  ## re-resolve constraints.txt from requirements.txt in a scratch environment
	rm -rf build/lock-venv && $(PYTHON) -m venv build/lock-venv
	@# torch stays at the lock's version (CI's CPU build); change it here by hand to move CI.
	build/lock-venv/bin/pip install --quiet -r requirements.txt $$(grep '^torch==' constraints.txt)
	{ echo "# Exact versions CI installs (generated by \`make lock\` from requirements.txt; do not edit)."; \
	  build/lock-venv/bin/pip freeze | sed 's/+cpu$$//'; } > constraints.txt
	rm -rf build/lock-venv

clean:  ## remove build/ and caches (keeps .venv and any grading you did in the root)
	rm -rf build .pytest_cache .ruff_cache
