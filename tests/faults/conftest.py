"""The fault suite's own PostgreSQL: a throwaway cluster the tests may stop, kill and freeze."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from _pytest.terminal import TerminalReporter

from tests.support.cluster import ClusterUnavailableError, ThrowawayCluster

# Each fault run's figures (responses by status, longest request, recovery, lost and
# duplicated writes), printed at the end of the run so CI's log carries them.
REPORT: list[tuple[str, dict[str, Any]]] = []


def pytest_terminal_summary(terminalreporter: TerminalReporter) -> None:
    if REPORT:
        terminalreporter.section("fault suite figures")
        for name, figures in REPORT:
            terminalreporter.write_line(f"{name}: {figures}")


@pytest.fixture(scope="session")
def cluster() -> Iterator[ThrowawayCluster]:
    try:
        throwaway = ThrowawayCluster()
    except ClusterUnavailableError as exc:
        if os.environ.get("CI") == "true":
            raise  # CI has the binaries; their absence there is a broken machine, not a skip
        pytest.skip(f"no throwaway PostgreSQL cluster: {exc}")
    try:
        throwaway.start()
        yield throwaway
    finally:
        throwaway.destroy()


@pytest.fixture
def running_cluster(cluster: ThrowawayCluster) -> ThrowawayCluster:
    """The cluster, started again if an earlier test left it stopped or frozen."""
    cluster.thaw()
    if not (cluster.data / "postmaster.pid").exists():
        cluster.start()
    return cluster
