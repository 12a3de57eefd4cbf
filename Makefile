# The two commands a new user runs: `make demo` and `make test`. Each creates .venv when missing.
# `make docs` builds the documentation site.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

# The notebooks and the demo run against the embedded local server with its placeholder key and
# folder, whatever YC_* variables your shell has (notebooks/conftest.py, ygpt_magic/demo.py).

.PHONY: venv python-check browser lint checks rewrite test test-fast demo bench docs package-check clean

# `make demo` installs only what the demo needs (the 'demo' extra: the tutorials' packages and a
# kernel), so a fresh clone shows the product in a minute; everything else installs everything.
DEMO_STAMP := $(VENV)/.demo-stamp
PIP := $(PY) -m pip install -q --disable-pip-version-check

# Packages go in with uv, installed into .venv first: it fetches in parallel where pip fetched the
# test set's 190 packages one at a time (58 to 80 s on a fresh clone), the same versions. It
# compiles them as pip does: with no .pyc, each interpreter the tests start spent 2 s more
# importing the SDK, IPython and pandas. uv reads no pip.conf, so where only an index configured
# for pip is reachable the install falls back to pip, as before.
EVERYTHING := -e '.[test,docs]'
INSTALL = { $(PIP) uv && $(VENV)/bin/uv pip install -q --compile-bytecode --python $(PY) $(1); } || $(PIP) $(1)

# Where the shell sets PYTHONDONTWRITEBYTECODE (this machine's does), nothing of the checkout is
# ever compiled once for all: every pytest worker rewrote and compiled every test module again
# (15 s of CPU each, 5 s with the cache) and every kernel and server compiled the package.
# __pycache__ is in .gitignore.
unexport PYTHONDONTWRITEBYTECODE

# jsonschema (which jupyter-events asks for with its format-nongpl extra) builds an RFC 3987
# grammar when it is imported if rfc3987-syntax is installed: 1.5 s of CPU in every jupyter,
# nbconvert, nbval and demo process (about 45 of them in make test, 70 s), to check "iri"
# formats that nothing here validates. .venv goes without it; pip check still passes.
SLIM = $(PY) -m pip uninstall -y -q rfc3987-syntax

$(PY): | python-check
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

$(STAMP): pyproject.toml | python-check $(PY)
	$(call INSTALL,$(EVERYTHING))
	$(SLIM)
	touch $(STAMP)

$(DEMO_STAMP): pyproject.toml | python-check $(PY)
	$(call INSTALL,-e '.[demo]')
	$(SLIM)
	touch $(DEMO_STAMP)

venv: $(STAMP)

# Python 3.10 or newer (pyproject.toml's requires-python), checked before .venv is made or
# installed into, in one line that says what to run: a python3 too old made a .venv pip refused
# to install into, and a retry with PYTHON=python3.11 reused that .venv and failed the same way.
# A .venv made by a Python too old, or by another one than a PYTHON= given on the command line
# (not one the shell exports: .venv is used as it is then), is said too (make clean remakes it).
# Runs on every make that uses .venv: two interpreter starts.
PYTHON_VERSION := -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])'
AGAIN := make$(if $(MAKECMDGOALS), $(firstword $(MAKECMDGOALS)))
python-check:
	@recent() { echo "$$1" | awk -F. '{ exit !($$1 > 3 || ($$1 == 3 && $$2 >= 10)) }'; }; \
	use() { for p in python3.15 python3.14 python3.13 python3.12 python3.11 python3.10; do \
	  v=$$($$p $(PYTHON_VERSION) 2>/dev/null) && recent "$$v" && { echo "$(AGAIN) PYTHON=$$p"; return; }; done; \
	  echo "$(AGAIN) PYTHON=/path/to/python3.10-or-newer"; }; \
	if [ -e $(PY) ]; then \
	  have=$$($(PY) $(PYTHON_VERSION) 2>/dev/null) || { echo "$(VENV)'s Python does not run: run make clean, then $(AGAIN)." >&2; exit 1; }; \
	  recent "$$have" || { echo "$(VENV) was made by Python $$have, and ygpt_magic needs 3.10 or newer: run make clean, then $$(use)." >&2; exit 1; }; \
	  if [ "$(origin PYTHON)" = "command line" ]; then \
	    want=$$($(PYTHON) $(PYTHON_VERSION) 2>/dev/null); \
	    [ "$$want" = "$$have" ] || { echo "$(VENV) was made by Python $$have, not by PYTHON=$(PYTHON) ($${want:-which does not run}): run make clean to remake it with that one, or leave out PYTHON= to use it as it is." >&2; exit 1; }; \
	  fi; \
	else \
	  want=$$($(PYTHON) $(PYTHON_VERSION) 2>/dev/null) || { echo "$(PYTHON) does not run here, and $(VENV) is made with it: run $$(use)." >&2; exit 1; }; \
	  recent "$$want" || { echo "ygpt_magic needs Python 3.10 or newer, and $(PYTHON) ($$(command -v $(PYTHON))) is $$want: run $$(use)." >&2; exit 1; }; \
	fi

# The browser test (tests/test_browser.py) drives Debian's Chromium; install it when missing
# (needs root), otherwise that test is skipped with the reason printed.
CHROMIUM := /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "Could not install chromium with apt-get: the browser test will be skipped."; \
	  else echo "No $(CHROMIUM) and not root: the browser test will be skipped (apt-get install chromium)."; fi; }

# One pytest run: the tests, then every notebook through nbval (stored outputs must match a fresh run).
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
# `make test` and `make test-fast` end with the slowest tests, so one that grows slow is seen.
DURATIONS := --durations=15
# Both run on three pytest-xdist workers, one more than CI's two cores (`make test WORKERS=2` for
# fewer): most of the suite waits (on a kernel, a browser, a timeout), so a third worker fills the
# waits; on two cores it took pytest from 4 min 51 s to 3 min 40 s in two runs each, every test
# passing (the timing-sensitive Ctrl-C tests now wait for marks, not sleeps). A unit of
# work is a module (loadscope): a module's fixtures are set up once, and a notebook's cells, which
# share one kernel, run in order on one worker. In collection order (no reorder): the few long
# modules (browser, cache notebooks) start early instead of ending the run alone. Not loadgroup:
# with pytest 9.2 xdist 3.8 ignores xdist_group marks (pytest-xdist issue 1386).
WORKERS ?= 3
PARALLEL = -n $(WORKERS) --dist loadscope --no-loadscope-reorder
# gRPC's fork handlers off: a test that forks with gRPC's threads running (test_terminal.py's
# pseudo-terminal) otherwise now and then lost its child before the exec. It must be set before
# pytest imports gRPC (the ygpt_magic pytest plugin does, when it loads), hence here.
PYTEST := GRPC_ENABLE_FORK_SUPPORT=0 $(PY) -m pytest

# ruff and mypy ([tool.ruff], [tool.mypy] in pyproject.toml) run first in both: a second or two
# with mypy's cache warm (about 12 s cold), and a finding fails at once.
lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m mypy ygpt_magic

# The docs and the package are checked first too, at the same time as ruff and mypy (mypy alone
# keeps one core busy for 16 s on a fresh clone): a broken one fails at once.
checks: lint docs package-check rewrite

# pytest's rewrite of the test modules' asserts, made and kept once beside ruff and mypy (which
# keep one core busy): otherwise each of the three workers rewrote every test module itself on a
# fresh clone, 15 s of CPU apiece, 5 s once the rewrite is kept. A module that does not import
# fails the test run that follows, with its error.
rewrite: $(STAMP)
	@$(PYTEST) tests --collect-only -qq -p no:cacheprovider >/dev/null 2>&1 || true

test: $(STAMP) browser
	@$(MAKE) --no-print-directory -j3 checks
	$(PYTEST) tests notebooks $(NBVAL) $(PARALLEL) $(DURATIONS)

# The edit loop: the tests but the ones marked slow (timeouts waited out, browser, demo, soak,
# the benchmark scripts, ...) and without the notebooks (nbval): `make test` runs all of them.
test-fast: $(STAMP) lint
	$(PYTEST) tests -m "not slow" $(PARALLEL) $(DURATIONS)

demo: $(DEMO_STAMP)
	YGPT_ENDPOINT=local $(VENV)/bin/ygpt-magic demo

# The documentation site, into build/site. The reference pages are generated from the code's
# declarations and the tutorials are the notebooks as stored (docs/hooks/reference.py).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --quiet
	@echo "Documentation site: build/site/index.html"

# The sdist and wheel build (with the installed hatchling: nothing to download) and their
# metadata and README pass twine's strict check; built into a temporary folder, then removed.
package-check: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(PY) -m build --no-isolation --outdir "$$tmp" . >"$$tmp/build.log" 2>&1 \
	    || { cat "$$tmp/build.log"; exit 1; } && \
	  $(PY) -m twine check --strict "$$tmp"/*.whl "$$tmp"/*.tar.gz

bench: $(STAMP)
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) build
