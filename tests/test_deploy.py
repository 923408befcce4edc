"""The deployment files (deploy/) are what docs/deploy.md shows, name every setting the
server reads, and are accepted by Debian's nginx (issue #20 point 1)."""

import re
import subprocess
from pathlib import Path

import pytest

from bench.proxy import nginx_binary, nginx_conf
from server import config

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SHOWN = ("systemd/lianxin-web.service", "systemd/lianxin-jobs.service", "nginx/lianxin.conf")


@pytest.mark.parametrize("name", SHOWN)
def test_the_docs_show_each_deploy_file_as_it_is(name):
    docs = (ROOT / "docs" / "deploy.md").read_text()
    text = (DEPLOY / name).read_text()
    assert f"`deploy/{name}`" in docs
    assert f"\n{text}```" in docs, f"docs/deploy.md shows another deploy/{name}"


def _variables_the_server_reads():
    source = Path(config.__file__).read_text()
    names = set(re.findall(r'os\.environ(?:\.get\(|\[)"([A-Z_]+)"', source))
    names |= set(re.findall(r'_int_env\("([A-Z_]+)"', source))
    return names | set(config._SECRET_NAMES) | set(config.JOB_DEFAULTS)


def test_the_env_template_names_every_variable_the_server_reads():
    template = (DEPLOY / "lianxin.env.example").read_text()
    named = set(re.findall(r"^#? ?([A-Z_]+)[=\s(]", template, re.M))
    missing = sorted(_variables_the_server_reads() - named)
    assert missing == [], f"deploy/lianxin.env.example lacks {missing}"
    assert len(_variables_the_server_reads()) > 30  # the scan found the settings


def test_each_unit_loads_the_env_file_and_restarts():
    for name in ("lianxin-web.service", "lianxin-jobs.service"):
        text = (DEPLOY / "systemd" / name).read_text()
        assert "EnvironmentFile=/etc/lianxin/env" in text
        assert "Restart=always" in text and "WantedBy=multi-user.target" in text
    web = (DEPLOY / "systemd" / "lianxin-web.service").read_text()
    assert "--timeout 120" in web  # nginx's proxy_read_timeout (130 s) is longer


def nginx():
    found = nginx_binary()
    if found is None:
        pytest.fail("nginx not found: `make browser` installs Debian's nginx-light")
    return found


def site(directory, **given):
    return nginx_conf(directory, **given)


def test_debians_nginx_accepts_the_site(tmp_path):
    conf = site(tmp_path)
    checked = subprocess.run([nginx(), "-t", "-c", str(conf), "-p", str(tmp_path)],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr
