# rl-tuner: two commands do everything (see README.md).
#   make run    set up, then tune the shipped Note RNN with the RL Tuner (built-in defaults)
#   make test   set up, then run the whole test suite through Bazel
# Both are idempotent: each step installs only what is missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BAZEL ?= bazel
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := bazel-bootstrap bazel-rules-java fluidsynth libfluidsynth3 libportaudio2 timgm6mb-soundfont chromium chromium-driver
RUN_TARGET ?= //rl_tuner:rl_tuner_train
ARGS ?=

.PHONY: setup apt venv bazelisk run test bench studio clean

setup: apt venv bazelisk

apt:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -q && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q $$missing; \
	fi

venv: $(VENV)/.requirements.stamp

$(VENV)/.requirements.stamp: requirements.lock
	test -x $(VENV)/bin/python3 || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.lock
	touch $@

bazelisk: node_modules/.bin/bazelisk

node_modules/.bin/bazelisk: package.json package-lock.json
	npm ci --no-fund --no-audit
	touch $@

run: setup
	$(BAZEL) run $(RUN_TARGET) -- $(ARGS)

test: setup
	bash tools/bazel_test.sh $(BAZEL) //...

studio: setup
	$(BAZEL) run //sonification:studio -- $(ARGS)

bench: setup
	for b in bench/*_bench.py; do PYTHONPATH=. $(VENV)/bin/python $$b || exit 1; done

clean:
	$(BAZEL) clean
