"""Fixtures shared by the content tests."""

from __future__ import annotations

import pytest

from app.content import ContentBundle, load_content


@pytest.fixture(scope="module")
def bundle() -> ContentBundle:
    """The shipped content, loaded once per test module."""
    return load_content()
