"""The systemd unit and the cron line of ``deploy/``: they run ``affsite serve`` where the nginx
site sends requests, with options and settings affsite accepts, hardened, and the cron line
works as written.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from affsite import create_app
from affsite.cli import cli

from .nginx import REPO, SITE

UNIT = REPO / "deploy" / "systemd" / "affsite.service"
CRON = REPO / "deploy" / "cron" / "affsite"
DOC = REPO / "docs" / "deploy.md"
INSTALL_DIR = "/srv/affsite"
DAILY_QUOTA = 5000  # the default daily quota (README)


def unit_entries(text: str) -> dict[str, list[str]]:
    """``Section.Key`` -> its values in order (systemd allows a key several times)."""
    entries: dict[str, list[str]] = {}
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return entries


def unit_environment(entries: dict[str, list[str]]) -> dict[str, str]:
    """The variables of the Environment= lines, unquoted as systemd does (shell-like words)."""
    words = [word for value in entries["Service.Environment"] for word in shlex.split(value)]
    return dict(word.split("=", 1) for word in words)


def upstream_address() -> str:
    found = re.search(r"upstream affsite \{[^}]*?server (\S+);", SITE.read_text())
    assert found, "no server in the upstream block"
    return found.group(1)


ENTRIES = unit_entries(UNIT.read_text())


def test_the_unit_runs_affsite_serve_where_nginx_sends_requests() -> None:
    (exec_start,) = ENTRIES["Service.ExecStart"]
    program, command, *args = shlex.split(exec_start)
    (working_directory,) = ENTRIES["Service.WorkingDirectory"]

    assert program == f"{working_directory}/.venv/bin/affsite"
    assert command == "serve"
    context = cli.commands["serve"].make_context("serve", args)  # affsite accepts them
    assert context.params["bind"] == upstream_address() == "127.0.0.1:8000"


def test_the_unit_gives_affsite_its_instance_and_proxy_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = unit_environment(ENTRIES)
    assert environment["AFFSITE_INSTANCE"] == f"{INSTALL_DIR}/instance"
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AFFSITE_INSTANCE", str(tmp_path / "instance"))

    app = create_app()

    assert app.config["PROXY_FIX"] == 1  # nginx sets X-Forwarded-For and -Proto
    assert app.config["PROXY_FIX_HOST"] == app.config["PROXY_FIX_PREFIX"] == 0
    assert app.config["PUBLIC_URL"] == "https://shop.example"  # no Vary: Host
    assert app.config["TRUSTED_HOSTS"] == ["shop.example"]
    assert app.config["HTTPS"] is True


def test_the_unit_is_hardened() -> None:
    def value(key: str) -> str:
        (found,) = ENTRIES[f"Service.{key}"]
        return found

    assert value("User") == value("Group") == "affsite"
    assert value("NoNewPrivileges") == "yes"
    assert value("ProtectSystem") == "strict"
    # The only place it may write (besides a private /tmp) is its instance folder.
    assert value("ReadWritePaths") == unit_environment(ENTRIES)["AFFSITE_INSTANCE"]
    assert value("PrivateTmp") == value("ProtectHome") == "yes"
    assert value("Restart") == "on-failure"
    assert value("CapabilityBoundingSet") == ""
    assert value("UMask") == "0077"


@pytest.fixture
def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install systemd)")
    return found


def test_systemd_accepts_the_unit_and_rates_it_safe(systemd_analyze: str, tmp_path: Path) -> None:
    # ExecStart must name an existing program: this checkout's own affsite.
    affsite = Path(sys.executable).with_name("affsite")
    if not affsite.exists():
        pytest.skip(f"{affsite} is not installed")
    unit = tmp_path / "affsite.service"
    unit.write_text(UNIT.read_text().replace(f"{INSTALL_DIR}/.venv/bin/affsite", str(affsite)))

    verified = subprocess.run(
        [systemd_analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    rated = subprocess.run(
        [systemd_analyze, "security", "--offline=yes", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert verified.returncode == 0, verified.stderr
    assert verified.stderr == verified.stdout == ""  # not even an ignored line
    found = re.search(r"Overall exposure level for affsite.service: ([\d.]+) (\w+)", rated.stdout)
    assert found, rated.stdout + rated.stderr
    print(f"systemd-analyze security: {found.group(1)} {found.group(2)}")
    assert float(found.group(1)) < 3.0
    assert found.group(2) == "OK"


def cron_file() -> tuple[dict[str, str], list[str]]:
    """The cron.d file's variables and its one job's fields (minute ... user, command)."""
    variables: dict[str, str] = {}
    jobs = []
    for line in CRON.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, equals, value = line.partition("=")
        if equals and re.fullmatch(r"[A-Z_]+", name):
            variables[name] = value
        else:
            jobs.append(line.split(None, 6))
    (job,) = jobs
    return variables, job


def test_the_cron_job_runs_refresh_as_the_service_does_within_the_quota() -> None:
    variables, (minute, hour, day, month, weekday, user, command) = cron_file()
    refresh, _pipe, log = command.rsplit(" && ", 1)[1].partition(" | ")
    argv = [word for word in shlex.split(refresh) if ">" not in word]
    every = re.fullmatch(r"\*/(\d+)", minute)

    assert variables["AFFSITE_INSTANCE"] == unit_environment(ENTRIES)["AFFSITE_INSTANCE"]
    assert [user] == ENTRIES["Service.User"]
    assert command.startswith(f"cd {INSTALL_DIR} && ")
    assert argv[:2] == [".venv/bin/affsite", "refresh"]
    assert log.startswith("logger ")
    context = cli.commands["refresh"].make_context("refresh", argv[2:])
    # Every run spending its whole budget still leaves most of the day's quota to visitors.
    assert every and (hour, day, month, weekday) == ("*", "*", "*", "*")
    runs_a_day = 24 * 60 // int(every.group(1))
    assert runs_a_day * context.params["budget"] <= DAILY_QUOTA // 2


@pytest.mark.slow
def test_the_cron_command_runs_as_written(tmp_path: Path) -> None:
    # The job's command with the install folder and the optional environment file moved into
    # tmp_path, and `logger` (the system log) replaced by one that writes to a file: the
    # environment file is read (it moves the cache folder) and refresh reports to the log.
    variables, job = cron_file()
    install = tmp_path / "srv"
    (install / ".venv" / "bin").mkdir(parents=True)
    (install / ".venv" / "bin" / "affsite").symlink_to(Path(sys.executable).with_name("affsite"))
    env_file = tmp_path / "env"
    env_file.write_text(f"AFFSITE_CACHE_DIR={tmp_path / 'cache-from-env'}\n")
    system_log = tmp_path / "syslog"
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "logger").write_text(f'#!/bin/sh\necho "$@" >> {system_log}\ncat >> {system_log}\n')
    (tools / "logger").chmod(0o755)
    command = job[6].replace(INSTALL_DIR, str(install)).replace("/etc/affsite/env", str(env_file))
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
    environment.update(variables, AFFSITE_INSTANCE=str(tmp_path / "instance"))
    environment["PATH"] = f"{tools}:{variables['PATH']}"

    done = subprocess.run(
        [variables["SHELL"], "-c", command],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == done.stderr == ""  # nothing for cron to mail
    assert (tmp_path / "cache-from-env").is_dir()
    logged = system_log.read_text()
    assert logged.startswith("-t affsite-refresh\n")
    assert "Refreshed 0 product(s)" in logged


def test_the_guide_names_every_deploy_file() -> None:
    guide = DOC.read_text()
    shipped = sorted(
        str(path.relative_to(REPO)) for path in (REPO / "deploy").rglob("*") if path.is_file()
    )
    assert shipped, "nothing in deploy/"
    for name in shipped:
        assert f"`{name}`" in guide, f"docs/deploy.md does not mention {name}"
    for named in re.findall(r"`(deploy/[^`\s]+)`", guide):
        assert (REPO / named).is_file(), f"docs/deploy.md names {named}, which does not exist"


def test_the_guides_sed_command_fills_in_every_placeholder_of_the_site() -> None:
    guide = DOC.read_text()
    command = re.search(r"\nsed (-e .*?) \\\n\s+deploy/nginx/affsite\.conf \|", guide, re.DOTALL)
    assert command, "docs/deploy.md has no sed command for deploy/nginx/affsite.conf"
    expressions = re.findall(r"-e '([^']+)'", command.group(1))

    rendered = subprocess.run(
        ["sed", *(arg for e in expressions for arg in ("-e", e)), str(SITE)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout

    assert "@" not in rendered
    assert "server_name YOUR.HOST.NAME;" in rendered
    assert "ssl_certificate /etc/letsencrypt/live/YOUR.HOST.NAME/fullchain.pem;" in rendered
    assert "ssl_certificate_key /etc/letsencrypt/live/YOUR.HOST.NAME/privkey.pem;" in rendered
