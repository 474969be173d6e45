"""Response examples for the OpenAPI document, captured from the running application.

Each ``<operationId>.<status>.json`` file beside this module is a real answer of the app
serving the curated content (lists trimmed, secrets and clock readings masked), written by
``scripts/capture_examples.py`` (``make openapi-examples``); a test re-captures them and fails
when they drift from what the API answers. They ship with the package: nothing outside it is
read at run time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).resolve().parent


def example_name(operation_id: str, status: str | int) -> str:
    return f"{operation_id}.{status}.json"


def stored_examples() -> dict[str, Any]:
    """Every stored example, by file name."""
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(EXAMPLES_DIR.glob("*.json"))
    }


def attach_examples(schema: dict[str, Any]) -> None:
    """Set ``content["application/json"]["example"]`` on every 2xx response with a stored
    example; responses without one are left as they are."""
    examples = stored_examples()
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            for status, response in operation.get("responses", {}).items():
                body = response.get("content", {}).get("application/json")
                name = example_name(operation["operationId"], status)
                if status.startswith("2") and body is not None and name in examples:
                    body["example"] = examples[name]
