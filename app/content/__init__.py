"""The curated knowledge base: data files, their schema and a pure loader (no database)."""

from app.content.files import (
    DEFAULT_DIRECTORY,
    ContentError,
    ContentProblem,
    content_fingerprint,
    load_content,
)
from app.content.schema import ARTICLE_SOURCE_SLUG, ContentBundle

__all__ = [
    "ARTICLE_SOURCE_SLUG",
    "DEFAULT_DIRECTORY",
    "ContentBundle",
    "ContentError",
    "ContentProblem",
    "content_fingerprint",
    "load_content",
]
