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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import yaml

from app.main import create_app
from tests.conftest import REPO_ROOT, DatabaseFactory, make_settings
from tests.support.cluster import ClusterUnavailableError, ThrowawayCluster
from tests.support.server import free_port, wait_until_ready
from tests.test_auth import PASSWORD, bearer
from tests.training.conftest import session_body

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
    assert set(services) == {"db", "migrate", "api", "redis"}
    # The limiter's counters live in Redis, which the API waits for and nothing publishes.
    assert services["api"]["environment"]["SPOTTER_REDIS_URL"] == "redis://redis:6379/0"
    assert services["api"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "redis-cli" in " ".join(services["redis"]["healthcheck"]["test"])
    assert "ports" not in services["redis"]
    db = services["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert db["volumes"] == [
        "pgdata:/var/lib/postgresql/data",
        "./docker/postgres:/docker-entrypoint-initdb.d:ro",
    ]
    assert "pgdata" in compose["volumes"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    assert services["api"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    raw = COMPOSE_FILE.read_text()
    # Required secrets have no defaults: compose refuses to start without them.
    required = ("POSTGRES_PASSWORD", "SPOTTER_SECRET_KEY", *ROLE_PASSWORDS)
    example = (REPO_ROOT / ".env.example").read_text()
    for name in required:
        assert "${" + name + ":?" in raw, name
        assert f"\n{name}=" in example, name


ROLE_PASSWORDS = ("SPOTTER_DB_OWNER_PASSWORD", "SPOTTER_DB_APP_PASSWORD")
# What the postgres image's entrypoint needs to prepare its folders and drop to its user.
POSTGRES_ENTRYPOINT_CAPABILITIES = {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"}
CONTAINER_TMP = "/tmp"  # noqa: S108 - a path inside the containers, not here


def test_compose_runs_each_service_with_least_privilege() -> None:
    services = load_compose()["services"]
    for name, service in services.items():
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["cap_drop"] == ["ALL"], name
        assert service["read_only"] is True, name
        assert CONTAINER_TMP in {str(mount).split(":", 1)[0] for mount in service["tmpfs"]}, name
        assert set(service.get("cap_add", [])) <= POSTGRES_ENTRYPOINT_CAPABILITIES, name
    assert "cap_add" not in services["api"]
    assert "cap_add" not in services["migrate"]
    # The API connects as the role that may only read and write rows; the migration job as
    # the schema's owner; neither as the server's superuser.
    api_url = services["api"]["environment"]["DATABASE_URL"]
    migrate_url = services["migrate"]["environment"]["DATABASE_URL"]
    assert api_url.startswith("postgresql://spotter_app:${SPOTTER_DB_APP_PASSWORD:?")
    assert migrate_url.startswith("postgresql://spotter_owner:${SPOTTER_DB_OWNER_PASSWORD:?")
    db_environment = services["db"]["environment"]
    assert db_environment["POSTGRES_USER"] not in {"spotter_app", "spotter_owner"}
    assert set(ROLE_PASSWORDS) <= set(db_environment)


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


# --------------------------------------------------------------------------- database roles

ROLES_SCRIPT = REPO_ROOT / "docker" / "postgres" / "spotter-roles.psql"
INIT_SCRIPT = REPO_ROOT / "docker" / "postgres" / "10-spotter-roles.sh"


@pytest.fixture(scope="module")
def roles_cluster() -> Iterator[ThrowawayCluster]:
    """A cluster of the module's own: creating roles is a server-wide change the shared
    server must never see."""
    try:
        cluster = ThrowawayCluster()
    except ClusterUnavailableError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no throwaway PostgreSQL cluster: {exc}")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def psql(cluster: ThrowawayCluster, user: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(cluster.bindir / "psql"), "--no-psqlrc", "-h", "127.0.0.1", "-p", str(cluster.port),
         "-U", user, "-d", "spotter", "-v", "ON_ERROR_STOP=1", *arguments],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_init_script_passes_what_the_roles_script_reads() -> None:
    script = INIT_SCRIPT.read_text()
    assert INIT_SCRIPT.stat().st_mode & 0o111, "the image sources, not runs, a non-executable .sh"
    assert "/docker-entrypoint-initdb.d/spotter-roles.psql" in script
    variables = set(re.findall(r":['\"](\w+)['\"]", ROLES_SCRIPT.read_text()))
    assert variables == {"database", "owner_password", "app_password"}
    for variable in variables:
        assert f"-v {variable}=" in script, variable


@pytest.fixture(scope="module")
def roles_database(roles_cluster: ThrowawayCluster) -> tuple[str, str]:
    """The database as compose builds it: the roles script applied by the superuser, then the
    migration job, exactly as compose runs it, as the owner. Yields (owner URL, app URL)."""
    cluster = roles_cluster
    created = subprocess.run(
        [str(cluster.bindir / "psql"), "--no-psqlrc", cluster.maintenance_url,
         "-c", "CREATE DATABASE spotter"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    applied = psql(
        cluster, "postgres",
        "-v", "database=spotter", "-v", "owner_password=owner-secret",
        "-v", "app_password=app-secret", "-f", str(ROLES_SCRIPT),
    )  # fmt: skip
    assert applied.returncode == 0, applied.stderr
    owner_url = f"postgresql://spotter_owner@127.0.0.1:{cluster.port}/spotter"
    migrate = subprocess.run(
        _exec_form(load_compose()["services"]["migrate"]["command"]),
        env={**os.environ, "DATABASE_URL": owner_url, "SPOTTER_ENVIRONMENT": "test"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-2000:]
    return owner_url, f"postgresql://spotter_app@127.0.0.1:{cluster.port}/spotter"


@pytest.mark.slow
async def test_the_api_role_reads_and_writes_rows(roles_database: tuple[str, str]) -> None:
    # Content loaded by the owner, an account, a sign-in, a session and the rate limiter's
    # counters: every kind of write the API makes, as the app role.
    _, app_url = roles_database
    app = create_app(make_settings(app_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.3", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            assert (await http.get("/readyz")).status_code == 200
            exercises = await http.get("/v1/exercises")
            assert exercises.status_code == 200
            assert exercises.json()["items"], "the content was loaded by the owner"
            account = {"email": "roles@example.com", "password": PASSWORD}
            assert (await http.post("/v1/auth/register", json=account)).status_code == 201
            tokens = await http.post("/v1/auth/token", json=account)
            assert tokens.status_code == 200
            session = await http.post(
                "/v1/me/sessions",
                json=session_body(),
                headers=bearer(tokens.json()["access_token"]),
            )
            assert session.status_code == 201, session.text
            assert "ratelimit" in session.headers


@pytest.mark.slow
def test_the_api_role_cannot_change_the_schema(
    roles_cluster: ThrowawayCluster, roles_database: tuple[str, str]
) -> None:
    cluster = roles_cluster
    row_rights = psql(
        cluster, "spotter_app", "-c",
        "UPDATE rate_limit_state SET tat = tat; DELETE FROM rate_limit_state WHERE key = 'x'",
    )  # fmt: skip
    assert row_rights.returncode == 0, row_rights.stderr
    for statement in (
        "CREATE TABLE intruder (id int)",
        "CREATE TEMPORARY TABLE intruder (id int)",
        "CREATE SCHEMA intruder",
        "DROP TABLE rate_limit_state",
        "DROP TABLE exercise CASCADE",
        "ALTER TABLE user_account ADD COLUMN intruder int",
        "TRUNCATE rate_limit_state",
        "CREATE INDEX intruder ON user_account (id)",
        "CREATE ROLE intruder",
        "CREATE DATABASE intruder",
        # The migration record is the migrator's alone: rewriting it would make the next
        # deploy skip (or re-run) migrations.
        "UPDATE alembic_version SET version_num = 'skipped'",
        "DELETE FROM alembic_version",
        "INSERT INTO alembic_version VALUES ('skipped')",
    ):
        refused = psql(cluster, "spotter_app", "-c", statement)
        assert refused.returncode != 0, statement
        assert "permission denied" in refused.stderr or "must be owner" in refused.stderr, (
            statement,
            refused.stderr,
        )
    # The owner, on the other hand, can change its schema (a later migration) ...
    altered = psql(cluster, "spotter_owner", "-c", "CREATE TABLE later (id int); DROP TABLE later")
    assert altered.returncode == 0, altered.stderr
    # ... and neither role is a superuser.
    flags = psql(cluster, "postgres", "-At", "-c", "SELECT rolsuper, rolcreaterole, rolcreatedb "
                 "FROM pg_roles WHERE rolname IN ('spotter_owner', 'spotter_app')")  # fmt: skip
    assert flags.stdout.split() == ["f|f|f", "f|f|f"]
