"""Benchmark: propensity-score matching with Abadie-Imbens standard errors at scale.

Measures, in one run and with the same thread settings, on n simulated households:

* welfare's ``ps_match`` (logit propensity, 1-NN matching with all ties kept, AI (2006)
  variance and the AI (2016) adjustment for the estimated score), ATE;
* the floor: fitting the same logit propensity model plus one sort of the fitted scores;
* scikit-learn's ``NearestNeighbors`` on the same scores (1-NN both ways, no ties, no
  variance), for reference.

Targets: ps_match at most 3x the floor at n = 10^6, and O(n log n) growth (log-log slope of
time against n at most 1.3 across the sizes). Prints its figures and exits 1 when a target is
missed. Run: ``python benchmarks/bench_psmatch.py [--sizes 100000 1000000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import sys

import numpy as np
import pandas as pd
from _timing import best_of  # benchmarks/ is on the path when run as a script


def simulate(n: int, seed: int = 0) -> pd.DataFrame:
    """Households with four normal covariates, an education level, logit participation."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    edu = rng.integers(0, 5, size=n).astype(float)
    z = -0.5 + x @ np.array([0.6, -0.4, 0.3, 0.2]) + 0.15 * edu
    d = (rng.uniform(size=n) < 1 / (1 + np.exp(-z))).astype(float)
    y = 1 + x @ np.array([1.0, 0.5, -0.5, 0.2]) + 0.1 * edu + d * (0.3 + 0.1 * x[:, 0])
    y += rng.normal(size=n)
    return pd.DataFrame({"y": y, "d": d, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2],
                         "x4": x[:, 3], "edu": edu})  # fmt: skip


COVS = ["x1", "x2", "x3", "x4", "edu"]


def floor(df: pd.DataFrame, formula: str) -> None:
    """Fit the same logit propensity model, then sort the fitted scores once (the floor)."""
    from welfare.participation import logit

    res = logit(formula, df)
    score = 1 / (1 + np.exp(-(res._ctx["X"] @ res.params.to_numpy())))
    np.argsort(score, kind="stable")


def ours(df: pd.DataFrame):
    """Run PS matching for the ATE with the AI (2006) variance and AI (2016) adjustment."""
    from welfare.premium import ps_match

    return ps_match(df, outcome="y", treatment="d", propensity=COVS, scale="levels")


def sklearn_search(score: np.ndarray, d: np.ndarray) -> None:
    """scikit-learn NearestNeighbors, 1-NN both ways on the same scores (search only)."""
    from sklearn.neighbors import NearestNeighbors

    for a, b in ((1, 0), (0, 1)):
        nn = NearestNeighbors(n_neighbors=1).fit(score[d == b][:, None])
        nn.kneighbors(score[d == a][:, None])


def main(argv=None) -> int:
    """Run the sizes, print the figures, return 1 when a target is missed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--target-ratio", type=float, default=3.0)
    ap.add_argument("--max-slope", type=float, default=1.3)
    args = ap.parse_args(argv)

    import sklearn

    import welfare
    from welfare.participation import logit

    print(f"welfare {welfare.__version__}, numpy {np.__version__}, pandas {pd.__version__}, "
          f"scikit-learn {sklearn.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")  # fmt: skip
    formula = "d ~ " + " + ".join(COVS)
    rows = []
    for n in args.sizes:
        df = simulate(n)

        res0 = logit(formula, df)
        score = 1 / (1 + np.exp(-(res0._ctx["X"] @ res0.params.to_numpy())))
        d = df["d"].to_numpy()
        t_floor = best_of(functools.partial(floor, df, formula), args.repeat)
        t_ours = best_of(functools.partial(ours, df), args.repeat)
        t_sk = best_of(functools.partial(sklearn_search, score, d), args.repeat)
        r = ours(df)
        rows.append((n, t_floor, t_ours, t_sk))
        print(f"n = {n:>9,}: floor (logit + sort) {t_floor:7.3f} s | ps_match with AI SE "
              f"{t_ours:7.3f} s ({t_ours / t_floor:4.2f}x floor) | sklearn NearestNeighbors "
              f"(search only) {t_sk:7.3f} s | ATE {r.params.iloc[0]:.4f} (SE "
              f"{r.std_errors.iloc[0]:.4f})")  # fmt: skip
    ok = True
    n_max, f_max, o_max, _ = rows[-1]
    ratio = o_max / f_max
    print(f"target: ps_match <= {args.target_ratio:g}x floor at n = {n_max:,}: {ratio:.2f}x "
          f"-> {'met' if ratio <= args.target_ratio else 'MISSED'}")  # fmt: skip
    ok &= ratio <= args.target_ratio
    if len(rows) >= 2:
        ns = np.log([r[0] for r in rows])
        ts = np.log([r[2] for r in rows])
        slope = float(np.polyfit(ns, ts, 1)[0])
        nlogn = float(np.polyfit(ns, np.log([r[0] * np.log(r[0]) for r in rows]), 1)[0])
        print(f"growth: log-log slope of ps_match time on n = {slope:.2f} (n log n gives "
              f"{nlogn:.2f}; target <= {args.max_slope:g}) -> "
              f"{'met' if slope <= args.max_slope else 'MISSED'}")  # fmt: skip
        ok &= slope <= args.max_slope
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
