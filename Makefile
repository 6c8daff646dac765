# Two targets do all set-up on a fresh machine (Python 3.11+ and make): `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

$(BIN)/campaign-bot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

.PHONY: install demo test bench
install: $(BIN)/campaign-bot

demo: install
	$(BIN)/campaign-bot demo

test: install
	$(BIN)/pytest -q

# Speed measurements (not tests); each script prints its figures. See README, "Benchmarks".
bench: install
	$(BIN)/python benchmarks/bench_answers.py
	$(BIN)/python benchmarks/bench_roster.py --scale 0.1
	$(BIN)/python benchmarks/bench_dispatch.py
	$(BIN)/python benchmarks/bench_wechat.py
	$(BIN)/python benchmarks/bench_evidence.py --hashes 200000
	$(BIN)/python benchmarks/bench_supervision.py --scale 0.1
	$(BIN)/python benchmarks/bench_report.py --scale 0.1
	$(BIN)/python benchmarks/bench_backup.py --scale 0.1 --photos 200
	$(BIN)/python benchmarks/bench_console.py --scale 0.1
