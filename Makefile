# 连心 Lianxin — `make run` starts the app with the demo county; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app server
PWA := pwa

.PHONY: run test test-python test-pwa lint bench setup pwa browser clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

setup: $(VENV)/.installed

# The PWA: npm packages from package-lock.json, then a production build into pwa/dist.
$(PWA)/node_modules/.installed: $(PWA)/package.json $(PWA)/package-lock.json
	cd $(PWA) && npm ci --no-audit --no-fund
	touch $@

# The entity map comes from the server's declarations (server/sync/entity_map.py).
# Then brotli and gzip copies beside each file, by WhiteNoise's own compressor (server/web.py
# serves them), and the first-load budget checked on those copies (scripts/report-size.mjs).
pwa: $(PWA)/node_modules/.installed setup
	$(BIN)/python $(PWA)/scripts/entity_fields.py
	cd $(PWA) && npm run build
	$(BIN)/python -m whitenoise.compress $(PWA)/dist
	cd $(PWA) && npm run size

# Browser tests drive Debian's Chromium (never a downloaded browser).
# fonts-noto-cjk so screenshots show Chinese; poppler-utils renders PDFs for tests;
# nginx-light runs deploy/nginx/lianxin.conf in front of the app (tests/browser/test_nginx.py).
BROWSER_PACKAGES := chromium fonts-noto-cjk poppler-utils nginx-light
browser:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null || ! fc-list :lang=zh | grep -q . \
		|| ! PATH="$$PATH:/usr/sbin" command -v nginx >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
		else echo "请先安装：sudo apt-get install $(BROWSER_PACKAGES)" >&2; exit 1; fi; fi

run: setup pwa
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	LIANXIN_SCHEDULER=inprocess $(FLASK) run --host 127.0.0.1 --port 5000

lint: setup
	$(BIN)/ruff check server tests bench migrations/env.py
	$(BIN)/lint-imports

test-pwa: $(PWA)/node_modules/.installed
	cd $(PWA) && npm test

test-python: setup pwa browser
	$(BIN)/pytest

test: lint test-pwa test-python

bench: setup pwa
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(PWA)/node_modules $(PWA)/dist
