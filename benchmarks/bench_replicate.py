"""Benchmark: wall time of the full replication on the SYNTHETIC twin, cold start.

Each timing is one fresh ``python -m welfare.replicate --out <tmp> --quiet`` subprocess (every
finding F1-F8, default seed), so it includes the interpreter start, the imports, generating the
twins and writing every table, figure, REPORT.md and REPORT.html:

* serial (``--jobs 1``, the default);
* ``--jobs 2`` (findings in two worker processes, and the resampling inside them on two
  workers).

For context it also times, in the same run, a fresh interpreter that only imports
``welfare.replicate`` (the part of a cold start no ``--jobs`` can shorten), and checks that
both runs wrote byte-identical tables and figures.

Target: ``--jobs 2`` under 60 s on the project's 2-core machine. Prints its figures and exits 1
when the target is missed (or when the two runs' outputs differ).
Run: ``python benchmarks/bench_replicate.py [--repeat 1] [--target 60]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def cold(args: list[str]) -> float:
    """Wall time of one fresh ``python <args>`` process (seconds); raises if it fails."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=False)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"command failed ({p.returncode}): {' '.join(args)}\n{p.stderr}")
    return dt


def outputs(folder: Path) -> dict[str, bytes]:
    """Tables and figures of a run, by relative path."""
    files = [*(folder / "tables").iterdir(), *(folder / "figures").iterdir()]
    return {f.relative_to(folder).as_posix(): f.read_bytes() for f in files}


def main() -> int:
    """Time both settings, print them, return 1 when the target is missed."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=1, help="runs per setting (best is kept)")
    ap.add_argument("--target", type=float, default=60.0, help="seconds for --jobs 2")
    a = ap.parse_args()
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"PYTHONHASHSEED={os.environ.get('PYTHONHASHSEED', 'unset')} "
        "(the command pins 0 when unset)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t_import = min(
            cold(["-c", "import welfare.replicate.runner"]) for _ in range(max(1, a.repeat))
        )
        times: dict[str, float] = {}
        for label, extra in (("serial", []), ("jobs2", ["--jobs", "2"])):
            best = float("inf")
            for r in range(max(1, a.repeat)):
                out = tmp / f"{label}{r}"
                best = min(best, cold(["-m", "welfare.replicate", "--out", str(out), "--quiet",
                                       *extra]))  # fmt: skip
            times[label] = best
        same = outputs(tmp / "serial0") == outputs(tmp / "jobs20")
        n_files = len(outputs(tmp / "serial0"))
    print(f"cold import of welfare.replicate:       {t_import:6.1f} s")
    print(f"full replication, serial (--jobs 1):     {times['serial']:6.1f} s")
    print(
        f"full replication, --jobs 2:              {times['jobs2']:6.1f} s "
        f"(speed-up {times['serial'] / times['jobs2']:.2f}x; target < {a.target:.0f} s)"
    )
    print(f"tables and figures identical (serial vs --jobs 2, {n_files} files): {same}")
    ok = times["jobs2"] < a.target and same
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
