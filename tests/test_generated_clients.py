"""Generated clients, kept working (issue 11): a Python client from openapi-python-client and a
TypeScript one from openapi-typescript + openapi-fetch, both generated from the live server's
OpenAPI document with no options, must generate without a warning, type-check strictly
(mypy --strict, tsc --strict) and run the same integration flow (clients/*/flow.*).

The generated code goes to clients/python/.generated/ and clients/typescript/.generated/, both
git-ignored. The npm packages come from clients/typescript/package-lock.json through `npm ci`.
Without node or npm the TypeScript test is skipped, except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO_ROOT, DatabaseFactory, loaded_database
from tests.support.server import wait_until_ready
from tests.test_serving import server_env, serving

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
PYTHON_CLIENT = REPO_ROOT / "clients" / "python"
TYPESCRIPT_CLIENT = REPO_ROOT / "clients" / "typescript"
# Generous for a busy 2-core machine; each step takes seconds on a quiet one.
STEP_TIMEOUT_S = 300
# An API key's quota is 3 requests per 2 s, so the flows' last step meets a 429 within a few
# requests and waits about a second; every other quota is far above what the flows send.
QUOTAS = {
    "SPOTTER_RATE_LIMIT_KEY": "3",
    "SPOTTER_RATE_LIMIT_KEY_WINDOW_S": "2",
    "SPOTTER_RATE_LIMIT_ANONYMOUS": "100000",
    "SPOTTER_RATE_LIMIT_USER": "100000",
}
# What would make a flow pass without being typed: casts, `any`, suppressed errors.
PYTHON_ESCAPES = re.compile(r"\bcast\(|type:\s*ignore|\bAny\b")
TYPESCRIPT_ESCAPES = re.compile(r"\bas\b|\bany\b|@ts-(ignore|expect-error|nocheck)")
TYPESCRIPT_COMMENTS_AND_STRINGS = re.compile(
    r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|`(?:\\.|[^`\\])*`", re.DOTALL
)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (Node.js 20 with npm runs the TypeScript client)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{message}; required under CI=true")
    pytest.skip(message)


def _run(
    command: list[str], cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion; fail with everything it printed if it fails."""
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def _flow_passed(result: subprocess.CompletedProcess[str], language: str) -> None:
    # Shown with -s or when the test fails: one line per step.
    sys.stdout.write(result.stdout)
    lines = result.stdout.splitlines()
    assert lines, f"the {language} flow printed nothing"
    assert lines[-1] == f"{language} flow: every step passed", result.stdout + result.stderr
    assert result.stderr == "", result.stderr


@pytest.fixture(scope="module")
def live_server(database_factory: DatabaseFactory) -> Iterator[str]:
    # A database of its own: the flows commit accounts and sessions that other tests' shared
    # database should not see.
    url = loaded_database(database_factory)
    with serving({**server_env(url), **QUOTAS}) as (base, process, _output):
        wait_until_ready(base, process, timeout_s=120)
        yield base


@pytest.fixture(scope="module")
def openapi_document(live_server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    response = httpx.get(f"{live_server}/openapi.json", timeout=30)
    assert response.status_code == 200
    path = tmp_path_factory.mktemp("openapi") / "openapi.json"
    path.write_bytes(response.content)
    return path


def test_the_python_client_generates_cleanly_and_runs_the_flow(
    live_server: str, openapi_document: Path, tmp_path: Path
) -> None:
    generated = PYTHON_CLIENT / ".generated"
    shutil.rmtree(generated, ignore_errors=True)
    # The generator formats its output with ruff, found on PATH: the environment's own.
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    generation = _run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(openapi_document),
            "--output-path",
            str(generated),
        ],
        cwd=REPO_ROOT,
        env={"PATH": path},
    )
    printed = (generation.stdout + generation.stderr).strip().splitlines()
    assert printed == [f"Generating {generated}"], "\n".join(printed)

    flow = PYTHON_CLIENT / "flow.py"
    escape = PYTHON_ESCAPES.search(flow.read_text(encoding="utf-8"))
    assert escape is None, f"flow.py uses {escape[0]!r}"
    _run(
        [
            str(BIN / "mypy"),
            "--strict",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            str(flow.relative_to(REPO_ROOT)),
        ],
        cwd=REPO_ROOT,
        env={"MYPYPATH": str(generated)},
    )
    result = _run(
        [sys.executable, str(flow)],
        cwd=PYTHON_CLIENT,
        env={"PYTHONPATH": str(generated), "FLOW_BASE_URL": live_server},
    )
    _flow_passed(result, "python")


def test_the_typescript_client_generates_cleanly_and_runs_the_flow(
    live_server: str, openapi_document: Path
) -> None:
    node, npm, npx = _tool("node"), _tool("npm"), _tool("npx")
    _run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=TYPESCRIPT_CLIENT)
    generated = TYPESCRIPT_CLIENT / ".generated"
    shutil.rmtree(generated, ignore_errors=True)
    schema = generated / "schema.d.ts"
    # --no: npx runs the locked package from node_modules and never installs another.
    generation = _run(
        [npx, "--no", "--", "openapi-typescript", str(openapi_document), "-o", str(schema)],
        cwd=TYPESCRIPT_CLIENT,
    )
    printed = (generation.stdout + generation.stderr).strip().splitlines()
    # Its banner and one line naming the output; a warning would be a third line.
    assert len(printed) == 2, "\n".join(printed)
    assert printed[0].startswith("✨ openapi-typescript"), printed
    assert printed[1].startswith("🚀"), printed
    assert "schema.d.ts" in printed[1], printed

    flow = TYPESCRIPT_CLIENT / "flow.ts"
    code = TYPESCRIPT_COMMENTS_AND_STRINGS.sub("", flow.read_text(encoding="utf-8"))
    escape = TYPESCRIPT_ESCAPES.search(code)
    assert escape is None, f"flow.ts uses {escape[0]!r}"
    # One strict compile is the type check and, with noEmitOnError, the build of flow.js.
    _run(
        [npx, "--no", "--", "tsc", "--strict", "--project", "tsconfig.json"], cwd=TYPESCRIPT_CLIENT
    )
    result = _run(
        [node, str(generated / "flow.js")],
        cwd=TYPESCRIPT_CLIENT,
        env={"FLOW_BASE_URL": live_server},
    )
    _flow_passed(result, "typescript")
