"""Timing helper shared by the benchmark scripts."""

from __future__ import annotations

import time


def best_of(f, repeat: int) -> float:
    """Best wall-clock time of ``repeat`` calls of ``f`` (seconds)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)
