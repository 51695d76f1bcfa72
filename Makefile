# Two commands do all the set-up on a fresh machine:
#   make train   creates .venv if needed, installs the project, trains on the built-in synthetic faces
#   make test    creates .venv if needed, runs the test suite
# Extra training overrides: make train ARGS="backbone=resnet loss=triplet"

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The torch build to install; e.g. TORCH_SPEC="torch torchvision" for the newest release.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
# facenet-pytorch 2.6.0 pins torch<2.3 upstream (its issues #231, #237) but runs on newer torch: it is
# installed without its pins, and its real runtime needs are in pyproject.toml.
FACENET_SPEC ?= facenet-pytorch==2.6.0
STAMP := $(VENV)/.installed-stamp
ARGS ?=
PYTEST_ARGS ?=

.PHONY: install train test test-fast lint format docs clean

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps $(FACENET_SPEC)
	$(BIN)/python -c "import torch, torchvision, facenet_pytorch, pytorch_lightning, hydra; print('facecompare: environment ready, torch', torch.__version__)"
	touch $(STAMP)

install: $(STAMP)

train: $(STAMP)
	$(BIN)/python scripts/train.py $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal $(PYTEST_ARGS)

# the suite without the tests marked slow (training runs, end-to-end scripts): for quick checks while editing
test-fast: $(STAMP)
	$(BIN)/python -m pytest -n auto --dist worksteal -m "not slow" $(PYTEST_ARGS)

# the documentation site into site/; --strict: a broken link or reference fails the build, as in CI
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache site
