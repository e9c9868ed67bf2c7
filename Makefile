# The course's commands. A fresh machine needs only `make book` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is pinned here to the CPU wheel this course is tested with;
# pyproject.toml allows newer releases. Override: make TORCH_SPEC='torch' book
TORCH_SPEC ?= torch==2.13.0
PIP_FLAGS ?= -q --disable-pip-version-check
export MPLBACKEND ?= Agg
export PYDEVD_DISABLE_FILE_VALIDATION = 1

NB ?= notebooks/01_single_point_gan.ipynb
PARAMS ?=
OUT_DIR ?= lesson_runs

.PHONY: help venv book test test-fast nb execute lesson bench clean classifier weights mutate colab-sim format

help:
	@echo "make book      build the course (HTML) and print where it is"
	@echo "make test      run every test: package, notebooks (nbval), book build, browser"
	@echo "make test-fast unit tests of gan_helpers only"
	@echo "make nb NB=notebooks/01_...ipynb     check one lesson with nbval"
	@echo "make format    ruff: format and fix the package, tools, tests and notebooks (make test checks them)"
	@echo "make execute   re-execute every lesson in place (refreshes committed outputs)"
	@echo "make lesson NB=notebooks/01_...ipynb PARAMS='-p num_steps 500'"
	@echo "               run one lesson with other parameters into $(OUT_DIR)/"
	@echo "make bench     run the benchmarks"
	@echo "make colab-sim a wheel in a fresh venv outside the repository runs lesson 1 alone (COLAB_NB=...)"
	@echo "make classifier  retrain the MNIST classifier used by the metrics"
	@echo "make weights   retrain the shipped generators (lesson 4's MLP GAN, lesson 5's DCGAN; about 30 minutes)"
	@echo "make mutate    mutation testing of gan_helpers with mutmut (long; report: tests/MUTATION.md)"
	@echo "               MUTANTS='gan_helpers.stats.*' for one module, MUTATE_JOBS=2 for two workers"

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_FLAGS) '$(TORCH_SPEC)'
	$(BIN)/pip install $(PIP_FLAGS) -e '.[book,test]'
	$(BIN)/python -c "import gan_helpers, torch, jupyter_book, nbval, papermill"
	touch $@

venv: $(BIN)/.installed

book: venv
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "The course: file://$(CURDIR)/_build/html/index.html"

# two workers (pytest-xdist): every lesson runs on one CPU thread, so two run at once;
# --dist loadfile keeps each notebook's cells, and each test module, on one worker
TEST_JOBS ?= 2
test: venv
	$(BIN)/python -m pytest -ra --durations=25 -n $(TEST_JOBS) --dist loadfile

test-fast: venv
	$(BIN)/python -m pytest -ra tests -m "not slow"

RUFF_PATHS := gan_helpers tools benchmarks tests notebooks book/figures conftest.py
format: venv
	$(BIN)/ruff format $(RUFF_PATHS)
	$(BIN)/ruff check --fix $(RUFF_PATHS)

nb: venv
	$(BIN)/python -m pytest -ra $(NB)

execute: venv
	$(BIN)/python tools/execute_notebooks.py notebooks/*.ipynb

lesson: venv
	mkdir -p $(OUT_DIR)
	$(BIN)/papermill $(NB) $(OUT_DIR)/$(notdir $(NB)) -k python3 $(PARAMS)
	@echo "Wrote $(OUT_DIR)/$(notdir $(NB))"

# Colab, simulated (tools/colab_sim.py): wheel, fresh venv with TORCH_SPEC, the lesson alone in a temp folder.
COLAB_NB ?= notebooks/01_single_point_gan.ipynb
colab-sim: venv
	$(BIN)/python tools/colab_sim.py --lesson $(COLAB_NB) --torch '$(TORCH_SPEC)'

bench: venv
	$(BIN)/python benchmarks/bench_point.py
	$(BIN)/python benchmarks/bench_toy.py speed
	$(BIN)/python benchmarks/bench_dcgan.py

clean:
	rm -rf _build $(OUT_DIR) .pytest_cache

classifier: venv
	$(BIN)/python tools/train_classifier.py

weights: venv
	$(BIN)/python tools/train_weights.py mlp-gan-mnist
	$(BIN)/python tools/train_weights.py dcgan-mnist
# Mutation testing: [tool.mutmut] in pyproject.toml says which modules and tests; a fresh
# mutants/ each time, then the kill rate per module (tools/mutation_report.py).
MUTANTS ?=
MUTATE_JOBS ?= 1
mutate: venv
	$(BIN)/pip install $(PIP_FLAGS) -e '.[book,test,mutation]'
	rm -rf mutants
	nice -n 5 $(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(MUTANTS)
	$(BIN)/python tools/mutation_report.py --survivors
