"""A busy machine on demand: processes that keep every CPU core saturated while a test runs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# A pure-Python busy loop: no I/O, no memory growth, stopped with the process.
_BURN = "while True:\n    pass\n"


@contextmanager
def busy_cpus(processes: int | None = None) -> Iterator[None]:
    """One CPU-bound process per core (or ``processes``) for the duration of the block."""
    count = processes or os.cpu_count() or 2
    burners = [subprocess.Popen([sys.executable, "-c", _BURN]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
        for burner in burners:
            burner.wait(timeout=30)


def main(argv: list[str]) -> int:
    """``python -m tests.support.load COMMAND...``: run a command on a saturated machine."""
    if not argv:
        sys.stderr.write("usage: python -m tests.support.load COMMAND [ARG...]\n")
        return 2
    with busy_cpus():
        return subprocess.run(argv, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
