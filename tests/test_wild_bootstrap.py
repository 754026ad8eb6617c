"""Wild cluster bootstrap (WCR) for WLS with fixed effects, and Romano-Wolf adjustment.

Outside references: the ``wildboottest`` package through pyfixest's ``Feols.wildboottest``
(one-hot fixed effects, unweighted), statsmodels WLS with cluster-robust covariance on explicit
bootstrap samples (weighted, fixed-effect dummies), the row-expanded data for integer weights,
pyfixest's Romano-Wolf routine and statsmodels' ``multipletests``.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest

from welfare.errors import DataError, UnknownOptionError, VarianceError
from welfare.inference.multiple import bonferroni, holm, romano_wolf
from welfare.inference.wild import bootstrap_draws, wild_bootstrap_t, wild_cluster_bootstrap


def _data(seed=1, G=10, n=200, beta=0.1, n_fe=4):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "g": rng.integers(0, G, n),
            "f": rng.integers(0, n_fe, n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
        }
    )
    df["y"] = beta * df.x + 0.3 * df.f + rng.normal(size=n) + rng.normal(size=G)[df.g]
    df["w"] = rng.integers(1, 4, n).astype(float)
    return df


def _pyfixest_wild(df, fe, reps=9999, seed=3, param="x"):
    import pyfixest as pf

    fml = "y ~ x + z" + (" | " + "+".join(fe) if fe else "")
    fit = pf.feols(fml, data=df, vcov={"CRV1": "g"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, tb = fit.wildboottest(
            param=param, reps=reps, seed=seed, return_bootstrapped_t_stats=True
        )
    return float(out["t value"]), float(out["Pr(>|t|)"]), np.asarray(tb, dtype=float)


@pytest.mark.parametrize("fe", [None, ["g"], ["f"], ["f", "g"]])
def test_full_enumeration_equals_wildboottest(fe):
    """Unweighted, G = 10: t, the 2^G bootstrap t's and the p-value equal wildboottest's."""
    df = _data()
    t_ref, p_ref, tb_ref = _pyfixest_wild(df, fe)
    res = wild_cluster_bootstrap(
        "y ~ x + z", df, param="x", cluster="g", fixed_effects=fe, ties="exclude"
    )
    assert res.full_enumeration and res.reps == 2**10 == len(tb_ref)
    assert abs(res.statistic - t_ref) < 1e-10
    np.testing.assert_allclose(np.sort(res.boot_t), np.sort(tb_ref), atol=1e-10, rtol=0)
    # identical p-value under the same tie rule (|t*| = |t| exactly for v = +-1 under WCR: the
    # package counts 0-2 of these ties depending on floating-point noise)
    p_ties_excluded = np.mean(np.abs(tb_ref) > abs(t_ref) * (1 + 1e-9))
    assert res.p_value == p_ties_excluded
    assert abs(res.p_value - p_ref) <= 2 / 2**10 + 1e-15
    # the default counts the ties (|t*| >= |t|): exactly the two draws v = +-1 more
    res_c = wild_cluster_bootstrap("y ~ x + z", df, param="x", cluster="g", fixed_effects=fe)
    assert res_c.ties == "count"
    assert res_c.p_value == np.mean(np.abs(tb_ref) >= abs(t_ref) * (1 - 1e-9))
    assert res_c.p_value == pytest.approx(res.p_value + 2 / 2**10, abs=1e-15)
    # the estimate is the fit_ols estimate
    assert res.estimate == pytest.approx(float(res.results.params["x"]), abs=1e-12)


def test_random_draws_agree_within_monte_carlo_error():
    df = _data(seed=5, G=30, n=600, beta=0.05)
    for wt in ("rademacher", "webb"):
        import pyfixest as pf

        fit = pf.feols("y ~ x + z | f", data=df, vcov={"CRV1": "g"})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = fit.wildboottest(param="x", reps=4999, seed=11, weights_type=wt)
        res = wild_cluster_bootstrap(
            "y ~ x + z",
            df,
            param="x",
            cluster="g",
            fixed_effects=["f"],
            reps=4999,
            weights_type=wt,
            random_state=7,
        )
        assert not res.full_enumeration and res.reps == 4999
        assert abs(res.statistic - float(ref["t value"])) < 1e-10
        p_ref = float(ref["Pr(>|t|)"])
        se = np.sqrt(2 * p_ref * (1 - p_ref) / 4999)
        assert abs(res.p_value - p_ref) < 4 * se + 1e-3


def test_weighted_fe_bootstrap_t_equals_explicit_wls_refits():
    """Weighted, FE not nested in clusters: t*(v) equals statsmodels WLS with FE dummies and
    CRV1 on the explicit bootstrap sample y* = X b_r + D a_r + u_r v_g (original scale)."""
    import statsmodels.api as sm

    df = _data(seed=2, G=6, n=120)
    res = wild_cluster_bootstrap(
        "y ~ x + z", df, param="x", cluster="g", fixed_effects=["f"], weights="w"
    )
    assert res.full_enumeration and res.reps == 64
    D = pd.get_dummies(df["f"], prefix="f", drop_first=True, dtype=float)
    Xf = sm.add_constant(pd.concat([df[["x", "z"]], D], axis=1))
    Xr = Xf.drop(columns="x")
    restricted = sm.WLS(df["y"], Xr, weights=df["w"]).fit()
    u_r = df["y"] - restricted.fittedvalues
    codes = pd.factorize(df["g"], sort=True)[0]  # sorted cluster ids = draw rows
    V = np.array(list(itertools.product([-1.0, 1.0], repeat=6))).T
    full = sm.WLS(df["y"], Xf, weights=df["w"]).fit(
        cov_type="cluster", cov_kwds={"groups": df["g"]}
    )
    assert res.statistic == pytest.approx(float(full.tvalues["x"]), abs=1e-10)
    assert res.estimate == pytest.approx(float(full.params["x"]), abs=1e-12)
    for b in (0, 5, 22, 37, 63):
        ystar = restricted.fittedvalues + u_r * V[codes, b]
        fb = sm.WLS(ystar, Xf, weights=df["w"]).fit(
            cov_type="cluster", cov_kwds={"groups": df["g"]}
        )
        assert res.boot_t[b] == pytest.approx(float(fb.tvalues["x"]), abs=1e-9)


@pytest.mark.parametrize("fe", [None, ["f"]])
def test_integer_weights_equal_expanded_rows(fe):
    df = _data(seed=3, G=9, n=150)
    wtd = wild_cluster_bootstrap(
        "y ~ x + z", df, param="x", cluster="g", fixed_effects=fe, weights="w"
    )
    big = df.loc[df.index.repeat(df["w"].astype(int))].reset_index(drop=True)
    exp = wild_cluster_bootstrap("y ~ x + z", big, param="x", cluster="g", fixed_effects=fe)
    assert wtd.full_enumeration and exp.full_enumeration
    assert wtd.estimate == pytest.approx(exp.estimate, abs=1e-12)
    assert wtd.p_value == exp.p_value
    # t's differ only by the (N-1)/(N-K) factor (N = rows)
    ratio = np.sqrt(wtd.ssc / exp.ssc)
    np.testing.assert_allclose(wtd.boot_t * ratio, exp.boot_t, atol=1e-9)
    assert wtd.statistic * ratio == pytest.approx(exp.statistic, abs=1e-10)


def test_constant_weights_equal_unweighted():
    df = _data(seed=4).assign(w=2.5)
    a = wild_cluster_bootstrap(
        "y ~ x",
        df,
        param="x",
        cluster="g",
        weights="w",
        reps=999,
        full_enumeration=False,
        random_state=1,
    )
    b = wild_cluster_bootstrap(
        "y ~ x", df, param="x", cluster="g", reps=999, full_enumeration=False, random_state=1
    )
    np.testing.assert_allclose(a.boot_t, b.boot_t, atol=1e-10)
    assert a.p_value == b.p_value


def test_same_seed_same_output_and_shared_draws():
    df = _data(seed=6, G=25, n=300)
    df["y2"] = df["y"] + np.random.default_rng(0).normal(size=len(df))
    kw = dict(cluster="g", fixed_effects=["f"], reps=499, random_state=42)
    a = wild_cluster_bootstrap("y ~ x + z", df, param="x", **kw)
    b = wild_cluster_bootstrap("y ~ x + z", df, param="x", **kw)
    np.testing.assert_array_equal(a.boot_t, b.boot_t)
    c = wild_cluster_bootstrap("y ~ x + z", df, param="x", **{**kw, "random_state": 43})
    assert not np.array_equal(a.boot_t, c.boot_t)
    joint = wild_bootstrap_t(["y ~ x + z", "y2 ~ x + z"], df, params=["x"], **kw)
    assert joint.boot_t.shape == (499, 2)
    np.testing.assert_allclose(joint.boot_t[:, 0], a.boot_t, atol=1e-12)  # same draws
    d = wild_cluster_bootstrap("y2 ~ x + z", df, param="x", **kw)
    np.testing.assert_allclose(joint.boot_t[:, 1], d.boot_t, atol=1e-12)
    assert df.columns.tolist() == ["g", "f", "x", "z", "y", "w", "y2"]  # input untouched


def test_draw_distributions():
    """Support, mean 0 and variance 1 of each draw distribution (Mammen: third moment 1)."""
    rng = np.random.default_rng(0)
    support = {
        "rademacher": np.array([-1.0, 1.0]),
        "webb": np.sort(np.concatenate([-np.sqrt([0.5, 1, 1.5]), np.sqrt([0.5, 1, 1.5])])),
    }
    for wt, vals in support.items():
        v = bootstrap_draws(5, 4000, weights_type=wt, rng=rng)
        assert v.shape == (5, 4000)
        np.testing.assert_allclose(np.unique(v), vals, atol=1e-15)
        assert abs(v.mean()) < 0.05 and abs((v**2).mean() - 1) < 0.05
    m = bootstrap_draws(3, 40000, weights_type="mammen", rng=rng)
    assert abs(m.mean()) < 0.02 and abs((m**2).mean() - 1) < 0.03 and abs((m**3).mean() - 1) < 0.1
    e = bootstrap_draws(3, 0, full_enumeration=True)
    assert e.shape == (3, 8) and np.array_equal(e[:, 0], [-1, -1, -1])


def test_bad_options():
    df = _data()
    with pytest.raises(UnknownOptionError):
        wild_cluster_bootstrap("y ~ x", df, param="x", cluster="g", weights_type="gauss")
    with pytest.raises(UnknownOptionError):
        wild_cluster_bootstrap("y ~ x", df, param="nope", cluster="g")
    with pytest.raises(UnknownOptionError):
        wild_cluster_bootstrap("y ~ x", df, param="x", cluster="g", reps=0)
    with pytest.raises(UnknownOptionError):
        wild_cluster_bootstrap(
            "y ~ x", df, param="x", cluster="g", weights_type="webb", full_enumeration=True
        )
    with pytest.raises(UnknownOptionError):
        wild_cluster_bootstrap("y ~ x", df, param="x", cluster="g", n_boot=9)
    with pytest.raises(UnknownOptionError):
        wild_cluster_bootstrap("y ~ x", df, param="x", cluster="g", random_state=-1)


# ------------------------------------------------------------------------------ Romano-Wolf
def test_romano_wolf_equals_pyfixest_on_identical_bootstrap_stats():
    from pyfixest.estimation.post_estimation.multcomp import _get_rwolf_pval

    rng = np.random.default_rng(0)
    for _ in range(10):
        S = int(rng.integers(2, 8))
        t = rng.normal(size=S) * 2.5
        boot = rng.standard_t(5, size=(999, S)) @ np.linalg.cholesky(0.5 * np.eye(S) + 0.5).T
        np.testing.assert_array_equal(romano_wolf(t, boot), _get_rwolf_pval(t, boot))


def test_romano_wolf_equals_pyfixest_rwolf_end_to_end():
    """Unweighted models, G = 10, full enumeration (deterministic) in both."""
    import pyfixest as pf

    df = _data(seed=8, G=10, n=250)
    rng = np.random.default_rng(1)
    df["y2"] = 0.5 * df["y"] + rng.normal(size=len(df))
    df["y3"] = rng.normal(size=len(df)) + 0.2 * df["x"]
    fits = [pf.feols(f"{y} ~ x + z", data=df, vcov={"CRV1": "g"}) for y in ("y", "y2", "y3")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.rwolf(fits, "x", reps=9999, seed=5)
    p_ref = ref.loc["RW Pr(>|t|)"].to_numpy(dtype=float)
    joint = wild_bootstrap_t(
        ["y ~ x + z", "y2 ~ x + z", "y3 ~ x + z"], df, params=["x"], cluster="g"
    )
    assert joint.full_enumeration and joint.reps == 1024
    mine = romano_wolf(joint.t_stats, joint.boot_t)
    # equal up to the v = +-1 ties (|t*| = |t| exactly), at most 2 of 1025
    assert np.max(np.abs(mine - p_ref)) <= 2 / 1025 + 1e-12


def test_romano_wolf_properties():
    rng = np.random.default_rng(3)
    S, B = 6, 1999
    boot = rng.normal(size=(B, S)) @ np.linalg.cholesky(0.3 * np.eye(S) + 0.7).T
    t = np.array([0.3, 2.9, -1.7, 2.2, -0.8, 3.6])
    adj = romano_wolf(t, boot)
    single = (1 + (np.abs(boot) >= np.abs(t)).sum(axis=0)) / (B + 1)
    assert np.all(adj >= single - 1e-15)
    order = np.argsort(-np.abs(t))
    assert np.all(np.diff(adj[order]) >= 0)  # monotone in |t|
    top = order[0]
    maxt = (1 + (np.abs(boot).max(axis=1) >= abs(t[top])).sum()) / (B + 1)
    assert adj[top] == maxt
    with pytest.raises(DataError):
        romano_wolf(t, boot[:, :3])


def test_holm_bonferroni_equal_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.2, 0.005])
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], atol=1e-15)
    np.testing.assert_allclose(bonferroni(p), multipletests(p, method="bonferroni")[1])
    with pytest.raises(DataError):
        holm([0.2, 1.3])


# ------------------------------------------------------------------------------ Monte Carlo
@pytest.mark.slow
def test_wcr_size_with_few_clusters():
    """G = 8 clusters of unequal size, null true, cluster effects in x and in the errors: WCR
    (Rademacher, full enumeration) rejects at about 5% while the CRV1 t test (t with G - 1 df)
    over-rejects. Measured (seed 2024, 400 samples): WCR counting ties (default) 0.070, WCR
    excluding ties 0.0775, CRV1-t 0.1275 (Monte Carlo sd of a 5% rate: 0.011)."""
    rng = np.random.default_rng(2024)
    n_sim, G = 400, 8
    rej_wcr = rej_t = 0
    from scipy import stats

    for _ in range(n_sim):
        sizes = rng.integers(10, 60, G)
        g = np.repeat(np.arange(G), sizes)
        n = len(g)
        x = rng.normal(size=G)[g] + rng.normal(size=n)
        y = rng.normal(size=G)[g] + rng.normal(size=n)
        df = pd.DataFrame({"y": y, "x": x, "g": g, "w": rng.uniform(0.5, 2, n)})
        r = wild_cluster_bootstrap("y ~ x", df, param="x", cluster="g", weights="w")
        rej_wcr += r.p_value < 0.05
        rej_t += 2 * stats.t.sf(abs(r.statistic), G - 1) < 0.05
    assert abs(rej_wcr / n_sim - 0.05) < 0.025  # 400 samples: MC sd of a 5% rate is 0.011
    assert rej_t / n_sim > rej_wcr / n_sim + 0.02


# ------------------------------------------------------------------------------ review: odd input
def test_row_order_does_not_change_random_draws():
    """Draw g goes to the g-th sorted cluster id: shuffling the rows (and a string index) gave
    another p-value for the same seed (0.365 vs 0.437 here)."""
    df = _data(seed=5, G=30, n=600)
    kw = dict(param="x", cluster="g", fixed_effects=["f"], weights="w", reps=499, random_state=7)
    a = wild_cluster_bootstrap("y ~ x + z", df, **kw)
    sh = df.sample(frac=1, random_state=3)
    b = wild_cluster_bootstrap("y ~ x + z", sh.set_axis([f"r{i}" for i in range(len(sh))]), **kw)
    np.testing.assert_allclose(b.boot_t, a.boot_t, rtol=0, atol=1e-10)
    assert a.p_value == b.p_value and not a.full_enumeration
    joint = wild_bootstrap_t(
        ["y ~ x + z"], sh, params=["x"], cluster="g", fixed_effects=["f"], reps=9, random_state=0
    )
    np.testing.assert_array_equal(joint.clusters, np.arange(30))


def test_perfect_fit_raises_instead_of_p_zero():
    """A constant outcome gave t = NaN and p = 0; an outcome absorbed by the fixed effects gave
    a t statistic of rounding noise."""
    df = _data(seed=5, G=12, n=200)
    kw = dict(param="x", cluster="g", weights="w")
    with pytest.raises(VarianceError, match="perfect fit"):
        wild_cluster_bootstrap("y ~ x + z", df.assign(y=1.0), **kw)
    with pytest.raises(VarianceError, match="perfect fit"):
        wild_cluster_bootstrap("y ~ x + z", df.assign(y=df.f * 1.0), fixed_effects=["f"], **kw)


def test_outcome_scale_does_not_change_t_or_p():
    """y * 1e-300 underflowed in the sums of squares (t = inf); t and p are scale-free.
    (y * 1e150 with fixed effects fails earlier, in fit_ols' pyfixest demeaning.)"""
    df = _data(seed=5, G=12, n=200)
    kw = dict(param="x", cluster="g", weights="w")
    for k, fe in ((1e-300, ["f"]), (1e-150, ["f"]), (1e150, None)):
        a = wild_cluster_bootstrap("y ~ x + z", df, fixed_effects=fe, **kw)
        b = wild_cluster_bootstrap("y ~ x + z", df.assign(y=df.y * k), fixed_effects=fe, **kw)
        assert b.statistic == pytest.approx(a.statistic, rel=1e-9)
        assert b.p_value == a.p_value
        assert b.estimate == pytest.approx(a.estimate * k, rel=1e-9)
    a = wild_cluster_bootstrap("y ~ x + z", df, fixed_effects=["f"], **kw)
    c = wild_cluster_bootstrap("y ~ x + z", df.assign(x=df.x * 1e-200), fixed_effects=["f"], **kw)
    assert c.statistic == pytest.approx(a.statistic, rel=1e-9) and c.p_value == a.p_value


def test_multiple_testing_bad_input_named_errors():
    with pytest.raises(DataError, match="B >= 1"):
        romano_wolf([1.0, 2.0], np.zeros((0, 2)))  # was p = 1 from no bootstrap sample
    with pytest.raises(DataError, match="dimension"):
        holm([[0.01, 0.2], [0.03, 0.5]])  # was flattened into one family of 4
    with pytest.raises(DataError, match="dimension"):
        romano_wolf([[1.0, 2.0]], np.ones((5, 2)))
    with pytest.raises(DataError, match="expected numbers"):
        holm([True, False])  # was read as p = 1 and p = 0
    with pytest.raises(DataError, match="expected numbers"):
        bonferroni(["0.1"])
    with pytest.raises(DataError, match="expected numbers"):
        romano_wolf(["a"], [[1.0]])
    np.testing.assert_allclose(holm(pd.Series([0.01, 0.04], dtype="Float64")), [0.02, 0.04])
    assert holm(0.03).tolist() == [0.03]
