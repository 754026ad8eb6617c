"""Benchmark: double ML (PLR and IRM) against its floor, DoubleML and EconML.

On n = 10^5 simulated households with HistGradientBoosting learners (100 rounds, early stopping
off so every fit does the same work) and the same 5 folds everywhere, in one run and with the
same thread settings, it times:

* the floor: the nuisance fits and out-of-fold predictions alone (PLR: l and m on each
  training fold; IRM: g0 and g1 on each arm of the training fold, and m);
* welfare's ``dml_plr`` and ``dml_irm`` (cross-fitting, scores, variance, diagnostics);
* DoubleML (``DoubleMLPLR``, ``DoubleMLIRM``) and EconML (``LinearDML``, ``LinearDRLearner``)
  with the same learners and folds.

Target: welfare at most 1.05x the floor for both models. Prints its figures and exits 1 when
the target is missed. The floor and welfare are timed alternately, best of ``--repeat``.
Run: ``python benchmarks/bench_dml.py [--n 100000] [--repeat 3] [--skip-peers]``.
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import sys
import warnings

import numpy as np
import pandas as pd
from _timing import best_of  # benchmarks/ is on the path when run as a script

COVS = [f"x{j}" for j in range(10)]


def simulate(n: int, seed: int = 0) -> pd.DataFrame:
    """Households with ten covariates, a logistic participation and a nonlinear outcome."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 10))
    p = 1 / (1 + np.exp(-(0.5 * X[:, 0] - 0.4 * X[:, 1] + 0.3 * np.sin(X[:, 2]))))
    d = (rng.uniform(size=n) < p).astype(float)
    y = 0.5 * d + np.sin(X[:, 0]) + X[:, 1] ** 2 / 2 + 0.3 * X[:, 3] + rng.normal(size=n)
    df = pd.DataFrame(X, columns=COVS).assign(y=y, d=d)
    return df


def learners():
    """HistGradientBoosting regressor and classifier with a fixed amount of work."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    kw = {"max_iter": 100, "early_stopping": False, "random_state": 0}
    return HistGradientBoostingRegressor(**kw), HistGradientBoostingClassifier(**kw)


def floor(df: pd.DataFrame, folds: np.ndarray, model: str) -> None:
    """Fit every nuisance on each training fold and predict its test fold, nothing else."""
    from sklearn.base import clone

    reg, cls = learners()
    X, y, d = df[COVS].to_numpy(), df["y"].to_numpy(), df["d"].to_numpy()
    for k in np.unique(folds):
        tr, te = folds != k, folds == k
        if model == "plr":
            clone(reg).fit(X[tr], y[tr]).predict(X[te])
        else:
            for arm in (0, 1):
                sel = tr & (d == arm)
                clone(reg).fit(X[sel], y[sel]).predict(X[te])
        clone(cls).fit(X[tr], d[tr]).predict_proba(X[te])


def ours(df: pd.DataFrame, model: str):
    """Run welfare's DML on the fold column ``fold``."""
    from welfare.premium import dml_irm, dml_plr

    reg, cls = learners()
    kw = {"outcome": "y", "treatment": "d", "covariates": COVS, "scale": "levels",
          "folds": "fold", "learner_outcome": reg}  # fmt: skip
    if model == "plr":
        return dml_plr(df, learner_treatment=cls, **kw)
    return dml_irm(df, learner_propensity=cls, **kw)


def doubleml_fit(df: pd.DataFrame, folds: np.ndarray, model: str) -> None:
    """DoubleML with the same learners and folds."""
    import doubleml

    reg, cls = learners()
    data = doubleml.DoubleMLData(df[COVS + ["y", "d"]], y_col="y", d_cols="d", x_cols=COVS)
    smpls = [[(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in np.unique(folds)]]
    cls_ = doubleml.DoubleMLPLR if model == "plr" else doubleml.DoubleMLIRM
    m = cls_(data, reg, cls, n_folds=len(smpls[0]), draw_sample_splitting=False)
    m.set_sample_splitting(smpls)
    m.fit()


def econml_fit(df: pd.DataFrame, folds: np.ndarray, model: str) -> None:
    """EconML (LinearDML for PLR, LinearDRLearner for IRM) with the same learners and folds."""
    from econml.dml import LinearDML
    from econml.dr import LinearDRLearner

    reg, cls = learners()
    cv = [(np.flatnonzero(folds != k), np.flatnonzero(folds == k)) for k in np.unique(folds)]
    y, d, X = df["y"].to_numpy(), df["d"].to_numpy().astype(int), df[COVS].to_numpy()
    if model == "plr":
        LinearDML(model_y=reg, model_t=cls, discrete_treatment=True, cv=cv).fit(y, d, W=X)
    else:
        LinearDRLearner(model_regression=reg, model_propensity=cls, cv=cv).fit(y, d, W=X)


def main(argv=None) -> int:
    """Time the floor, welfare, DoubleML and EconML; return 1 when the target is missed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--target-ratio", type=float, default=1.05)
    ap.add_argument("--skip-peers", action="store_true")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    import sklearn

    import welfare

    print(f"welfare {welfare.__version__}, scikit-learn {sklearn.__version__}, numpy "
          f"{np.__version__}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")  # fmt: skip
    from welfare.premium import make_folds

    df = simulate(args.n)
    folds = make_folds(args.n, 5, random_state=1)
    df["fold"] = folds
    ok = True
    for model in ("plr", "irm"):
        # alternate floor and welfare so that machine noise hits both alike; keep the best
        times_floor, times_ours = [], []
        for _ in range(args.repeat):
            times_floor.append(best_of(functools.partial(floor, df, folds, model), 1))
            times_ours.append(best_of(functools.partial(ours, df, model), 1))
        t_floor, t_ours = min(times_floor), min(times_ours)
        r = ours(df, model)
        line = (f"{model.upper()}: floor (nuisance fits + predictions) {t_floor:6.2f} s | welfare "
                f"{t_ours:6.2f} s ({t_ours / t_floor:.3f}x floor)")  # fmt: skip
        if not args.skip_peers:
            t_dml = best_of(functools.partial(doubleml_fit, df, folds, model), args.repeat)
            t_eco = best_of(functools.partial(econml_fit, df, folds, model), args.repeat)
            line += (f" | DoubleML {t_dml:6.2f} s ({t_dml / t_floor:.3f}x) | EconML "
                     f"{t_eco:6.2f} s ({t_eco / t_floor:.3f}x)")  # fmt: skip
        print(line + f" | estimate {r.params.iloc[0]:.4f} (SE {r.std_errors.iloc[0]:.4f})")
        met = t_ours / t_floor <= args.target_ratio
        print(f"  target welfare <= {args.target_ratio:g}x floor: "
              f"{'met' if met else 'MISSED'}")  # fmt: skip
        ok &= met
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
