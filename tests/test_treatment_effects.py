"""Weighting, regression adjustment and matching (issue 3) against published Stata outputs,
hand computations and known truths."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import assert_printed, reference_case, shared_file
from welfare.data import SurveyDesign
from welfare.errors import (
    CollinearityError,
    EmptySampleError,
    TreatmentError,
    UnknownOptionError,
)
from welfare.premium import aipw, balance, ipw, ipwra, nn_match, ps_match, ra

PS_PROBIT = "mmarried + mage + I(mage**2) + fbaby + medu"
OUTCOME_COV = ["prenatal1", "mmarried", "mage", "fbaby"]
MATCH_COV = ["mmarried", "mage", "fage", "medu", "prenatal1"]
KW = {"outcome": "bweight", "treatment": "mbsmoke", "scale": "levels"}


@pytest.fixture(scope="module")
def cattaneo2():
    # numeric codes as stored (0/1), not value labels; int8 columns kept as in the file, so the
    # I(mage**2) term also checks that small integer types do not overflow
    return pd.read_stata(shared_file("data", "cattaneo2.dta"), convert_categoricals=False)


def _fit(method, df, **kw):
    if method == "ra":
        return ra(df, covariates=OUTCOME_COV, **KW, **kw)
    if method == "ipw":
        return ipw(df, propensity=PS_PROBIT, link="probit", **KW, **kw)
    if method == "aipw":
        return aipw(df, covariates=OUTCOME_COV, propensity=PS_PROBIT, link="probit", **KW, **kw)
    return ipwra(df, covariates=OUTCOME_COV, propensity=PS_PROBIT, link="probit", **KW, **kw)


def _rel(ours, ref):
    return abs(ours - ref) / abs(ref)


# ---------------------------------------------------------------- cases.toml (Stata teffects)
@pytest.mark.parametrize("method", ["ra", "ipw", "aipw", "ipwra"])
def test_teffects_ate_matches_stata(cattaneo2, method):
    case = reference_case(f"cattaneo2_{method}_ate")
    res = _fit(method, cattaneo2)
    t = res.tidy().set_index("term")
    assert _rel(t.loc["ATE", "estimate"], case["value"]) <= case["rtol"]
    assert _rel(t.loc["ATE", "std_error"], case["se"]) <= case["se_rtol"]
    if "po_mean_control" in case:
        assert _rel(t.loc["POmean0", "estimate"], case["po_mean_control"]) <= case["rtol"]
    assert res.n_obs == 4642 and res.df is None  # z reference, as Stata
    assert res.vcov_spec.kind == "HC0"


def test_nnmatch_matches_stata(cattaneo2):
    case = reference_case("cattaneo2_nnmatch_ate")
    res = nn_match(cattaneo2, covariates=MATCH_COV, **KW)
    assert_printed(res.params["ATE"], case["value"], "nnmatch ATE")
    assert_printed(res.std_errors["ATE"], case["se"], "nnmatch AI SE")
    # Stata printed "Matches: requested = 1, min = 1, max = 16"
    assert (res.extra["matches_min"], res.extra["matches_max"]) == (1, 16)


def test_psmatch_matches_stata(cattaneo2):
    case = reference_case("cattaneo2_psmatch_ate")
    res = ps_match(cattaneo2, propensity=MATCH_COV, **KW)
    assert_printed(res.params["ATE"], case["value"], "psmatch ATE")
    assert_printed(res.std_errors["ATE"], case["se"], "psmatch AI (2016) SE")
    assert res.extra["ps_adjusted"]
    # without the adjustment the SE is off at the printed precision (the case's warning)
    unadjusted = np.sqrt(res.extra["variance_unadjusted"])
    assert abs(unadjusted - case["se"]) > 0.5e-5


# ATET tables of Stata 13 teffects on the same data and models, at full precision, as shipped in
# statsmodels' test results (statsmodels/treatment/tests/results/results_teffects.py,
# ``table_t``); cases.toml's rule for full-precision dumps (rtol 1e-6) applies.
STATA_ATET = {
    "ra": (-223.30165083857, 22.742195167601, 3360.9613730608),
    "ipw": (-225.17726054799, 23.664582726945, 3362.8369827702),
    "ipwra": (-223.54526198669, 23.79401566757, 3361.2049842089),
}


def test_stata_atet_tables_are_the_ones_shipped_with_statsmodels():
    from statsmodels.treatment.tests.results import results_teffects as st

    for m, key in (("ra", "results_ra"), ("ipw", "results_ipw"), ("ipwra", "results_ipwra")):
        table = getattr(st, key).table_t
        np.testing.assert_allclose(STATA_ATET[m], table[:2, :2].ravel()[[0, 1, 2]], rtol=1e-12)


@pytest.mark.parametrize("method", ["ra", "ipw", "ipwra"])
def test_teffects_att_matches_stata(cattaneo2, method):
    value, se, pomean0 = STATA_ATET[method]
    t = _fit(method, cattaneo2, estimand="ATT").tidy().set_index("term")
    assert _rel(t.loc["ATT", "estimate"], value) <= 1e-6
    assert _rel(t.loc["ATT", "std_error"], se) <= 1e-6
    assert _rel(t.loc["POmean0", "estimate"], pomean0) <= 1e-6


# ---------------------------------------------------------------- hand computations
def test_ipw_point_estimate_is_the_hajek_formula(cattaneo2):
    res = ipw(cattaneo2, propensity=PS_PROBIT, link="probit", estimand="ATT", **KW)
    p = res._ctx["ps"].score
    d = cattaneo2["mbsmoke"].to_numpy(float)
    y = cattaneo2["bweight"].to_numpy(float)
    w0 = (1 - d) * p / (1 - p)
    hand = y[d == 1].mean() - np.sum(w0 * y) / np.sum(w0)
    assert res.params["ATT"] == pytest.approx(hand, rel=1e-12)


def test_bias_adjustment_is_exact_for_noiseless_linear_outcomes():
    rng = np.random.default_rng(3)
    n = 300
    x1, x2 = rng.normal(size=n), rng.uniform(size=n)
    d = (rng.uniform(size=n) < 1 / (1 + np.exp(-x1))).astype(float)
    df = pd.DataFrame({"x1": x1, "x2": x2, "d": d, "y": 1 + 2 * x1 - 3 * x2 + 0.7 * d})
    kw = {"outcome": "y", "treatment": "d", "covariates": ["x1", "x2"], "scale": "levels"}
    plain = nn_match(df, **kw, estimand="ATT")
    adjusted = nn_match(df, **kw, estimand="ATT", bias_adjust=True)
    assert abs(plain.params["ATT"] - 0.7) > 1e-3  # matching discrepancies bias the raw match
    assert adjusted.params["ATT"] == pytest.approx(0.7, abs=1e-10)


def test_fweights_equal_expanded_rows(cattaneo2):
    small = cattaneo2.iloc[:600].copy()
    rng = np.random.default_rng(0)
    small["f"] = rng.integers(1, 4, size=len(small))
    expanded = small.loc[small.index.repeat(small["f"])].reset_index(drop=True)
    des = SurveyDesign(weights="f", weight_type="fweight")
    for method in ("ipw", "aipw", "ipwra", "ra"):
        a = _fit(method, small, design=des).tidy()
        b = _fit(method, expanded).tidy()
        np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-9)
        np.testing.assert_allclose(a["std_error"], b["std_error"], rtol=1e-7)
    a = nn_match(small, covariates=MATCH_COV, design=des, **KW)
    b = nn_match(expanded, covariates=MATCH_COV, **KW)
    assert a.params["ATE"] == pytest.approx(b.params["ATE"], rel=1e-12)
    assert a.std_errors["ATE"] == pytest.approx(b.std_errors["ATE"], rel=1e-12)


def test_equal_pweights_change_nothing(cattaneo2):
    df = cattaneo2.assign(w=2.5)
    des = SurveyDesign(weights="w")
    for method in ("ipw", "aipw"):
        a = _fit(method, df, design=des, vcov="HC0")
        b = _fit(method, cattaneo2)
        np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
        np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-8)
    a = nn_match(df, covariates=MATCH_COV, design=des, **KW)
    b = nn_match(cattaneo2, covariates=MATCH_COV, **KW)
    assert a.params["ATE"] == pytest.approx(b.params["ATE"], rel=1e-12)
    assert a.std_errors["ATE"] == pytest.approx(b.std_errors["ATE"], rel=1e-10)


def test_one_unit_clusters_give_the_robust_variance_times_g_over_g_minus_1(cattaneo2):
    df = cattaneo2.assign(unit=np.arange(len(cattaneo2)))
    g = len(df)
    for method in ("ipw", "ipwra"):
        a = _fit(method, df, cluster="unit")
        b = _fit(method, df)
        assert a.vcov_spec.kind == "CRV1" and a.vcov_spec.n_clusters == g
        np.testing.assert_allclose(a.std_errors, b.std_errors * np.sqrt(g / (g - 1)), rtol=1e-9)


# ---------------------------------------------------------------- invariance
def _permuted(df, seed=11):
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.mark.parametrize("method", ["ra", "ipw", "aipw", "ipwra"])
def test_weighting_estimates_do_not_depend_on_row_order(cattaneo2, method):
    a, b = _fit(method, cattaneo2), _fit(method, _permuted(cattaneo2))
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
    np.testing.assert_allclose(a.std_errors, b.std_errors, rtol=1e-8)


@pytest.mark.parametrize("estimand", ["ATE", "ATT", "ATC"])
def test_matching_estimates_do_not_depend_on_row_order(cattaneo2, estimand):
    perm = _permuted(cattaneo2)
    for f in (
        lambda df: nn_match(df, covariates=MATCH_COV, estimand=estimand, **KW),
        lambda df: ps_match(df, propensity=MATCH_COV, estimand=estimand, **KW),
    ):
        a, b = f(cattaneo2), f(perm)
        assert a.params.iloc[0] == pytest.approx(b.params.iloc[0], rel=1e-12)
        assert a.std_errors.iloc[0] == pytest.approx(b.std_errors.iloc[0], rel=1e-9)


# ---------------------------------------------------------------- known truth (synthetic twin)
def test_twin_effects_recovered_within_three_se(twin):
    from welfare.replicate.context import TWIN_SPEC

    cov = list(TWIN_SPEC.premium_controls)
    ps = list(TWIN_SPEC.participation_covariates)
    kw = {"outcome": "income_pc", "treatment": "e_household"}
    for estimand, truth in (("ATE", twin.truth["ate_log"]), ("ATT", twin.truth["att_log"])):
        fits = [
            aipw(twin.survey, covariates=cov, propensity=ps, estimand=estimand, **kw),
            ipwra(twin.survey, covariates=cov, propensity=ps, estimand=estimand, **kw),
            nn_match(
                twin.survey, covariates=cov, exact=["village_id"], bias_adjust=True,
                unmatched="drop", estimand=estimand, **kw,
            ),
        ]  # fmt: skip
        for r in fits:
            est, se = r.params[estimand], r.std_errors[estimand]
            assert abs(est - truth) < 3 * se, (r.estimator, estimand, est, truth, se)
            assert r.synthetic and r.vcov_spec.kind == "CRV1"  # the twin's villages are PSUs


# ---------------------------------------------------------------- balance
def test_ipw_with_a_saturated_propensity_balances_exactly():
    rng = np.random.default_rng(5)
    n = 400
    g = rng.integers(0, 2, size=n)
    d = (rng.uniform(size=n) < np.where(g == 1, 0.7, 0.3)).astype(float)
    df = pd.DataFrame({"g": g, "d": d, "y": rng.normal(size=n) + d + g})
    for estimand in ("ATE", "ATT"):
        res = ipw(df, outcome="y", treatment="d", propensity=["g"], estimand=estimand,
                  scale="levels")  # fmt: skip
        tab = balance(res).set_index("covariate")
        assert abs(tab.loc["g", "smd_before"]) > 0.5
        assert tab.loc["g", "smd_after"] == pytest.approx(0.0, abs=1e-10)
    exact = nn_match(df.assign(x=rng.normal(size=n)), outcome="y", treatment="d",
                     covariates=["x"], exact=["g"], scale="levels")  # fmt: skip
    tab = balance(exact, covariates=["g"]).set_index("covariate")
    assert tab.loc["g", "smd_after"] == pytest.approx(0.0, abs=1e-12)


def test_ra_balance_has_no_after_columns(cattaneo2):
    tab = balance(_fit("ra", cattaneo2))
    assert "smd_after" not in tab.columns and len(tab) == 4


# ---------------------------------------------------------------- bad input
def test_named_errors_for_bad_treatment(cattaneo2):
    df = cattaneo2.assign(t3=cattaneo2["mbsmoke"] + (cattaneo2["mage"] > 40))
    with pytest.raises(TreatmentError, match="0/1"):
        ipw(df, outcome="bweight", treatment="t3", propensity=["mage"], scale="levels")
    with pytest.raises(TreatmentError, match="no variation"):
        nn_match(cattaneo2.assign(z=0), outcome="bweight", treatment="z", covariates=["mage"])
    one_arm = cattaneo2.assign(t=np.where(cattaneo2["mage"] > 100, 1.0, 0.0))
    with pytest.raises(TreatmentError, match="both 0 and 1"):
        ps_match(one_arm, outcome="bweight", treatment="t", propensity=["mage"], scale="levels")


def test_named_errors_for_too_few_units_and_constant_covariates(cattaneo2):
    few = cattaneo2[(cattaneo2["mbsmoke"] == 1) | (cattaneo2.index < 3)]
    with pytest.raises(EmptySampleError, match="n_neighbors = 4 controls"):
        nn_match(few, covariates=["mage"], n_neighbors=4, estimand="ATT", **KW)
    with pytest.raises(CollinearityError, match="constant"):
        nn_match(cattaneo2.assign(c=1.0), covariates=["mage", "c"], **KW)
    with pytest.raises(CollinearityError):
        ipw(cattaneo2.assign(c=1.0), propensity=["mage", "c"], **KW)
    with pytest.raises(CollinearityError, match="treated"):
        # prenatal1 constant among smokers in this subset: RA cannot fit the treated model
        sub = cattaneo2[(cattaneo2["mbsmoke"] == 0) | (cattaneo2["prenatal1"] == 1)]
        ra(sub, covariates=["prenatal1", "mage"], **KW)


def test_unknown_options_are_refused(cattaneo2):
    with pytest.raises(UnknownOptionError, match="estimand"):
        ipw(cattaneo2, propensity=["mage"], estimand="LATE", **KW)
    with pytest.raises(UnknownOptionError, match="caliper_scale"):
        ps_match(cattaneo2, propensity=["mage"], caliper=0.01, **KW)
    with pytest.raises(UnknownOptionError, match="caliper_scale"):
        ps_match(cattaneo2, propensity=["mage"], caliper=0.01, caliper_scale="sd_index", **KW)
    with pytest.raises(TypeError, match="n_neighbours"):
        nn_match(cattaneo2, covariates=["mage"], n_neighbours=2, **KW)


def test_input_is_not_modified(cattaneo2):
    before = cattaneo2.copy()
    _fit("aipw", cattaneo2)
    ps_match(cattaneo2, propensity=MATCH_COV, **KW)
    pd.testing.assert_frame_equal(cattaneo2, before)


def test_one_stratum_design_equals_crv1_because_the_moments_sum_to_zero(twin):
    # linearisation: n_h/(n_h-1) sum (u_c - ubar)^2 with ubar = 0 at the solution = CRV1's meat
    from welfare.replicate.context import TWIN_SPEC

    kw = {"outcome": "income_pc", "treatment": "e_household"}
    cov = list(TWIN_SPEC.premium_controls)
    for f in (
        lambda v: aipw(twin.survey, covariates=cov, propensity=cov, vcov=v, **kw),
        lambda v: nn_match(twin.survey, covariates=cov, estimand="ATT", vcov=v, **kw),
    ):
        crv, lin = f("CRV1"), f("design")
        assert lin.vcov_spec.kind == "design" and lin.vcov_spec.n_strata == 1
        assert lin.std_errors.iloc[0] == pytest.approx(crv.std_errors.iloc[0], rel=1e-10)
        assert crv.with_vcov("design").std_errors.iloc[0] == lin.std_errors.iloc[0]


# ---------------------------------------------------------------- adversarial review (issue 3)
def _syn(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    d = (rng.uniform(size=n) < 1 / (1 + np.exp(-(0.5 * x1 - 0.4 * x2)))).astype(float)
    y = np.exp(1 + 0.3 * x1 + 0.2 * x2 + d * (0.4 + 0.2 * x1) + 0.3 * rng.normal(size=n))
    return pd.DataFrame({"y": y, "d": d, "x1": x1, "x2": x2, "w": rng.uniform(1, 3, n),
                         "v": rng.integers(0, 30, n)})  # fmt: skip


ALL_ESTIMATORS = {
    "ra": lambda df, **k: ra(df, covariates=["x1", "x2"], **k),
    "ipw": lambda df, **k: ipw(df, propensity=["x1", "x2"], **k),
    "aipw": lambda df, **k: aipw(df, covariates=["x1", "x2"], propensity=["x1", "x2"], **k),
    "ipwra": lambda df, **k: ipwra(df, covariates=["x1", "x2"], propensity=["x1", "x2"], **k),
    "ps_match": lambda df, **k: ps_match(df, propensity=["x1", "x2"], **k),
    "nn_match": lambda df, **k: nn_match(df, covariates=["x1", "x2"], **k),
}


@pytest.mark.parametrize("name", list(ALL_ESTIMATORS))
def test_atc_is_minus_the_att_of_the_reversed_treatment(name):
    df = _syn().assign(nd=lambda f: 1 - f["d"])
    f = ALL_ESTIMATORS[name]
    atc = f(df, outcome="y", treatment="d", estimand="ATC")
    att = f(df, outcome="y", treatment="nd", estimand="ATT")
    assert atc.params.iloc[0] == pytest.approx(-att.params.iloc[0], rel=1e-9)
    assert atc.std_errors.iloc[0] == pytest.approx(att.std_errors.iloc[0], rel=1e-9)


def test_ps_match_fweights_equal_expanded_rows_also_when_trimming(cattaneo2):
    small = cattaneo2.iloc[:600].copy()
    small["f"] = np.random.default_rng(0).integers(1, 4, size=len(small))
    expanded = small.loc[small.index.repeat(small["f"])].reset_index(drop=True)
    des = SurveyDesign(weights="f", weight_type="fweight")
    kw = {"propensity": MATCH_COV, **KW}
    a, b = ps_match(small, design=des, **kw), ps_match(expanded, **kw)
    assert a.extra["ps_adjusted"] and b.extra["ps_adjusted"]
    assert a.std_errors["ATE"] == pytest.approx(b.std_errors["ATE"], rel=1e-10)
    bounds = {"overlap": "trim", "overlap_bounds": (0.05, 0.95)}
    a, b = ps_match(small, design=des, **kw, **bounds), ps_match(expanded, **kw, **bounds)
    assert a.extra["overlap"]["n_below"] > 0
    assert a.params["ATE"] == pytest.approx(b.params["ATE"], rel=1e-10)


def test_reserved_and_internal_names_cannot_be_clobbered():
    from welfare.errors import DataError

    df = _syn()
    des = SurveyDesign(weights="w")
    ref = ipw(df, outcome="y", treatment="d", propensity=["x1", "x2"], design=des)
    for internal in ("_w_", "_welfare_weight_"):
        got = ipw(df.rename(columns={"x1": internal}), outcome="y", treatment="d",
                  propensity=[internal, "x2"], design=des)  # fmt: skip
        assert got.params["ATE"] == pytest.approx(ref.params["ATE"], rel=1e-12)
    with pytest.raises(DataError, match="reserved"):
        ra(df.rename(columns={"x1": "Intercept"}), outcome="y", treatment="d",
           covariates=["Intercept", "x2"])  # fmt: skip


def test_balance_of_a_separating_covariate_is_infinite_not_zero():
    df = _syn().assign(sep=lambda f: f["d"])
    r = nn_match(df, outcome="y", treatment="d", covariates=["x1", "x2"])
    tab = balance(r, covariates=["sep", "x1"]).set_index("covariate")
    assert tab.loc["sep", "smd_before"] == np.inf
    with pytest.raises(UnknownOptionError, match="outcome/treatment"):
        balance(r, covariates=["d"])
    with pytest.raises(UnknownOptionError, match="non-empty"):
        balance(r, covariates=[])


def test_one_unit_in_an_arm_and_constant_outcomes_are_refused():
    from welfare.errors import OutcomeError

    df = _syn()
    one = df.assign(d=(df.index == 0).astype(float))
    for f in ALL_ESTIMATORS.values():
        with pytest.raises(EmptySampleError, match="at least 2 treated"):
            f(one, outcome="y", treatment="d")
    with pytest.raises(OutcomeError, match="varies"):
        ipw(df.assign(y=5.0), outcome="y", treatment="d", propensity=["x1"])


def test_large_covariate_means_are_not_called_collinear_and_absurd_scales_raise():
    from welfare.errors import VarianceError

    df = _syn()
    a = ipw(df.assign(x1=df["x1"] + 1e7), outcome="y", treatment="d", propensity=["x1", "x2"])
    b = ipw(df, outcome="y", treatment="d", propensity=["x1", "x2"])
    assert a.params["ATE"] == pytest.approx(b.params["ATE"], rel=1e-6)
    with pytest.raises(VarianceError, match="rescale"):
        ra(df.assign(y=df["y"] * 1e155), outcome="y", treatment="d", covariates=["x1"],
           scale="levels")  # fmt: skip


def test_unmatched_units_dropped_are_counted_in_the_sample():
    df = _syn()
    df.loc[df["x1"] > 1.5, "d"] = 1.0  # a region without controls
    r = nn_match(df, outcome="y", treatment="d", covariates=["x1"], metric="euclidean",
                 caliper=0.05, unmatched="drop", estimand="ATT")  # fmt: skip
    n_drop = r.extra["n_unmatched_treated"]
    assert n_drop > 0 and r.n_obs == len(df) - n_drop
    assert any(reason.startswith("no match within the caliper") for reason, _ in r.sample.dropped)
    assert not r.extra.get("ps_adjusted", False)


def test_trimmed_scores_all_lie_inside_the_bounds():
    from welfare.premium import propensity_overlap

    rng = np.random.default_rng(18)
    x = rng.normal(size=300)
    d = (rng.uniform(size=300) < 1 / (1 + np.exp(-3 * x))).astype(float)
    df = pd.DataFrame({"x": x, "x2": x**2, "d": d, "y": x + d + rng.normal(size=300)})
    r = ipw(df, outcome="y", treatment="d", propensity=["x", "x2"], overlap="trim",
            scale="levels")  # fmt: skip
    s = propensity_overlap(r)["score"]
    assert s.min() >= 0.1 and s.max() <= 0.9
    ov = r.extra["overlap"]
    assert r.n_obs == 300 - ov["n_below"] - ov["n_above"]
    assert [n for reason, n in r.sample.dropped if "trimmed" in reason] == [300 - r.n_obs]


def test_option_values_are_checked_not_coerced(cattaneo2):
    from welfare.errors import ColumnTypeError

    df = _syn()
    kw = {"outcome": "y", "treatment": "d"}
    bad = [
        (lambda: ps_match(df, propensity=["x1"], ps_adjustment="no", **kw), "ps_adjustment"),
        (lambda: nn_match(df, covariates=["x1"], n_neighbors=True, **kw), "n_neighbors"),
        (lambda: nn_match(df, covariates=["x1"], caliper="0.1", **kw), "caliper"),
        (lambda: nn_match(df, covariates=["x1"], bias_adjust=1, **kw), "bias_adjust"),
        (lambda: nn_match(df, covariates="1", **kw), "at least one covariate"),
        (lambda: ipw(df, propensity="", **kw), "propensity"),
        (lambda: ra(df, covariates=None, **kw), "covariates"),
    ]
    for call, what in bad:
        with pytest.raises(UnknownOptionError, match=what):
            call()
    with pytest.raises(ColumnTypeError, match="dtype object"):
        ipw(df.assign(k=df["v"].astype(object)), propensity=["x1", "k"], **kw)


def test_drop_reasons_name_the_users_outcome_column_not_the_derived_log(twin):
    from welfare.premium import ols_premium

    kw = {"outcome": "income_pc", "treatment": "e_household"}
    for r in (
        ols_premium(twin.survey, controls=["head_age"], **kw),
        ipw(twin.survey, propensity=["head_age"], **kw),
    ):
        reasons = [reason for reason, _ in r.sample.dropped]
        assert "missing outcome 'income_pc'" in reasons
        assert not any("log_income_pc" in reason for reason in reasons)
