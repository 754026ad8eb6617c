"""Monte Carlo of the robustness table on the synthetic twin, outside pytest.

The study itself (targets, one replication, summary) lives in ``tests/test_robustness_mc.py``;
this script runs it with a chosen number of twins and workers, prints the table and, with
``--csv``, writes the per-replication rows. Run:
``python benchmarks/mc_robustness.py [--reps 100] [--workers 2] [--csv runs.csv]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    """Run the study, print the table, optionally write the rows; returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--csv", type=Path, default=None)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))  # spawned workers inherit it and import tests.*
    from tests.test_robustness_mc import SEED0, format_summary, run, summarise

    t0 = time.perf_counter()
    runs = run(args.reps, args.workers)
    secs = time.perf_counter() - t0
    print(
        f"{args.reps} twins (seeds {SEED0}..{SEED0 + args.reps - 1}), {secs:.0f} s on "
        f"{args.workers} worker(s). SYNTHETIC DATA."
    )
    print(format_summary(summarise(runs)))
    if args.csv is not None:
        runs.to_csv(args.csv, index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
