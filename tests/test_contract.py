"""Schemathesis over every operation of the OpenAPI document, against a real server process.

Each operation gets generated requests (valid and invalid); every answer must be documented
(status, content type, headers), match its schema, never be a 5xx, and invalid input must be
refused. Protected operations are exercised without credentials, so their 401s are checked too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import DatabaseFactory
from tests.support.server import free_port, wait_until_ready

SPOTTER = str(Path(sys.executable).parent / "spotter")


@pytest.fixture(scope="module")
def server(database_factory: DatabaseFactory) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_factory(),
        "SPOTTER_PORT": str(port),
        "SPOTTER_LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(  # our own command line, on loopback
        [SPOTTER, "serve", "--migrate", "--load-content"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _check_operation(
    operation: schemathesis.APIOperation[Any, Any, Any, Any], mode: schemathesis.GenerationMode
) -> None:
    @settings(
        max_examples=10,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case: schemathesis.Case[Any]) -> None:
        # Excluded: a well-formed slug that names nothing (`?equipment=spaceship`) is a 422
        # naming the allowed values, as the API promises; the schema cannot enumerate
        # database-driven values, so "schema-valid but rejected" is by design there.
        case.call_and_validate(timeout=10, excluded_checks=[positive_data_acceptance])

    check()


@pytest.mark.slow
@pytest.mark.parametrize(
    "mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)
def test_every_operation_honours_its_contract(
    server: str, mode: schemathesis.GenerationMode
) -> None:
    # Schemathesis's own pytest plugin does not run under pytest 9 yet, so the operations
    # are driven through its Python API: one hypothesis run per operation.
    schema = schemathesis.openapi.from_url(f"{server}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"an operation's schema cannot be read: {result.err()}")
            continue
        operation = result.ok()
        operations += 1
        try:
            _check_operation(operation, mode)
        except Unsatisfiable:
            # No input to make invalid (no parameters, no body): nothing to test negatively.
            assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
        except Exception as exc:  # every operation's failure is collected, then reported together
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:1500]}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)
