"""Every problem type the service answers with: what it means and what a client should do.

A problem body's ``type`` is ``/problems/{name}``; that URL answers with the entry, as a page
for people and as JSON for programs. The entries are data (``types.yaml``, shipped in the
package), read and checked once at import. Every name the code can put in a ``type`` must be
there: ``tests/test_problem_types.py`` checks the error classes and every literal in the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Sentence = Annotated[str, StringConstraints(min_length=10, max_length=600)]


class ProblemType(BaseModel):
    """One problem type: the page at ``/problems/{name}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(pattern=r"^[a-z]+(-[a-z]+)*$")]
    title: Annotated[str, StringConstraints(min_length=5, max_length=80, pattern=r"^[^`]+$")]
    statuses: list[Annotated[int, Field(ge=400, le=599)]] = Field(min_length=1)
    meaning: Sentence
    what_to_do: Sentence
    # Retrying the same request later can succeed (503, 429, timeouts).
    retry: bool = False
    # Members a body of this type carries beyond the standard ones, with their meaning.
    extensions: dict[str, Sentence] = Field(default_factory=dict)


def _load() -> dict[str, ProblemType]:
    entries = yaml.safe_load((Path(__file__).parent / "types.yaml").read_text(encoding="utf-8"))
    types = [ProblemType.model_validate(entry) for entry in entries]
    return {problem.name: problem for problem in types}


PROBLEM_TYPES = _load()
