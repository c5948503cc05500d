"""The container files: Dockerfile (hadolint), compose.yaml (the Compose Specification's JSON schema) and
deploy/Caddyfile, and that they say what the product needs (its CLI, its settings, its routes).

No Docker engine runs here, so nothing is built or started: the files are linted and read. hadolint and
check-jsonschema (which ships the Compose Specification's schema) come with the dev extra; without them
the lint tests skip, except under CI=true, where they must run.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from api.routes.health import router as health_router
from api.routes.widget_pages import WIDGET_DIR
from core.settings import Settings, check_start
from faqdesk.cli import app as cli

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
APP_SERVICES = {"app1", "app2"}
# What an operator's .env holds; compose refuses to start without the first two.
SAMPLE_ENV = {"FAQDESK_SECRET_KEY": "k" * 48, "POSTGRES_PASSWORD": "pg-password_1"}

BROKEN_DOCKERFILES = {
    "no FROM": 'RUN pip install --no-cache-dir "flask==3.0.0"\nCMD ["flask"]\n',
    "unpinned pip install": 'FROM python:3.11-slim-bookworm\nRUN pip install flask\nCMD ["flask"]\n',
}
BROKEN_COMPOSE = {
    "unknown service key": "services:\n  app:\n    image: faqdesk:local\n    restartt: always\n",
    "ports as a mapping": "services:\n  app:\n    image: faqdesk:local\n    ports: {http: 8000}\n",
    "unknown depends_on condition": (
        "services:\n  db:\n    image: postgres:16\n  app:\n    image: faqdesk:local\n"
        "    depends_on:\n      db: {condition: service_ready}\n"
    ),
}


def tool(name: str) -> str:
    """A linter of the dev extra: beside this Python, or on PATH; required under CI=true."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        message = f"{name} is not installed (pip install -e '.[dev]')"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def hadolint(text: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """hadolint on a Dockerfile's text; any finding, down to style and info, fails."""
    return subprocess.run(
        [tool("hadolint"), "--no-color", "--failure-threshold", "info", "-"],
        input=text,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def check_compose_schema(path: Path) -> subprocess.CompletedProcess[str]:
    """The Compose Specification's JSON schema as vendored (and kept current) by check-jsonschema."""
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "name, text",
    [("Dockerfile", None), *BROKEN_DOCKERFILES.items()],
    ids=["Dockerfile", *BROKEN_DOCKERFILES],
)
def test_hadolint_passes_the_dockerfile_and_fails_broken_ones(name: str, text: str | None, tmp_path: Path) -> None:
    result = hadolint(DOCKERFILE.read_text() if text is None else text, tmp_path)
    if text is None:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert result.returncode != 0 and re.search(r"DL\d{4}", result.stdout), f"{name} passed hadolint"


@pytest.mark.parametrize(
    "name, text",
    [("compose.yaml", None), *BROKEN_COMPOSE.items()],
    ids=["compose.yaml", *BROKEN_COMPOSE],
)
def test_compose_file_follows_the_compose_specification(name: str, text: str | None, tmp_path: Path) -> None:
    path = COMPOSE
    if text is not None:
        path = tmp_path / "compose.yaml"
        path.write_text(text)
    result = check_compose_schema(path)
    if text is None:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert result.returncode != 0 and "services" in result.stdout, f"{name} passed the schema"


# --- The Dockerfile says what the product needs ---------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#")))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def final_stage(steps: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (keyword, _) in enumerate(steps) if keyword == "FROM"]
    return steps[starts[-1] :]


def test_dockerfile_installs_and_runs_the_product_as_scripts_do() -> None:
    steps = instructions(DOCKERFILE.read_text())
    bases = [args.split()[0] for keyword, args in steps if keyword == "FROM"]
    assert bases and set(bases) == {"python:3.11-slim-bookworm"}
    final = final_stage(steps)
    users = [args for keyword, args in final if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert ("EXPOSE", "8000") in final
    assert ("CMD", '["faqdesk", "serve", "--host", "0.0.0.0"]') in final
    env = " ".join(args for keyword, args in final if keyword == "ENV")
    for setting in ("HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1", "FAQDESK_DATA_DIR=/data"):
        assert setting in env.split(), setting
    # torch is installed first, from the CPU index, at the version pyproject.toml pins.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    torch_pin = next(dep for dep in project["project"]["dependencies"] if dep.startswith("torch=="))
    runs = [args for keyword, args in steps if keyword == "RUN"]
    torch_run = next(i for i, args in enumerate(runs) if "torch" in args)
    assert f'"{torch_pin}"' in runs[torch_run] and "download.pytorch.org/whl/cpu" in runs[torch_run]
    assert any("pip install --no-cache-dir ." in args for args in runs[torch_run + 1 :])


def test_dockerfile_copies_what_the_wheel_and_the_server_need() -> None:
    steps = instructions(DOCKERFILE.read_text())
    copies = [args.split() for keyword, args in steps if keyword == "COPY" and not args.startswith("--from")]
    sources = {source.rstrip("/") for *sources, _ in copies for source in sources}
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
        assert source not in ignored, f"COPY {source}: excluded by .dockerignore"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert set(packages) <= sources, "a package of the wheel is not copied into the builder"
    assert {"pyproject.toml", project["project"]["readme"], "training_data"} <= sources
    # widget/ is not in the wheel: api/routes/widget_pages.py looks for it beside the installed packages.
    widget = str(WIDGET_DIR.relative_to(ROOT))
    site_packages = "/opt/venv/lib/python3.11/site-packages"
    assert [widget, f"{site_packages}/{widget}"] in copies
    # The health check asks a route the app has.
    check = next(args for keyword, args in final_stage(steps) if keyword == "HEALTHCHECK")
    path = re.search(r"http://127\.0\.0\.1:8000(/\w+)", check)
    assert path and path.group(1) in {route.path for route in health_router.routes}  # type: ignore[attr-defined]


# --- compose.yaml and the Caddyfile say what the product needs -------------------------------------------


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error} over a loaded document."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        if env.get(name):
            return env[name]
        if op == ":?":
            raise KeyError(f"{name}: {arg}")
        return arg if op == ":-" else ""

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


def compose(env: dict[str, str] | None = None) -> dict[str, Any]:
    document = YAML(typ="safe").load(COMPOSE.read_text())
    return {
        k: v for k, v in interpolate(document, SAMPLE_ENV if env is None else env).items() if not k.startswith("x-")
    }


def test_compose_refuses_to_start_without_the_secrets() -> None:
    for missing in SAMPLE_ENV:
        with pytest.raises(KeyError, match=missing):
            compose({name: value for name, value in SAMPLE_ENV.items() if name != missing})


def test_compose_runs_the_topology_of_the_deployment_docs() -> None:
    doc = compose()
    services = doc["services"]
    assert set(services) == APP_SERVICES | {"migrate", "worker", "postgres", "redis", "caddy"}
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on {dependency}, not a service"
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in doc["volumes"], f"{name}: volume {source} is not declared"
        for network in service.get("networks", []):
            assert network in doc["networks"], f"{name}: network {network} is not declared"
    assert services["postgres"]["image"] == "postgres:16" and services["redis"]["image"] == "redis:7"
    assert services["caddy"]["image"] == "caddy:2"
    assert "test" in services["postgres"]["healthcheck"]
    # Schema changes happen once, before any app server or the worker starts.
    for name in APP_SERVICES | {"worker"}:
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    # No app server shares its data directory (a per-machine cache) with another.
    data_volumes = [next(m.split(":")[0] for m in services[n]["volumes"] if m.endswith(":/data")) for n in APP_SERVICES]
    assert len(set(data_volumes)) == len(APP_SERVICES)
    # The database and Redis are reachable from inside only.
    for name in ("postgres", "redis"):
        assert not services[name].get("ports")
        assert all(doc["networks"][network].get("internal") for network in services[name]["networks"])


def test_compose_commands_are_faqdesk_commands() -> None:
    services = compose()["services"]
    commands = {name: services[name]["command"] for name in (*sorted(APP_SERVICES), "worker")}
    assert all(commands[name][:2] == ["faqdesk", "serve"] and "--no-worker" in commands[name] for name in APP_SERVICES)
    assert commands["worker"] == ["faqdesk", "worker"]
    for name, command in commands.items():
        # Options are parsed before --help is acted on: an unknown one exits 2.
        result = CliRunner().invoke(cli, [*command[1:], "--help"])
        assert result.exit_code == 0, f"{name}: {' '.join(command)}: {result.output}"


def test_the_migration_service_brings_a_database_to_head(tmp_path: Path) -> None:
    command = compose()["services"]["migrate"]["command"]
    assert command[:2] == ["python", "-c"]
    database = tmp_path / "faqdesk.db"
    env = {**os.environ, "FAQDESK_DATABASE_URL": f"sqlite:///{database}", "FAQDESK_DATA_DIR": str(tmp_path)}
    subprocess.run([sys.executable, "-c", command[2]], env=env, cwd=tmp_path, check=True, timeout=120)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone()


@pytest.mark.parametrize("name", [*sorted(APP_SERVICES), "worker"])
def test_compose_settings_pass_the_production_check(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    doc = compose()
    environment = doc["services"][name]["environment"]
    for key in list(os.environ):
        if key.startswith("FAQDESK_"):
            monkeypatch.delenv(key)
    for key, value in environment.items():
        monkeypatch.setenv(key, str(value))
    monkeypatch.chdir(tmp_path)  # no stray .env
    settings = Settings()
    assert settings.env == "production" and settings.production_problems() == []
    check_start(settings)
    assert settings.secret_key == SAMPLE_ENV["FAQDESK_SECRET_KEY"] and str(settings.data_dir) == "/data"
    database = urlsplit(settings.database_url)
    assert database.scheme == "postgresql+psycopg" and database.hostname == "postgres"
    postgres = doc["services"]["postgres"]["environment"]
    assert database.username == postgres["POSTGRES_USER"] and database.path == f"/{postgres['POSTGRES_DB']}"
    assert database.password == SAMPLE_ENV["POSTGRES_PASSWORD"] == postgres["POSTGRES_PASSWORD"]
    assert urlsplit(settings.rate_limit_storage).hostname == "redis"
    # X-Forwarded-For is believed from Caddy's network only, and Caddy is on that network alone.
    edge = [ipaddress.ip_network(c["subnet"]) for c in doc["networks"]["edge"]["ipam"]["config"]]
    assert [ipaddress.ip_network(ip) for ip in settings.forwarded_allow_ips] == edge
    assert doc["services"]["caddy"]["networks"] == ["edge"]


def caddy_upstreams(caddyfile: str) -> list[str]:
    match = re.search(r"^\s*reverse_proxy\s+([^{\n]+)", caddyfile, re.MULTILINE)
    return match.group(1).split() if match else []


def test_caddy_proxies_to_every_app_server_and_checks_a_real_route() -> None:
    services = compose()["services"]
    mounts = [m.split(":") for m in services["caddy"]["volumes"]]
    source = next(m[0] for m in mounts if m[1] == "/etc/caddy/Caddyfile")
    caddyfile = (ROOT / source).read_text()
    upstreams = {
        f"{name}:{services[name]['command'][services[name]['command'].index('--port') + 1]}" for name in APP_SERVICES
    }
    assert set(caddy_upstreams(caddyfile)) == upstreams
    health = re.search(r"^\s*health_uri\s+(\S+)", caddyfile, re.MULTILINE)
    assert health and health.group(1) in {route.path for route in health_router.routes}  # type: ignore[attr-defined]
    # The site address is the operator's domain: automatic HTTPS.
    assert re.search(r"^\{\$FAQDESK_DOMAIN(:[^}]*)?\}\s*\{", caddyfile, re.MULTILINE)
    assert "FAQDESK_DOMAIN" in services["caddy"]["environment"]
    # Prometheus scrapes the app servers directly; the public address does not serve /metrics.
    assert re.search(r"^\s*respond\s+/metrics\s+404\s*$", caddyfile, re.MULTILINE)
    assert not caddy_upstreams("localhost {\n\trespond 200\n}\n")


def test_dockerignore_keeps_secrets_and_local_data_out_of_the_image() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".env", ".git", ".venv", "var"} <= ignored
