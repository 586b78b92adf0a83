# The course's commands. Each one bootstraps .venv first, so on a fresh machine
#   make lab    opens the course in JupyterLab
#   make test   runs every test (what .ci/run calls)
# need nothing but Python 3.10+ and make.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
KERNEL := autoencoder-course
PYTEST_ARGS ?=

.PHONY: help install lab test test-fast notebooks check-pairs clean

help:
	@echo "make lab        open the course in JupyterLab (sets everything up the first time)"
	@echo "make test       run all tests: units, notebooks (smoke and nbval), pair sync"
	@echo "make test-fast  unit tests only (no notebooks, no browser)"
	@echo "make notebooks  re-execute every notebooks/NN_*.py into its .ipynb"
	@echo "make clean      remove build/ (data cache, checkpoints, results)"

install: $(STAMP)

# Installs the course with the pinned versions of constraints.txt; course.lab then
# registers the named kernel in the venv and gives JupyterLab the course's settings
# (paired .py files open as notebooks, no news pop-up).
$(STAMP): pyproject.toml constraints.txt src/course/lab_settings.json src/course/lab.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c constraints.txt -e .
	$(PY) -m course.lab --setup-only
	touch $(STAMP)

# python -m course.lab serves the project root and opens lesson 00 (as root, it adds
# --allow-root: containers often run as root). LAB_ARGS go to JupyterLab.
LAB_ARGS ?=
lab: $(STAMP)
	$(PY) -m course.lab $(LAB_ARGS)

# pytest exits 5 when it collects nothing: that is a broken suite, not a pass.
test: $(STAMP)
	@$(PY) -m pytest -p course.notebooks tests notebooks \
	    --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	    $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the test suite is missing" >&2; exit 1; fi; \
	exit $$rc

test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not notebook and not browser" $(PYTEST_ARGS)

notebooks: $(STAMP)
	$(PY) -m course.notebooks build

check-pairs: $(STAMP)
	$(PY) -m course.notebooks check

clean:
	rm -rf build
