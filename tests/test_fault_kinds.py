"""Fault kinds K02-K09 of ../shared/reference/fault_kinds.md, made impossible in general."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from welfare.data import SurveyDesign
from welfare.errors import MissingColumnError, UnknownOptionError, VarianceError
from welfare.inference.linear import fit_ols
from welfare.participation import logit, lpm, probit
from welfare.premium import ols_premium, raw_gap


# ---------------------------------------------------------------- K02
def _k02_data(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "w": rng.uniform(1, 10, n)})
    df["y"] = 1 + 0.5 * x + rng.normal(size=n)
    df["d"] = (rng.random(n) < 0.4).astype(float)
    df["inc"] = np.exp(df["y"])
    return df


def test_k02_iid_variance_with_pweights_is_refused_everywhere():
    df = _k02_data()
    des = SurveyDesign(weights="w", weight_type="pweight")
    with pytest.raises(VarianceError, match="pweights"):
        fit_ols("y ~ x", df, design=des, vcov="iid")
    with pytest.raises(VarianceError):
        probit("d ~ x", df, design=des, vcov="iid")
    with pytest.raises(VarianceError):
        lpm("d ~ x", df, design=des, vcov="iid")
    with pytest.raises(VarianceError):
        raw_gap(df, outcome="inc", treatment="d", design=des, vcov="iid")
    with pytest.raises(VarianceError):
        ols_premium(df, outcome="inc", treatment="d", design=des, vcov="iid")


def test_k02_pweights_default_to_a_sandwich():
    df = _k02_data()
    res = fit_ols("y ~ x", df, design=SurveyDesign(weights="w"))
    assert res.vcov_spec.kind == "HC1"
    # aweights may use the iid variance (analytic weights are inverse variances)
    res_a = fit_ols(
        "y ~ x", df, design=SurveyDesign(weights="w", weight_type="aweight"), vcov="iid"
    )
    assert res_a.vcov_spec.kind == "iid"


@pytest.mark.slow
def test_k02_monte_carlo_sd_matches_reported_se():
    des = SurveyDesign(weights="w")
    est, se = [], []
    for r in range(400):
        res = fit_ols("y ~ x", _k02_data(seed=r), design=des)
        t = res.tidy().set_index("term").loc["x"]
        est.append(t.estimate)
        se.append(t.std_error)
    ratio = np.std(est, ddof=1) / np.mean(se)
    assert 0.9 < ratio < 1.1, ratio


# ---------------------------------------------------------------- K03
def test_k03_cluster_t_reference_with_g_minus_1_df():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"g": np.repeat([1, 2, 3], 50), "x": rng.normal(size=150)})
    df["y"] = 0.3 * df["x"] + rng.normal(size=150) + df["g"]
    res = fit_ols("y ~ x", df, cluster="g", vcov="CRV1")
    assert res.df == 2 and res.vcov_spec.n_clusters == 3
    t = res.tidy().set_index("term").loc["x"]
    assert t.p_value == pytest.approx(2 * stats.t.sf(abs(t.statistic), 2), rel=1e-12)
    # the fault kind's number: t = 22.5 with 2 df gives p ~ 0.002, not ~ 0
    assert 2 * stats.t.sf(22.5, 2) == pytest.approx(0.00197, abs=5e-5)
    assert res.metadata()["reference"] == "t"
    # ML estimators use z, as Stata does, and say so
    df["d"] = (df["y"] > df["y"].median()).astype(float)
    pr = probit("d ~ x", df, cluster="g", vcov="CRV1")
    assert pr.df is None and pr.metadata()["reference"] == "z"


# ---------------------------------------------------------------- K04
def test_k04_misspelled_keyword_raises_with_allowed_names():
    df = _k02_data()
    with pytest.raises(UnknownOptionError, match=r"clsuter.*did you mean 'cluster'.*allowed"):
        fit_ols("y ~ x", df, clsuter="x")
    with pytest.raises(UnknownOptionError, match="cluster"):
        probit("d ~ x", df, clusters="x")
    with pytest.raises(UnknownOptionError, match="allowed"):
        raw_gap(df, outcome="inc", treatment="d", vce="iid")
    with pytest.raises(UnknownOptionError, match="expected one of"):
        probit("d ~ x", df, vcov="crv1")
    with pytest.raises(MissingColumnError, match="village"):
        probit("d ~ x", df, cluster="village", vcov="CRV1")


# ---------------------------------------------------------------- K05
def test_k05_same_sample_for_every_variance_and_drops_counted():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"x": rng.normal(size=100), "g": np.repeat(np.arange(10), 10).astype(float)})
    df["y"] = df["x"] + rng.normal(size=100)
    df.loc[[0, 1, 2, 3, 4], "g"] = np.nan
    df.loc[[4, 50, 60], "x"] = np.nan
    before = df.copy()
    fits = {v: fit_ols("y ~ x", df, cluster="g", vcov=v) for v in ("iid", "HC1", "CRV1")}
    n = {v: r.n_obs for v, r in fits.items()}
    assert set(n.values()) == {93}
    for r in fits.values():
        assert dict(r.sample.dropped) == {"missing regressor 'x'": 3, "missing cluster/PSU 'g'": 4}
        assert np.array_equal(r.sample.mask, fits["iid"].sample.mask)
    pd.testing.assert_frame_equal(df, before)


# ---------------------------------------------------------------- K06
def test_k06_ame_rebuilds_interactions_from_the_formula():
    rng = np.random.default_rng(6)
    n = 5000
    df = pd.DataFrame({"x": rng.normal(size=n), "z": (rng.random(n) < 0.5).astype(float)})
    eta = -0.2 + 0.8 * df.x + 0.5 * df.z - 0.6 * df.x * df.z
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    res = logit("y ~ x + z + x:z", df, vcov="iid")
    # outside fit: statsmodels Logit on the same design
    X = np.column_stack([np.ones(n), df.x, df.z, df.x * df.z])
    b = sm.Logit(df.y.to_numpy(), X).fit(disp=0, tol=1e-12).params
    assert np.allclose(res.params.to_numpy(), b, atol=1e-7)
    p = 1 / (1 + np.exp(-(X @ b)))
    hand = np.mean(p * (1 - p) * (b[1] + b[3] * df.z))
    ame = res.ame(["x"]).params["x"]
    assert ame == pytest.approx(hand, rel=1e-7)
    # the naive AME that ignores the interaction is measurably different
    assert abs(np.mean(p * (1 - p)) * b[1] - hand) > 0.01


def test_k06_ame_rebuilds_polynomials_from_the_formula():
    rng = np.random.default_rng(7)
    n = 5000
    df = pd.DataFrame({"x": rng.normal(1, 1, size=n)})
    eta = -0.5 + 0.9 * df.x - 0.4 * df.x**2
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    res = logit("y ~ x + I(x**2)", df, vcov="iid")
    b = res.params.to_numpy()
    X = np.column_stack([np.ones(n), df.x, df.x**2])
    p = 1 / (1 + np.exp(-(X @ b)))
    hand = np.mean(p * (1 - p) * (b[1] + 2 * b[2] * df.x))
    assert res.ame(["x"]).params["x"] == pytest.approx(hand, rel=1e-7)


def test_ame_delta_method_matches_numerical_gradient():
    """Analytic delta-method gradient vs a finite-difference gradient of the AME in b."""
    rng = np.random.default_rng(8)
    n = 800
    df = pd.DataFrame({"x": rng.normal(size=n), "z": (rng.random(n) < 0.5).astype(float)})
    df["y"] = (rng.random(n) < stats.norm.cdf(0.3 + 0.7 * df.x - 0.5 * df.z)).astype(float)
    res = probit("y ~ x + z + I(x**2)", df, vcov="iid")
    b0 = res.params.to_numpy()
    X = np.column_stack([np.ones(n), df.x, df.z, df.x**2])

    def ame(b):
        return np.mean(stats.norm.pdf(X @ b) * (b[1] + 2 * b[3] * df.x))

    grad = np.array([(ame(b0 + e) - ame(b0 - e)) / 2e-6 for e in np.eye(4) * 1e-6])
    se = np.sqrt(grad @ res.vcov.to_numpy() @ grad)
    out = res.ame(["x"]).tidy().set_index("term").loc["x"]
    assert out.estimate == pytest.approx(ame(b0), rel=1e-7)
    assert out.std_error == pytest.approx(se, rel=1e-5)


def test_k04_misspelled_design_keyword():
    with pytest.raises(UnknownOptionError, match="did you mean 'weights'"):
        SurveyDesign(wieghts="w")


def test_ame_with_vcov_refits_the_model_on_the_same_sample():
    df = _k02_data()
    df["g"] = np.arange(len(df)) % 40
    ame = probit("d ~ x", df, cluster="g").ame()
    hc = ame.with_vcov("HC1")
    direct = probit("d ~ x", df, vcov="HC1").ame()
    assert hc.vcov_spec.kind == "HC1" and hc.n_obs == ame.n_obs
    np.testing.assert_allclose(hc.std_errors, direct.std_errors, rtol=1e-12)


# ---------------------------------------------------------------- K07
def _k07_data():
    # 10 treated, 30 controls, a score rounded to 2 decimals: many exact and near ties
    rng = np.random.default_rng(7)
    score = np.round(np.concatenate([rng.uniform(0.3, 0.6, 10), rng.uniform(0.2, 0.5, 30)]), 2)
    d = np.r_[np.ones(10), np.zeros(30)]
    return pd.DataFrame({"score": score, "d": d, "y": rng.normal(size=40) + d})


def test_k07_ties_are_all_kept_and_row_order_does_not_matter():
    from welfare.premium import nn_match

    df = _k07_data()
    kw = {"outcome": "y", "treatment": "d", "covariates": ["score"], "metric": "euclidean"}
    kw["scale"] = "levels"
    for estimand in ("ATE", "ATT"):
        a = nn_match(df, estimand=estimand, **kw)
        for seed in range(3):
            b = nn_match(df.sample(frac=1, random_state=seed).reset_index(drop=True),
                         estimand=estimand, **kw)  # fmt: skip
            assert a.params.iloc[0] == pytest.approx(b.params.iloc[0], rel=1e-13)
            assert a.std_errors.iloc[0] == pytest.approx(b.std_errors.iloc[0], rel=1e-12)
    # the documented rule, by hand: every control at the minimum |score difference| is used,
    # equal differences such as |0.35 - 0.34| and |0.33 - 0.34| included
    att = nn_match(df, estimand="ATT", **kw)
    t, c = df[df.d == 1], df[df.d == 0]
    hand = []
    for s, y in zip(t.score, t.y, strict=True):
        dist = np.round(np.abs(c.score.to_numpy() - s), 10)
        hand.append(y - c.y.to_numpy()[dist == dist.min()].mean())
    assert att.params["ATT"] == pytest.approx(np.mean(hand), rel=1e-12)
    assert att.extra["matches_max"] >= 2


# ---------------------------------------------------------------- K08
def _k08_data():
    t = [26, 72, 77, 61]
    c = [78, 45, 37, 80, 27, 55, 8, 82]
    age = np.array(t + c, dtype=float)
    d = np.r_[np.ones(4), np.zeros(8)]
    return pd.DataFrame({"age": age, "d": d, "y": 100 + age + 5 * d})


def test_k08_caliper_is_enforced_on_a_named_scale_and_unmatched_units_reported():
    from welfare.errors import OverlapError
    from welfare.premium import nn_match

    df = _k08_data()
    kw = {"outcome": "y", "treatment": "d", "covariates": ["age"], "metric": "euclidean"}
    kw.update(scale="levels", caliper=10.0)
    att = nn_match(df, estimand="ATT", **kw)  # every treated has a control within 10 years
    assert att.extra["max_match_distance"] <= 10
    assert att.extra["n_unmatched_treated"] == 0
    # hand: 26->27, 72->78, 77->78, 61->55 (age differences 1, 6, 1, -6)
    assert att.params["ATT"] == pytest.approx(5 + np.mean([-1, -6, -1, 6]), abs=1e-12)
    with pytest.raises(OverlapError, match="3 controls without one"):
        nn_match(df, estimand="ATE", **kw)  # 45, 37 and 8 have no treated within 10 years
    ate = nn_match(df, estimand="ATE", unmatched="drop", **kw)
    assert ate.extra["n_unmatched_controls"] == 3
    assert ate.extra["max_match_distance"] <= 10
    assert any("caliper 10 in euclidean distance units" in n for n in ate.notes)
    assert any("3 controls" in n for n in ate.notes)


def test_k08_ps_caliper_scale_must_be_named():
    from welfare.premium import ps_match

    df = _k08_data()
    with pytest.raises(UnknownOptionError, match="caliper_scale"):
        ps_match(df, outcome="y", treatment="d", propensity=["age"], caliper=0.05)


# ---------------------------------------------------------------- K09
def _k09_data():
    rng = np.random.default_rng(9)
    x = rng.uniform(size=500)
    d = (rng.uniform(size=500) < np.where(x < 0.1, 0.0, 0.5)).astype(float)
    return pd.DataFrame({"x": x, "low": (x < 0.1).astype(float), "d": d,
                         "y": 1 + x + d + rng.normal(size=500)})  # fmt: skip


def test_k09_propensity_of_zero_gives_a_named_overlap_error():
    from welfare.errors import OverlapError
    from welfare.premium import aipw, ipw, ps_match

    df = _k09_data()
    kw = {"outcome": "y", "treatment": "d", "propensity": ["x", "low"], "scale": "levels"}
    for f in (ipw, ps_match):
        with pytest.raises(OverlapError, match="predict the treatment perfectly"):
            f(df, **kw)
    with pytest.raises(OverlapError):
        aipw(df, covariates=["x"], **kw)


def test_k09_trimming_and_clipping_report_bounds_and_counts_never_nan():
    from welfare.errors import OverlapError
    from welfare.premium import ipw

    df = _k09_data()
    kw = {"outcome": "y", "treatment": "d", "propensity": ["x"], "scale": "levels"}
    fitted = sm.Logit(df["d"], sm.add_constant(df[["x"]])).fit(disp=0).predict()
    bounds = (0.35, 0.6)
    n_out = int(((fitted < bounds[0]) | (fitted > bounds[1])).sum())
    assert n_out > 0
    with pytest.raises(OverlapError, match="overlap"):
        ipw(df, overlap_bounds=bounds, **kw)
    clip = ipw(df, overlap="clip", overlap_bounds=bounds, **kw)
    ov = clip.extra["overlap"]
    assert ov["rule"] == "clip" and ov["bounds"] == bounds
    assert ov["n_below"] + ov["n_above"] == n_out and clip.n_obs == 500
    trim = ipw(df, overlap="trim", overlap_bounds=bounds, **kw)
    assert trim.extra["overlap"]["n_below"] + trim.extra["overlap"]["n_above"] == n_out
    assert trim.n_obs == 500 - n_out
    assert any("trimmed" in r for r, _ in trim.sample.dropped)
    for r in (clip, trim):
        assert np.isfinite(r.params).all() and np.isfinite(r.std_errors).all()
        assert any("overlap rule" in n for n in r.notes)


# ---------------------------------------------------------------- small integer types
def test_int8_columns_do_not_wrap_around_in_formula_transformations():
    rng = np.random.default_rng(1)
    age = rng.integers(20, 60, size=400).astype(np.int8)  # as Stata files store it
    df = pd.DataFrame({"age": age, "d": (rng.uniform(size=400) < 0.4).astype(float)})
    a = probit("d ~ age + I(age**2)", df)
    b = probit("d ~ age + I(age**2)", df.astype({"age": "float64"}))
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
    r = fit_ols("d ~ age + I(age**2)", df)
    assert r.params["I(age ** 2)"] == pytest.approx(
        fit_ols("d ~ age + I(age**2)", df.astype({"age": "float64"})).params["I(age ** 2)"]
    )
