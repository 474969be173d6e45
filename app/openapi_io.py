"""Input and output forms of the component schemas, so generated clients type both precisely.

One pydantic model often serves both directions (the recommender echoes its ``state``; the
administrators' API takes and returns content items). Its JSON schema lists a defaulted field
as optional and carries its ``default``, which generated clients read in opposite ways:
openapi-typescript makes every property with a ``default`` required (so a request body must
spell out every default), and an output whose always-present fields are optional forces
clients to test for values that are always there.

So, once the document is built:

* a schema reached only from responses lists every property as ``required`` (our responses
  always carry every field; the contract tests validate every answer against the schema);
* a schema reached only from request bodies keeps its optional properties optional and says
  their default in the description instead of the ``default`` keyword;
* a schema reached only from error responses (the problem body) loses its ``default``s, and
  its members that may be absent stay optional;
* a schema reached from both is split in two when the forms differ: the output keeps the
  name and the input is ``<Name>Input`` (for an input model's name, ``SetIn``, the input
  keeps it and the output is ``Set``); requests reference the input forms, responses the
  output forms.

Nothing is a second model in the code: both forms come from the one pydantic model.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

REF_PREFIX = "#/components/schemas/"
INPUT_SUFFIX = "Input"


def separate_input_output(schema: dict[str, Any]) -> None:
    """Rewrite ``schema``'s components into their input and output forms (see the module)."""
    components: dict[str, Any] = schema.get("components", {}).get("schemas", {})
    request_side: set[str] = set()
    response_side: set[str] = set()
    error_side: set[str] = set()
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            _reach(operation.get("requestBody", {}), components, request_side)
            for status, response in operation.get("responses", {}).items():
                side = error_side if status.startswith(("4", "5")) else response_side
                _reach(response, components, side)
    # An input form differs where the schema, or one it references, has an optional property.
    differs = {name for name in request_side if _has_optional(components[name])}
    differs = _closure_over_references(differs, request_side, components)
    split = request_side & response_side & differs
    inputs, outputs = _names(split, components)
    for name in split:
        original = components.pop(name)
        components[inputs[name]] = original
        components[outputs[name]] = copy.deepcopy(original)
        # Generators name their classes after `title`: each form gets its own.
        components[inputs[name]]["title"] = inputs[name]
        components[outputs[name]]["title"] = outputs[name]
    for name in request_side:
        _as_input(components[inputs.get(name, name)])
        _retarget(components[inputs.get(name, name)], inputs)
    for name in response_side:
        _as_output(components[outputs.get(name, name)])
        _retarget(components[outputs.get(name, name)], outputs)
    for name in error_side - response_side - request_side:
        # Problem bodies: members that may be absent stay optional, without a `default`.
        for prop in components[name].get("properties", {}).values():
            prop.pop("default", None)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            _retarget(operation.get("requestBody", {}), inputs)
            _retarget(operation.get("responses", {}), outputs)


def _names(split: set[str], components: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The input and output names of each split schema. `SetIn` is an input model's name:
    its input form keeps it and the output form drops the suffix (`Set`); any other name stays
    the output's, and the input form adds `Input`."""
    inputs: dict[str, str] = {}
    outputs: dict[str, str] = {}
    for name in split:
        bare = name.removesuffix("In")
        if bare != name and bare and bare not in components:
            inputs[name], outputs[name] = name, bare
        else:
            inputs[name], outputs[name] = name + INPUT_SUFFIX, name
    return inputs, outputs


def _ref_nodes(node: Any) -> Iterator[dict[str, Any]]:
    """Every object under ``node`` that references a component schema."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF_PREFIX):
            yield node
        for value in node.values():
            yield from _ref_nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _ref_nodes(value)


def _referenced(node: Any) -> set[str]:
    return {ref["$ref"].removeprefix(REF_PREFIX) for ref in _ref_nodes(node)}


def _reach(node: Any, components: dict[str, Any], found: set[str]) -> None:
    """Every component schema ``node`` references, directly or through others."""
    for name in _referenced(node) - found:
        found.add(name)
        _reach(components[name], components, found)


def _has_optional(component: dict[str, Any]) -> bool:
    properties = component.get("properties", {})
    return bool(set(properties) - set(component.get("required", [])))


def _closure_over_references(
    differs: set[str], request_side: set[str], components: dict[str, Any]
) -> set[str]:
    """A schema that references an input form has an input form too."""
    result = set(differs)
    changed = True
    while changed:
        changed = False
        for name in request_side - result:
            if _referenced(components[name]) & result:
                result.add(name)
                changed = True
    return result


def _as_input(component: dict[str, Any]) -> None:
    required = set(component.get("required", []))
    for name, prop in component.get("properties", {}).items():
        if name not in required and "default" in prop:
            default = prop.pop("default")
            said = f"Default when omitted: `{json.dumps(default)}`."
            prop["description"] = f"{prop['description']} {said}" if "description" in prop else said


def _as_output(component: dict[str, Any]) -> None:
    properties = component.get("properties")
    if properties:
        component["required"] = list(properties)


def _retarget(node: Any, renamed: dict[str, str]) -> None:
    """Point references at the input (or output) forms."""
    for ref in _ref_nodes(node):
        name = ref["$ref"].removeprefix(REF_PREFIX)
        if name in renamed:
            ref["$ref"] = REF_PREFIX + renamed[name]
