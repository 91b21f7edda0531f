# `make test` and `make demo` each build .venv from nothing when it is missing.
# Every package comes from requirements.lock (exact versions with hashes): a new release
# upstream cannot change what a fresh machine installs.  `make lock` refreshes the lock.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP_TOOLS := pip-tools==7.7.0

.PHONY: test demo run lint bench lock clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH bash scripts/demo.sh

# The web app on a demo home (built on first run in .demo-home, or $$YITAOTU_HOME):
# prints the address and each demo login, serves with gunicorn (PORT, default 8000).
RUN_HOME ?= $(CURDIR)/.demo-home
run: $(STAMP)
	YITAOTU_HOME="$${YITAOTU_HOME:-$(RUN_HOME)}" $(BIN)/yitaotu demo --if-missing
	YITAOTU_HOME="$${YITAOTU_HOME:-$(RUN_HOME)}" $(BIN)/yitaotu serve --port "$${PORT:-8000}"

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/diff.py
	$(BIN)/python bench/ifc.py

# Re-resolve every dependency of pyproject.toml (with the test extra) and the build tools
# to the newest releases, with hashes.  Review the diff, run `make test`, commit both.
lock:
	test -x .venv-lock/bin/pip-compile || ($(PY) -m venv .venv-lock && \
		.venv-lock/bin/python -m pip install -q $(PIP_TOOLS))
	.venv-lock/bin/pip-compile -q --upgrade --generate-hashes --allow-unsafe --strip-extras \
		--extra test --no-emit-index-url --no-emit-find-links \
		-o requirements.lock pyproject.toml requirements/build.in

clean:
	rm -rf $(VENV) .venv-lock build *.egg-info .pytest_cache
