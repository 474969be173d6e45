"""Every success response in the OpenAPI document says what its body is and shows a real one.

The examples are answers of the app serving the curated content, captured by
scripts/capture_examples.py; re-capturing them here keeps them from drifting silently.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from capture_examples import capture, rendered
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.config import Settings
from app.main import create_app
from app.openapi_examples import EXAMPLES_DIR, example_name, stored_examples
from tests.conftest import DatabaseFactory, loaded_database

VAGUE = {"Successful Response", "Done.", ""}
DOCUMENT_URI = "urn:spotter:openapi"
REFRESH = "refresh them with `make openapi-examples`"


@pytest.fixture(scope="module")
def document(settings: Settings) -> dict[str, Any]:
    schema: dict[str, Any] = create_app(settings).openapi()
    return schema


def successes(document: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(operationId, status, pointer to the response, response) of every 2xx response."""
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith("2"):
                    escaped = path.replace("~", "~0").replace("/", "~1")
                    pointer = f"/paths/{escaped}/{method}/responses/{status}"
                    yield operation["operationId"], status, pointer, response


def test_every_success_says_what_its_body_is_and_shows_one(document: dict[str, Any]) -> None:
    with_examples = 0
    for operation_id, status, _, response in successes(document):
        where = f"{operation_id} {status}"
        assert response["description"] not in VAGUE, f"{where}: {response['description']!r}"
        if status == "204":
            assert "content" not in response, where
            assert "no body" in response["description"], where
            continue
        body = response["content"]["application/json"]
        assert "example" in body, f"{where} has no example"
        with_examples += 1
    assert with_examples >= 45


def test_every_example_matches_its_response_schema(document: dict[str, Any]) -> None:
    """Validated against the document itself, `$ref`s into its components resolved."""
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
    checked = 0
    for operation_id, _, pointer, response in successes(document):
        body = response.get("content", {}).get("application/json")
        if body is None:
            continue
        schema = {"$ref": f"{DOCUMENT_URI}#{pointer}/content/application~1json/schema"}
        validator = Draft202012Validator(
            schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        errors = [
            f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body["example"])
        ]
        assert not errors, f"{operation_id}: {errors}"
        checked += 1
    assert checked >= 45


def test_every_stored_example_belongs_to_a_documented_response(document: dict[str, Any]) -> None:
    documented = {
        example_name(operation_id, status)
        for operation_id, status, _, response in successes(document)
        if "application/json" in response.get("content", {})
    }
    assert set(stored_examples()) == documented


def test_examples_are_what_the_api_answers(database_factory: DatabaseFactory) -> None:
    """The capture, run again on a new database, writes every stored file as it is."""
    captured = asyncio.run(capture(loaded_database(database_factory)))
    stored = {path.name: path.read_text(encoding="utf-8") for path in EXAMPLES_DIR.glob("*.json")}
    drifted = sorted(
        name
        for name in captured.keys() | stored.keys()
        if name not in captured or stored.get(name) != rendered(captured[name])
    )
    assert not drifted, f"examples differ from the API's answers: {drifted}; {REFRESH}"
