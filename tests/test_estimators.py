"""Estimators against outside references: pyfixest, hand computations, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from welfare.data import SurveyDesign
from welfare.errors import (
    MissingColumnError,
    OutcomeError,
    PerfectPredictionError,
    TreatmentError,
)
from welfare.inference.linear import _pyfixest_scores, fit_ols
from welfare.inference.vcov import meat, sandwich
from welfare.participation import logit, lpm, probit
from welfare.premium import ols_premium, raw_gap


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(11)
    n = 600
    df = pd.DataFrame(
        {
            "v": rng.integers(0, 30, n),
            "x": rng.normal(size=n),
            "z": rng.normal(size=n),
            "w": rng.uniform(1, 6, n),
        }
    )
    df["s"] = df["v"] % 3
    df["y"] = 1 + 0.5 * df.x - 0.2 * df.z + 0.1 * df.v + rng.normal(size=n)
    df["d"] = (rng.random(n) < 1 / (1 + np.exp(-(0.3 * df.x - 0.2)))).astype(float)
    df["inc"] = np.exp(8 + 0.3 * df.d + 0.2 * df.x + rng.normal(0, 0.5, n))
    return df


@pytest.mark.parametrize(
    "vcov,pf_vcov", [("iid", "iid"), ("HC1", "hetero"), ("CRV1", {"CRV1": "v"})]
)
def test_linear_matches_pyfixest_public_output(panel, vcov, pf_vcov):
    des = SurveyDesign(weights="w", weight_type="aweight")
    ours = fit_ols(
        "y ~ x + z",
        panel,
        fixed_effects=["v"],
        design=des,
        cluster="v" if vcov == "CRV1" else None,
        vcov=vcov,
    )
    ref = pf.feols("y ~ x + z | v", data=panel, weights="w", vcov=pf_vcov)
    t = ours.tidy().set_index("term")
    np.testing.assert_allclose(t["estimate"], ref.coef().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(t["std_error"], ref.se().to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(t["p_value"], ref.pvalue().to_numpy(), rtol=1e-8, atol=1e-12)


def test_pyfixest_scores_rebuild_its_crv1(panel):
    """The arrays read from pyfixest for the design variance reproduce its own CRV1."""
    fit = pf.feols("y ~ x + z | v", data=panel, weights="w", vcov={"CRV1": "v"})
    scores, bread = _pyfixest_scores(fit)
    m, g, _ = meat(scores, clusters=panel["v"].to_numpy())
    n, k = len(panel), 2
    v = sandwich(bread, m, g / (g - 1) * (n - 1) / (n - k - 1))
    np.testing.assert_allclose(np.sqrt(np.diag(v)), fit.se().to_numpy(), rtol=1e-10)


def test_stratified_design_variance_by_hand():
    """Mean of y = (1, 3 | 5, 11), one unit per PSU, two strata of two PSUs, equal weights.

    Stratified with-replacement variance of the mean: sum_h (N_h/N)^2 s_h^2 / n_h
    = (1/2)^2 * 2/2 + (1/2)^2 * 18/2 = 2.5; df = 4 PSUs - 2 strata = 2.
    """
    df = pd.DataFrame({"y": [1.0, 3.0, 5.0, 11.0], "psu": [1, 2, 3, 4], "h": [1, 1, 2, 2]})
    res = fit_ols("y ~ 1", df, design=SurveyDesign(psu="psu", strata="h"))
    t = res.tidy().iloc[0]
    assert t.estimate == pytest.approx(5.0)
    assert t.std_error == pytest.approx(np.sqrt(2.5), rel=1e-12)
    assert res.df == 2 and res.vcov_spec.kind == "design"


def test_design_variance_with_single_stratum_is_crv1_without_n_k_factor(panel):
    des_s = SurveyDesign(weights="w", psu="v", strata="one")
    df = panel.assign(one=1)
    a = fit_ols("y ~ x", df, design=des_s)
    b = fit_ols("y ~ x", df, design=SurveyDesign(weights="w", psu="v"))
    n, k = len(df), 2
    ratio = (b.std_errors / a.std_errors) ** 2
    np.testing.assert_allclose(ratio, (n - 1) / (n - k), rtol=1e-10)


def test_probit_pweights_equal_statsmodels_glm_point_estimates(panel):
    import statsmodels.api as sm

    res = probit("d ~ x + z", panel, design=SurveyDesign(weights="w"))
    X = sm.add_constant(panel[["x", "z"]].to_numpy())
    glm = sm.GLM(
        panel.d.to_numpy(),
        X,
        family=sm.families.Binomial(sm.families.links.Probit()),
        var_weights=panel.w.to_numpy(),
    ).fit(tol=1e-12)
    np.testing.assert_allclose(res.params.to_numpy(), glm.params, rtol=1e-7)
    assert res.vcov_spec.kind == "HC1"


def test_fweights_equal_expanded_data():
    rng = np.random.default_rng(1)
    n = 1000
    raw = pd.DataFrame(
        {"y": rng.integers(0, 3, n), "x": rng.integers(0, 4, n), "g": rng.integers(1, 11, n)}
    )
    raw["b"] = (raw.y > 0).astype(float)
    col = raw.groupby(["y", "x", "g", "b"]).size().rename("f").reset_index()
    des = SurveyDesign(weights="f", weight_type="fweight")
    for vcov, cl in (("iid", None), ("HC1", None), ("CRV1", "g")):
        e = fit_ols("y ~ x", raw, cluster=cl, vcov=vcov)
        c = fit_ols("y ~ x", col, design=des, cluster=cl, vcov=vcov)
        np.testing.assert_allclose(c.params, e.params, rtol=1e-10)
        np.testing.assert_allclose(c.std_errors, e.std_errors, rtol=1e-10)
        pe = probit("b ~ x", raw, cluster=cl, vcov=vcov)
        pc = probit("b ~ x", col, design=des, cluster=cl, vcov=vcov)
        np.testing.assert_allclose(pc.params, pe.params, rtol=1e-8)
        np.testing.assert_allclose(pc.std_errors, pe.std_errors, rtol=1e-8)
        assert pc.n_obs == pe.n_obs == n


def test_results_are_immutable_and_with_vcov_gives_new_object(panel):
    res = fit_ols("y ~ x", panel, cluster="v")
    with pytest.raises(AttributeError):
        res.estimator = "x"
    with pytest.raises(ValueError):
        res._est[0] = 1.0
    p = res.params
    p.iloc[0] = 99.0
    assert res.params.iloc[0] != 99.0
    other = res.with_vcov("HC1")
    assert other is not res and other.vcov_spec.kind == "HC1" and res.vcov_spec.kind == "CRV1"
    assert other.n_obs == res.n_obs
    assert list(res.tidy().columns) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
    ]
    meta = res.metadata()
    for k in ("estimator", "estimand", "vcov", "n_obs", "n_clusters", "df"):
        assert k in meta


# ---------------------------------------------------------------- bad input
def test_bad_inputs_raise_named_errors_and_leave_data_unchanged(panel):
    df = panel.copy()
    before = df.copy()
    with pytest.raises(MissingColumnError, match="xx"):
        probit("d ~ xx", df)
    with pytest.raises(TreatmentError, match="0/1"):
        probit("y ~ x", df)
    with pytest.raises(TreatmentError, match="no variation"):
        logit("d ~ x", df.assign(d=1.0))
    with pytest.raises(TreatmentError, match="0/1"):
        raw_gap(df, outcome="inc", treatment="y")
    with pytest.raises(TreatmentError, match="no variation"):
        ols_premium(df.assign(d=0.0), outcome="inc", treatment="d")
    with pytest.raises(TreatmentError):
        lpm("y ~ x", df)
    with pytest.raises(OutcomeError, match="zero/negative"):
        ols_premium(df.assign(inc=df.inc.where(df.index > 3, 0.0)), outcome="inc", treatment="d")
    # levels accept zeros
    ols_premium(
        df.assign(inc=df.inc.where(df.index > 3, 0.0)), outcome="inc", treatment="d", scale="levels"
    )
    pd.testing.assert_frame_equal(df, before)


def test_perfect_prediction_is_named(panel):
    df = panel.copy()
    df["sep"] = 0.0
    df.loc[df.d == 1, "sep"] = (df.loc[df.d == 1].index % 2).astype(float)  # sep=1 -> d=1 always
    with pytest.raises(PerfectPredictionError, match="'sep' == 1 predicts"):
        probit("d ~ x + sep", df)
    df["cont"] = df.d * 10 + df.x * 0.01  # complete separation by a continuous regressor
    with pytest.raises(PerfectPredictionError):
        logit("d ~ cont", df)


def test_singleton_fixed_effects_are_dropped_and_counted(panel):
    df = panel.copy()
    df.loc[0, "v"] = 999  # a village with one household
    res = ols_premium(df, outcome="inc", treatment="d", fixed_effects=["v"], cluster="v")
    assert dict(res.sample.dropped) == {"singleton fixed-effect group (v)": 1}
    assert res.n_obs == len(df) - 1


def test_string_where_a_list_is_expected_is_refused(panel):
    from welfare.errors import UnknownOptionError

    with pytest.raises(UnknownOptionError, match=r"controls=\['x'\]"):
        ols_premium(panel, outcome="inc", treatment="d", controls="x")
    with pytest.raises(UnknownOptionError, match="fixed_effects"):
        fit_ols("y ~ x", panel, fixed_effects="v")
    with pytest.raises(MissingColumnError, match="did you mean 'x'"):
        probit("d ~ x", panel).ame(["xx"]) if False else ols_premium(
            panel, outcome="inc", treatment="d", controls=["xx"]
        )


def test_format_number_keeps_tiny_effects_readable():
    from welfare.report.tables import format_number

    assert format_number(0.0123) == "0.012"
    assert format_number(-7.44e-06) == "-7.44e-06"
    assert format_number(0.0) == "0.000"
    assert format_number(0.25, 3, True) == "+0.250"
