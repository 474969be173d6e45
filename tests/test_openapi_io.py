"""Input and output forms: request schemas carry no `default` (openapi-typescript would make
those properties required), and response schemas require every property they always carry."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from app.openapi_io import REF_PREFIX
from app.recommendations.examples import OPENAPI_EXAMPLES
from tests.test_openapi import operations


@pytest.fixture
async def openapi(client: httpx.AsyncClient) -> dict[str, Any]:
    document: dict[str, Any] = (await client.get("/openapi.json")).json()
    return document


def _reachable(document: dict[str, Any], roots: list[Any]) -> set[str]:
    components = document["components"]["schemas"]
    found: set[str] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith(REF_PREFIX) and ref.removeprefix(REF_PREFIX) not in found:
                found.add(ref.removeprefix(REF_PREFIX))
                pending.append(components[ref.removeprefix(REF_PREFIX)])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _sides(document: dict[str, Any]) -> tuple[set[str], set[str]]:
    requests = [op["requestBody"] for _, _, op in operations(document) if "requestBody" in op]
    responses = [
        response
        for _, _, op in operations(document)
        for status, response in op["responses"].items()
        if status.startswith(("2", "3"))
    ]
    return _reachable(document, requests), _reachable(document, responses)


async def test_request_schemas_carry_no_defaults(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    requests, _ = _sides(openapi)
    assert {"NextSessionRequest", "EngineStateInput", "SetIn", "ProfileIn"} <= requests
    for name in requests:
        for field, prop in components[name].get("properties", {}).items():
            assert "default" not in prop, f"{name}.{field}"
            if field not in components[name].get("required", []) and "description" in prop:
                assert prop["description"].strip(), f"{name}.{field}"
    # The default is still said, in words.
    unit = components["ProfileIn"]["properties"]["unit"]
    assert 'Default when omitted: `"kg"`' in unit["description"]


async def test_response_schemas_require_what_they_always_carry(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    requests, responses = _sides(openapi)
    assert {"EngineState", "Set", "ExerciseDetail", "ProfilePublic"} <= responses
    for name in responses:
        properties = components[name].get("properties", {})
        assert set(components[name].get("required", [])) == set(properties), name
    # One model, two forms, only where they differ; no near-duplicates by name.
    for name in components:
        if name.endswith("Input"):
            assert name.removesuffix("Input") in responses, name
            assert name in requests, name
            assert name not in responses, name


async def test_a_recommendation_matches_its_output_schema(
    openapi: dict[str, Any], client: httpx.AsyncClient
) -> None:
    # The document as one resource, so the schema's $refs resolve against its components.
    registry: Registry[Any] = Registry().with_resource(
        "urn:spotter", DRAFT202012.create_resource(openapi)
    )
    response_schema = openapi["paths"]["/v1/recommendations/next-session"]["post"]["responses"]
    schema = response_schema["200"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({"$ref": "urn:spotter" + schema["$ref"]}, registry=registry)
    for example in OPENAPI_EXAMPLES.values():
        answered = await client.post("/v1/recommendations/next-session", json=example["value"])
        assert answered.status_code == 200, answered.text
        body = answered.json()
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, errors[:3]
        # The check has teeth: an answer missing an always-present member would fail it.
        del body["recommendations"][0]["reasons"]
        assert not validator.is_valid(body)


async def test_split_forms_have_their_own_titles_and_problems_no_defaults(
    openapi: dict[str, Any],
) -> None:
    components = openapi["components"]["schemas"]
    for name in [n for n in components if n.endswith("Input")]:
        # Generators name classes after `title`: two forms with one title collide.
        assert components[name]["title"] == name
        assert components[name.removesuffix("Input")]["title"] == name.removesuffix("Input")
    problem = components["Problem"]
    assert not [p for p in problem["properties"].values() if "default" in p]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])
    assert "errors" not in problem["required"]
