"""Deploy checks: demo addresses are refused, and a real production configuration is clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

from trials.models import Site

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_deploy_check_flags_active_sites_still_at_example_org(trials_data):
    errors = [e for e in checks.run_checks(include_deployment_checks=True) if e.id == "trials.E001"]
    assert {e.msg.split("'")[1] for e in errors} == {
        "Severance Hospital",
        "Sun Yat-Sen Memorial Hospital of Sun Yat-Sen University",
    }
    Site.objects.filter(facility_en="Severance Hospital").update(team_email="leukemia-team@hospital.test")
    Site.objects.filter(city_en="Guangzhou").update(is_active=False)
    assert not [e for e in checks.run_checks(include_deployment_checks=True) if e.id == "trials.E001"]


def test_deploy_check_is_not_part_of_the_everyday_check(db, trials_data):
    assert not [e for e in checks.run_checks() if e.id == "trials.E001"]


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "EMAIL_", "DATABASE_URL"))}
    env.update(
        {
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x7Gq-2vLk9Rz_" + "Pf4Ws8Nt3Jm6Hb1Yc5Xd0Ue7Ka2Lo9Qi4Vr" * 2,
            "DJANGO_ALLOWED_HOSTS": "trials.example.org",
            "EMAIL_HOST": "smtp.example.org",
            "CLIENT_IP_HEADER": "HTTP_X_FORWARDED_FOR",
            "SITE_URL": "https://trials.example.org",
            "DATABASE_URL": "sqlite:////tmp/trialfinder-deploy-check.sqlite3",
            **extra,
        }
    )
    return env


def check_deploy(env, *, prepare=True):
    if prepare:
        subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True, timeout=120)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_prints_no_warning_with_real_values(tmp_path):
    # The table-level check above needs data; this one runs on an empty database
    # in a separate process, exactly as an operator would.
    result = check_deploy(production_env(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_the_client_address_header_is_missing_behind_a_proxy(tmp_path):
    result = check_deploy(production_env(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", CLIENT_IP_HEADER=""))
    assert result.returncode != 0
    assert "trials.W003" in result.stdout + result.stderr


def test_check_deploy_refuses_a_site_url_without_https(tmp_path):
    """Links to confirm and stop alerts come from SITE_URL; one-click unsubscribe needs https."""
    result = check_deploy(
        production_env(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", SITE_URL="http://trials.example.org")
    )
    assert result.returncode != 0
    assert "trials.E020" in result.stdout + result.stderr


def test_check_deploy_refuses_a_missing_rate_limit_table(tmp_path):
    result = check_deploy(production_env(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3"), prepare=False)
    assert result.returncode != 0
    assert "trials.E004" in result.stdout + result.stderr and "createcachetable" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_a_bad_boolean_fails_loudly():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=production_env(DJANGO_DEBUG="maybe"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be 0 or 1" in result.stderr
