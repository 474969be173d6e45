"""Every schema, property and enum value a client reads is described, in client terms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pytest

from app.schema_docs import documented

# Internal references a client cannot follow: the specification's sections, its rule numbers
# and the source article the knowledge base was written from.
INTERNAL = re.compile(r"(?i:spec section|the article)|\bR[1-9]\b")
MIN_LENGTH = 12


def schemas(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = document["components"]["schemas"]
    assert found
    return found


def referenced(prop: dict[str, Any]) -> str | None:
    """The schema a property is exactly (a bare `$ref` or a one-item `allOf`), if any."""
    if "$ref" in prop:
        return str(prop["$ref"])
    parts = prop.get("allOf", [])
    if len(parts) == 1 and "$ref" in parts[0]:
        return str(parts[0]["$ref"])
    return None


def texts(node: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every description under ``node`` (enum value descriptions included), with its place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "description" and isinstance(value, str):
                yield where, value
            elif key == "x-enumDescriptions" and isinstance(value, dict):
                for item, text in value.items():
                    yield f"{where} value {item}", text
            elif key != "properties" or not isinstance(value, dict):
                yield from texts(value, f"{where}/{key}")
            else:
                for name, prop in value.items():
                    yield from texts(prop, f"{where}.{name}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from texts(item, f"{where}/{index}")


def assert_real(text: Any, where: str, title: str | None = None) -> None:
    assert isinstance(text, str), f"{where} has no description"
    assert len(text.strip()) >= MIN_LENGTH, f"{where}: {text!r} is a placeholder"
    assert title is None or text.strip() != title, f"{where}: the description is the title"


async def test_every_schema_is_described(openapi: dict[str, Any]) -> None:
    for name, schema in schemas(openapi).items():
        assert_real(schema.get("description"), name, schema.get("title"))


async def test_every_property_is_described(openapi: dict[str, Any]) -> None:
    found = schemas(openapi)
    for name, schema in found.items():
        for prop_name, prop in schema.get("properties", {}).items():
            where = f"{name}.{prop_name}"
            text = prop.get("description")
            ref = referenced(prop)
            if text is None and ref is not None:
                text = found[ref.rsplit("/", 1)[-1]].get("description")
            assert_real(text, where, prop.get("title"))


async def test_every_enum_value_is_described(openapi: dict[str, Any]) -> None:
    enums = {name: schema for name, schema in schemas(openapi).items() if "enum" in schema}
    assert {"Action", "ReasonCode", "ModificationKind"} <= set(enums)
    for name, schema in enums.items():
        values = [str(value) for value in schema["enum"]]
        described = schema.get("x-enumDescriptions")
        assert isinstance(described, dict), f"{name} has no x-enumDescriptions"
        assert sorted(described) == sorted(values), f"{name}: values and descriptions differ"
        for value in values:
            assert_real(described[value], f"{name} value {value}")
            # Swagger UI and client generators read only the description: the list is there too.
            assert f"- `{value}`: {described[value]}" in schema["description"], (
                f"{name} does not list {value} in its description"
            )


async def test_descriptions_name_no_internal_references(openapi: dict[str, Any]) -> None:
    leaks = [
        f"{where}: {text[:80]!r}"
        for where, text in texts(schemas(openapi), "#/components/schemas")
        if INTERNAL.search(text)
    ]
    assert not leaks, "\n".join(leaks)


class Colour(StrEnum):
    """A colour."""

    RED = "red"
    BLUE = "blue"


def test_documented_refuses_an_undescribed_or_unknown_name() -> None:
    with pytest.raises(ValueError, match=r"undescribed \['BLUE'\], unknown \[\]"):
        documented(RED="The colour of blood.")(Colour)
    with pytest.raises(ValueError, match=r"undescribed \[\], unknown \['GREEN'\]"):
        documented(RED="Warm.", BLUE="Cold.", GREEN="Neither.")(Colour)


def test_documented_requires_a_docstring() -> None:
    class Bare(StrEnum):
        X = "x"

    @dataclass
    class Plain:  # dataclass() writes its signature as the docstring: not a description
        x: int

    for cls, name in ((Bare, "X"), (Plain, "x")):
        with pytest.raises(TypeError, match="needs a docstring"):
            documented(**{name: "Some value."})(cls)
