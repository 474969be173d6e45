"""Spotter: a strength-training knowledge base and progression recommender API."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("spotter")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"
