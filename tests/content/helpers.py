"""Look-ups and text helpers shared by the content tests."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol, TypeVar

from app.content import ContentBundle
from app.content.schema import Exercise, FunctionRole, Muscle
from app.recommender import text


class _Slugged(Protocol):
    @property
    def slug(self) -> str: ...


ItemT = TypeVar("ItemT", bound=_Slugged)


def by_slug(items: Iterable[ItemT], slug: str) -> ItemT:
    """The item of ``items`` with this slug."""
    return next(item for item in items if item.slug == slug)


def exercise(bundle: ContentBundle, slug: str) -> Exercise:
    return by_slug(bundle.exercises, slug)


def muscle(bundle: ContentBundle, slug: str) -> Muscle:
    return by_slug(bundle.muscles, slug)


def functions(bundle: ContentBundle, slug: str) -> dict[str, FunctionRole]:
    return {f.joint_action: f.role for f in muscle(bundle, slug).functions}


def prose(value: object, min_words: int = 5) -> list[str]:
    """Every string of at least ``min_words`` words in a dumped content structure."""
    if isinstance(value, str):
        return [value] if len(value.split()) >= min_words else []
    if isinstance(value, dict):
        return [text for v in value.values() for text in prose(v, min_words)]
    if isinstance(value, list):
        return [text for v in value for text in prose(v, min_words)]
    return []


def shingles(text: str, size: int) -> set[str]:
    """The runs of ``size`` consecutive words in ``text``, lower-cased."""
    words = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def recommender_source_ids() -> dict[str, str]:
    """Every source id the recommender's reasons can cite: the constants of its text module."""
    return {
        name: value
        for name, value in vars(text).items()
        if name.isupper() and isinstance(value, str)
    }
