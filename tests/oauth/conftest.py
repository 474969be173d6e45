from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def https(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The test client over https: OAuth refuses plain http except on loopback addresses."""
    client.base_url = httpx.URL("https://testserver")
    return client
