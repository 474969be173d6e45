"""The container files: compose validity, image shape, and the entrypoint steps run for real.

No Docker engine runs in CI, so the test runs the exact commands the compose services and
the image's HEALTHCHECK would run, against PostgreSQL, and checks the files' structure.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from tests.conftest import REPO_ROOT, DatabaseFactory
from tests.support.server import free_port, wait_until_ready

COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
BIN_DIR = Path(sys.executable).parent


def load_compose() -> dict[str, Any]:
    compose: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return compose


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_compose_file_matches_the_compose_specification(shared_dir: Path) -> None:
    schema = json.loads((shared_dir / "data" / "compose-spec" / "compose-spec.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(load_compose()), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


def test_compose_schema_rejects_a_broken_file(shared_dir: Path) -> None:
    # Guards the test above: the validator must actually see problems when there are some.
    schema = json.loads((shared_dir / "data" / "compose-spec" / "compose-spec.json").read_text())
    broken = load_compose()
    broken["services"]["api"]["depends_on"]["migrate"]["condition"] = "service_finished"
    broken["services"]["db"]["healthcheck"]["interval"] = []
    assert len(list(jsonschema.Draft7Validator(schema).iter_errors(broken))) >= 2


def test_compose_wiring() -> None:
    compose = load_compose()
    services = compose["services"]
    assert set(services) == {"db", "migrate", "api"}
    db = services["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert db["volumes"] == ["pgdata:/var/lib/postgresql/data"]
    assert "pgdata" in compose["volumes"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    raw = COMPOSE_FILE.read_text()
    # Required secrets have no defaults: compose refuses to start without them.
    assert "${POSTGRES_PASSWORD:?" in raw
    assert "${SPOTTER_SECRET_KEY:?" in raw
    example = (REPO_ROOT / ".env.example").read_text()
    assert "POSTGRES_PASSWORD=" in example
    assert "SPOTTER_SECRET_KEY=" in example


def test_dockerfile_shape() -> None:
    instructions = dockerfile_instructions()
    froms = [args for keyword, args in instructions if keyword == "FROM"]
    assert len(froms) >= 2, "expected a multi-stage build"
    assert all("slim" in args or args.startswith("${PYTHON_IMAGE}") for args in froms)
    final_stage = instructions[max(i for i, (k, _) in enumerate(instructions) if k == "FROM") :]
    users = [args for keyword, args in final_stage if keyword == "USER"]
    assert users, "the final stage must name its user"
    assert not users[-1].startswith(("root", "0")), "the image must not run as root"
    final_runs = " ".join(args for keyword, args in final_stage if keyword == "RUN")
    for tool in ("uv ", "pip install", "gcc", "build-essential", "apt-get install"):
        assert tool not in final_runs, f"{tool!r} belongs in the builder stage"
    assert any(k == "HEALTHCHECK" and "urllib.request" in a for k, a in final_stage)
    assert "uv sync --locked" in " ".join(a for k, a in instructions if k == "RUN")


def _exec_form(command: str | list[str]) -> list[str]:
    argv = json.loads(command) if isinstance(command, str) else list(command)
    # In the image `spotter` is on PATH from /app/.venv/bin; here it is this venv's.
    return [str(BIN_DIR / argv[0]), *argv[1:]] if argv[0] == "spotter" else argv


@pytest.mark.slow
def test_container_entrypoint_steps(database_factory: DatabaseFactory) -> None:
    """migrate (the compose job), then serve with several workers (the image's CMD)."""
    compose = load_compose()
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_factory(),
        "SPOTTER_ENVIRONMENT": "production",
        "SPOTTER_SECRET_KEY": secrets.token_urlsafe(48),
        "SPOTTER_HOST": "127.0.0.1",
        "SPOTTER_PORT": str(port),
    }
    migrate = subprocess.run(
        _exec_form(compose["services"]["migrate"]["command"]),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr

    cmd = next(args for keyword, args in dockerfile_instructions() if keyword == "CMD")
    serve_argv = _exec_form(cmd)
    assert serve_argv[1:] == compose["services"]["api"]["command"][1:], "compose and image disagree"
    assert int(serve_argv[serve_argv.index("--workers") + 1]) >= 2
    server = subprocess.Popen(
        serve_argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_ready(base, server, timeout_s=30)
        for path in ("/healthz", "/readyz", "/openapi.json", "/docs", "/v1"):
            assert httpx.get(base + path, timeout=5).status_code == 200, path

        healthcheck = next(
            args for keyword, args in dockerfile_instructions() if keyword == "HEALTHCHECK"
        )
        probe = json.loads(healthcheck[healthcheck.index("CMD") + 3 :].strip())
        assert probe[0] == "python"
        result = subprocess.run([sys.executable, *probe[1:]], env=env, timeout=10, check=False)
        assert result.returncode == 0, (
            "the image's HEALTHCHECK command failed against a healthy server"
        )
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines, "expected JSON log lines"
    # Several worker processes really served: uvicorn logs one start-up per worker.
    started = {
        line.get("message")
        for line in lines
        if "Started server process" in str(line.get("message"))
    }
    assert len(started) >= 2, shlex.join(serve_argv)
