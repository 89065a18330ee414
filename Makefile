# Two commands on a fresh machine:  `make dreams` (set up, run the notebooks, make the gallery)
# and `make test` (set up, lint, run the unit tests and re-execute every notebook with nbval).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup sync translations lint dreams test test-quick test-time release grade bench-grade bench bench-web bench-queue bench-video bench-live reproducible objectives serve screenshot clean

setup: $(VENV)/.installed

# requirements.txt holds every dependency; the editable install adds the `deepdream` command and
# makes `import deepdream_utils` work from any folder, the notebooks' included.
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

sync: setup   # bring every notebook and its .py twin in step (the newer one wins)
	$(BIN)/jupytext --sync --quiet notebooks/[0-9]*.ipynb

translations: setup   # the Chinese notebooks (notebooks/zh_CN/) from the English ones and their catalogs (notebooks/locale/zh_CN/*.po)
	$(BIN)/python -m deepdream.translations

lint: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports

dreams: setup
	$(BIN)/python tools/run_notebooks.py
	$(BIN)/python tools/make_gallery.py

test: setup   # everything; the JUnit XML is what `make test-time` reads
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest --junitxml=build/test-results.xml

test-quick: setup   # a developer's quick loop: the unit tests without the notebooks and the slow tests
	$(BIN)/python -m pytest -m "not slow"

test-time: setup   # after make test: its time against this machine's budget, each process's share, the slowest tests
	$(BIN)/python tools/test_time.py

# LANGUAGE=zh_CN on make's command line (not gettext's LANGUAGE from your shell): a course in Chinese (make passes
# it on to the command's environment too, so the command's own messages are Chinese).
release: setup   # the student notebooks (no solutions, no hidden tests) and the wheel in course/release/deepdream/
	$(BIN)/python -m deepdream.course release $(if $(and $(filter command line,$(origin LANGUAGE)),$(LANGUAGE)),--language $(LANGUAGE))

# Grades course/submitted/<student>/deepdream/*.ipynb, or first unpacks ZIPS=folder (one .zip per student):
# nbgrader autograde in grading mode, each student's kernel in the bubblewrap sandbox (UNSANDBOXED=1: without,
# with your rights), JOBS students at once (default 1), only those whose submission changed since their last
# grade; feedback in course/feedback/, the grades in course/grades.csv.
JOBS ?= 1
grade: setup
	$(BIN)/python -m deepdream.course grade --jobs $(JOBS) $(if $(ZIPS),--zips "$(ZIPS)") $(if $(UNSANDBOXED),--unsandboxed)

bench-grade: setup   # a class of 8 graded with JOBS=1 and JOBS=2 in the sandbox, then again with nothing changed
	$(BIN)/python benchmarks/bench_grade.py

bench: setup
	$(BIN)/python benchmarks/bench_dream.py

bench-web: setup   # the web service's overhead and queue (starts its own server on a free port)
	$(BIN)/python benchmarks/bench_web.py

bench-queue: setup   # the job queue: its overhead, jobs per minute with 1 and 2 workers (and Redis), memory
	$(BIN)/python benchmarks/bench_queue.py

bench-live: setup   # the live dream: frames a second and latency at 256, 320 and 480 wide, 1 and 2 steps
	$(BIN)/python benchmarks/bench_live.py

bench-video: setup   # the video's speed at 540x360, flicker of the three modes, brightness drift
	$(BIN)/python benchmarks/bench_video.py

reproducible: setup   # same seed, same picture? distinct pictures over fresh processes and settings
	$(BIN)/python benchmarks/check_reproducible.py

objectives: setup   # what a total-variation penalty does to dreams from noise (quality_report, a few weights)
	$(BIN)/python benchmarks/measure_objectives.py

serve: setup   # the web app and HTTP API on http://127.0.0.1:5000 (waitress; Ctrl-C stops it)
	$(BIN)/deepdream serve

screenshot: setup   # the README's pictures of the studio and the live page, taken by the browser tests (needs chromium)
	DEEPDREAM_SCREENSHOT=outputs/web_app.jpg $(BIN)/python -m pytest -o addopts="" -p no:cacheprovider \
		tests/test_web_server.py -k real_browser_uploads
	DEEPDREAM_LIVE_SCREENSHOT=outputs/live.jpg $(BIN)/python -m pytest -o addopts="" -p no:cacheprovider \
		tests/test_web_live.py -k real_browser

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info build dist
