# Two commands on a fresh machine:  `make dreams` (set up, run the six notebooks, make the gallery)
# and `make test` (set up, run the unit tests and re-execute every notebook with nbval).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup dreams test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

dreams: setup
	$(BIN)/python tools/run_notebooks.py
	$(BIN)/python tools/make_gallery.py

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python benchmarks/bench_dream.py

clean:
	rm -rf $(VENV) .pytest_cache
