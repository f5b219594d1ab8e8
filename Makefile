# TrialFinder. `make run` serves the site; `make test` runs every test.
# Both set up what they need first, so they work on a fresh machine.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint format messages translations migrate data clean css prod-local loadtest

# The virtual environment is rebuilt only when a requirements file changes.
$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

# gettext compiles the translations; Pango and the CJK fonts make the doctor's PDF
# (WeasyPrint); Chromium serves the browser tests; the tests of several servers start Redis.
system-packages:
	@missing=""; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	/sbin/ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0.so.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0"; \
	test -d /usr/share/fonts/opentype/noto || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt PACKAGES="$$missing"; fi

system-packages-test: system-packages system-packages-node
	@missing=""; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	test -d /usr/share/fonts/opentype/noto || missing="$$missing fonts-noto-cjk"; \
	command -v wrk >/dev/null || missing="$$missing wrk"; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt PACKAGES="$$missing"; fi

# make prod-local and make loadtest run PostgreSQL and Redis on this machine.
system-packages-prod: system-packages
	@missing=""; \
	command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	command -v pg_ctlcluster >/dev/null || missing="$$missing postgresql-15"; \
	if [ -n "$$missing" ]; then $(MAKE) --no-print-directory apt PACKAGES="$$missing"; fi

# Node and npm run the tools in package.json (Debian 12's own nodejs 18 is enough).
system-packages-node:
	@command -v npm >/dev/null || $(MAKE) --no-print-directory apt PACKAGES="nodejs npm"

apt:
	@echo "Installing Debian packages:$(PACKAGES)"
	@if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(PACKAGES) >/dev/null

# The tools in package-lock.json. PurgeCSS and Bootstrap build the stylesheet (`make css`, and the
# test that checks it); Lighthouse, a devDependency, is for `make bench` only. `npm ci` starts
# from an empty node_modules, so each stamp is made only by a complete install.
node_modules/.installed-css: package-lock.json | system-packages-node
	npm ci --omit=dev --no-audit --no-fund --loglevel=error
	touch $@

node_modules/.installed-all: package-lock.json | system-packages-node
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed-css $@

# Bootstrap with only the rules our templates, crispy-bootstrap5's templates, our Python and
# our scripts can use (purgecss.config.mjs). The result is committed, so `make run` needs no
# Node; trials/tests/test_css_build.py fails when it is out of date. Run after adding a
# Bootstrap class.
css: node_modules/.installed-css $(VENV)/.installed
	CRISPY_BOOTSTRAP5_TEMPLATES="$$($(PY) -c 'import crispy_bootstrap5, pathlib; print(pathlib.Path(crispy_bootstrap5.__file__).parent / "templates")')" \
	node_modules/.bin/purgecss --config purgecss.config.mjs --output static/vendor/bootstrap/bootstrap.purged.css

translations: system-packages $(VENV)/.installed
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

# createcachetable makes the table that holds the contact form's rate limits.
migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py createcachetable

# The shipped record files were compiled by hand from public copies of each
# registry record on this day (see ../shared/trials/facts.md); the pages say so.
SHIPPED_RECORDS_COMPILED_ON := 2026-11-21

# Registry facts from the shipped record files, then the plain-language content.
# Both are idempotent: a second run changes nothing that staff edited.
data: migrate
	$(PY) manage.py import_trials --publish --compiled-on $(SHIPPED_RECORDS_COMPILED_ON) trials/data/registry/*.json
	$(PY) manage.py load_content

run: translations data
	@$(PY) manage.py ensure_admin
	@echo
	@echo "TrialFinder is at http://$(HOST):$(PORT)/  (stop with Ctrl-C)"
	@echo "Mail is printed here, in this terminal, unless EMAIL_HOST is set."
	@echo
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py db_worker --interval 1 & \
	$(PY) manage.py recover_deliveries --every 60 & \
	$(PY) manage.py runserver $(HOST):$(PORT)

test: system-packages-test $(VENV)/.installed-dev translations node_modules/.installed-css
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(VENV)/bin/pytest

bench: system-packages-test $(VENV)/.installed-dev translations node_modules/.installed-all
	$(PY) -m trials.bench

# The production shape on this machine: PostgreSQL, Redis, two gunicorn instances, two task
# workers and an SMTP sink (trials/prodlocal/). Ctrl-C stops every process it started.
prod-local: system-packages-prod $(VENV)/.installed-dev translations
	$(PY) -m trials.prodlocal up

# The parent journey with locust against both instances, 50 users for 2 minutes, with the mail
# server down for the middle minute and a worker killed; prints the figures (about 5 minutes).
loadtest: system-packages-prod $(VENV)/.installed-dev translations
	$(PY) -m trials.prodlocal loadtest

# Python: ruff, and django-upgrade for Django 5.2 idioms. Templates: djhtml keeps their indentation,
# djLint lints them (tool.djlint in pyproject.toml). `make format` applies what can be applied.
PY_SOURCES = git ls-files -z '*.py' ':!:trials/migrations/*'
TEMPLATES = $$(git ls-files 'templates/*.html')

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY_SOURCES) | xargs -0 $(VENV)/bin/django-upgrade --target-version 5.2
	$(VENV)/bin/djhtml --tabwidth 2 --check $(TEMPLATES)
	$(VENV)/bin/djlint templates --lint

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(PY_SOURCES) | xargs -0 $(VENV)/bin/django-upgrade --target-version 5.2 || true
	$(VENV)/bin/djhtml --tabwidth 2 $(TEMPLATES)

# Refresh the .po files after changing interface strings.
messages: $(VENV)/.installed
	$(PY) manage.py makemessages -l ko -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=staticfiles --no-obsolete --add-location=file
	$(PY) manage.py makemessages -d djangojs -l ko -l zh_Hans --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=static/vendor --no-obsolete --add-location=file

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3 .prod-local
