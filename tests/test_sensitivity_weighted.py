"""Weighted omitted-variable sensitivity (Cinelli-Hazlett, Oster) and Rosenbaum's normal bound.

References outside the code:
* Cinelli-Hazlett with weights: statsmodels ``WLS`` (classical t, ``df_resid``) on the same
  rows, pushed through the paper's formulas written out here (Cinelli & Hazlett 2020,
  doi:10.1111/rssb.12348: partial R2 = t^2/(t^2 + dof), RV eq. 18-19, benchmark bounds §6.2);
  constant weights against the unweighted fit (itself checked against R sensemakr's Darfur
  numbers in tests/test_sensitivity.py); frequency weights against the row-expanded data.
* Oster with weights: integer frequency weights against the row-expanded unweighted data (the
  unweighted path is checked by hand in tests/test_sensitivity.py); weighted moments and
  regressions written out with numpy (sqrt(w)-scaled least squares).
* Rosenbaum: the normal approximation against the exact bound distribution (checked by
  enumeration in tests/test_sensitivity.py) within the Berry-Esseen bound, and against an
  independent scipy computation of the same formula.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from tests.conftest import reference_case, shared_file
from welfare.data.design import SurveyDesign
from welfare.datasets import taobao_village_survey
from welfare.errors import VarianceError
from welfare.inference.linear import fit_ols
from welfare.robustness import cinelli_hazlett, oster_bounds, oster_delta, rosenbaum_bounds
from welfare.robustness.sensitivity import _oster_beta_roots

CONTROLS = ["head_age", "head_female", "head_urban_work", "head_ecom_knowledge", "hh_size"]
BENCH = "head_ecom_knowledge"


# --------------------------------------------------------------------------- helpers
def rv_paper(t, dof, q=1.0, alpha=None):
    """Robustness value written out from Cinelli & Hazlett (2020), eq. 18-19 (independent)."""
    fq = q * abs(t) / math.sqrt(dof)
    fs = 0.0 if alpha is None else abs(stats.t.ppf(alpha / 2, dof - 1)) / math.sqrt(dof - 1)
    f = fq - fs
    if f <= 0:
        return 0.0
    if fs > 0 and fq > 1 / fs:
        return (fq**2 - fs**2) / (1 + fq**2)
    return 0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2)


@pytest.fixture(scope="module")
def twin():
    """The synthetic Taobao twin (pweights, village PSUs), log income, complete cases."""
    s = taobao_village_survey()
    df = s.data
    assert (df["income_pc"].dropna() > 0).all()
    df = df.assign(log_inc=np.log(df["income_pc"]))
    return df, s.design


def _sm_design(df, cols, fe):
    X = df[cols].astype(float)
    X = pd.concat([X, pd.get_dummies(df[fe].astype(str), prefix=fe, drop_first=True)], axis=1)
    return sm.add_constant(X.astype(float))


def _twin_ch(df, design, **kw):
    return cinelli_hazlett(
        df,
        outcome="log_inc",
        treatment="e_household",
        controls=CONTROLS,
        fixed_effects=["village_id"],
        design=design,
        **kw,
    )


# --------------------------------------------------------------------------- C-H (a), (c)
def test_weighted_ch_equals_statsmodels_wls_through_the_paper(twin):
    df, design = twin
    before = df.copy()
    s = _twin_ch(df, design, benchmark_covariates=[BENCH], kd=[1])
    pd.testing.assert_frame_equal(df, before)
    cc = df.dropna(subset=["log_inc", "e_household", *CONTROLS, "weight", "village_id"])
    assert s.model.n_obs == len(cc)  # singleton villages, if any, leave t and dof unchanged
    w = cc["weight"].to_numpy()
    # (a) outcome regression: WLS with village dummies, classical variance
    Xy = _sm_design(cc, ["e_household", *CONTROLS], "village_id")
    fy = sm.WLS(cc["log_inc"].to_numpy(), Xy, weights=w).fit()
    t, dof = float(fy.tvalues["e_household"]), float(fy.df_resid)
    assert s.dof == dof
    assert s.estimate == pytest.approx(float(fy.params["e_household"]), rel=1e-10)
    assert s.std_error == pytest.approx(float(fy.bse["e_household"]), rel=1e-10)
    assert s.t_value == pytest.approx(t, rel=1e-10)
    assert s.partial_r2_yd_x == pytest.approx(t * t / (t * t + dof), rel=1e-10)
    assert s.rv_q == pytest.approx(rv_paper(t, dof), rel=1e-10)
    assert s.rv_qa == pytest.approx(rv_paper(t, dof, alpha=0.05), rel=1e-10)
    assert "analytic" in s.model.weights
    # (c) benchmark bound, kd = ky = 1, from the two WLS fits (Cinelli & Hazlett 2020, §6.2)
    Xd = _sm_design(cc, CONTROLS, "village_id")
    fd = sm.WLS(cc["e_household"].to_numpy(), Xd, weights=w).fit()
    td, tyb = float(fd.tvalues[BENCH]), float(fy.tvalues[BENCH])
    r2dxj = td**2 / (td**2 + fd.df_resid)
    r2yxj = tyb**2 / (tyb**2 + fy.df_resid)
    r2dz = r2dxj / (1 - r2dxj)
    eta = r2dxj**2 / ((1 - r2dxj) * (1 - r2dxj))
    r2yz = ((1 + math.sqrt(eta)) / math.sqrt(1 - eta)) ** 2 * r2yxj / (1 - r2yxj)
    est, se = float(fy.params["e_household"]), float(fy.bse["e_household"])
    bias = math.sqrt(r2yz * r2dz / (1 - r2dz)) * se * math.sqrt(dof)
    adj = math.copysign(abs(est) - bias, est)
    adj_se = math.sqrt((1 - r2yz) / (1 - r2dz)) * se * math.sqrt(dof / (dof - 1))
    b = s.bounds.iloc[0]
    bm = s.benchmarks.iloc[0]
    assert bm["r2dxj_x"] == pytest.approx(r2dxj, rel=1e-10)
    assert bm["r2yxj_dx"] == pytest.approx(r2yxj, rel=1e-10)
    assert b["r2dz_x"] == pytest.approx(r2dz, rel=1e-10)
    assert b["r2yz_dx"] == pytest.approx(r2yz, rel=1e-10)
    assert b["adjusted_estimate"] == pytest.approx(adj, rel=1e-10)
    assert b["adjusted_se"] == pytest.approx(adj_se, rel=1e-10)
    crit = stats.t.ppf(0.975, dof - 1)
    assert b["adjusted_conf_low"] == pytest.approx(adj - crit * adj_se, rel=1e-10)
    # the contour grid at (r2dz, r2yz) of the bound gives the same adjusted estimate
    g = s.adjusted([r2dz], [r2yz]).iloc[0]
    assert g["adjusted_estimate"] == pytest.approx(adj, rel=1e-10)


def test_weighted_ch_design_model_and_rows(twin):
    df, design = twin
    s = _twin_ch(df, design)
    # the design-based fit (CRV1 by village, the design's rule) on the same rows and estimate
    ref = fit_ols(
        "log_inc ~ e_household + " + " + ".join(CONTROLS),
        df,
        fixed_effects=["village_id"],
        design=design,
    )
    dm = s.design_model
    assert dm.vcov_spec.kind == "CRV1"
    np.testing.assert_array_equal(dm.sample.mask, s.model.sample.mask)
    assert dm.params["e_household"] == pytest.approx(s.estimate, rel=1e-12)
    assert dm.std_errors["e_household"] == pytest.approx(ref.std_errors["e_household"], rel=1e-12)
    # rows with a missing outcome (184 in the twin) are dropped and counted; with benchmarks
    # the treatment regression uses exactly the outcome regression's rows (this raised before)
    assert s.model.sample.n_dropped > 0
    sb = _twin_ch(df, design, benchmark_covariates=[BENCH])
    cc = df.loc[np.asarray(s.model.sample.mask, dtype=bool)]
    sc = _twin_ch(cc, design, benchmark_covariates=[BENCH])
    pd.testing.assert_frame_equal(sb.bounds, sc.bounds, rtol=1e-12)
    # an iid variance with pweights is refused for the reported fit (named error)
    with pytest.raises(VarianceError, match="iid"):
        _twin_ch(df, design, vcov="iid")
    hc = _twin_ch(df, design, vcov="HC1")
    assert hc.design_model.vcov_spec.kind == "HC1" and hc.t_value == s.t_value


# --------------------------------------------------------------------------- C-H (b), fweights
@pytest.fixture(scope="module")
def darfur():
    case = reference_case("darfur_sensemakr")
    return case, pd.read_csv(shared_file("data", case["data"]))


DARFUR_X = ["age", "farmer_dar", "herder_dar", "pastvoted", "hhsize_darfur", "female"]


def _darfur_ch(df, design=None):
    return cinelli_hazlett(
        df,
        outcome="peacefactor",
        treatment="directlyharmed",
        controls=DARFUR_X,
        fixed_effects=["village"],
        benchmark_covariates=["female"],
        kd=[1, 2, 3],
        design=design,
    )


@pytest.mark.parametrize("wtype", ["pweight", "aweight"])
def test_constant_weights_reproduce_unweighted_darfur(darfur, wtype):
    _, df = darfur
    un = _darfur_ch(df)
    wt = _darfur_ch(df.assign(w=3.7), SurveyDesign(weights="w", weight_type=wtype))
    assert wt.dof == un.dof
    for k in ("estimate", "std_error", "t_value", "partial_r2_yd_x", "rv_q", "rv_qa"):
        assert getattr(wt, k) == pytest.approx(getattr(un, k), rel=1e-10), k
    num = ["r2dz_x", "r2yz_dx", "adjusted_estimate", "adjusted_se", "adjusted_conf_low"]
    np.testing.assert_allclose(wt.bounds[num], un.bounds[num], rtol=1e-10)


def _small(seed=3, n=40):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, 5, n)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    d = (0.6 * x1 - 0.4 * x2 + rng.normal(size=n) > 0).astype(float)
    y = 1 + 0.8 * d + 0.7 * x1 - 0.5 * x2 + 0.3 * g + rng.normal(size=n)
    fw = rng.integers(1, 4, n).astype(float)
    return pd.DataFrame({"y": y, "d": d, "x1": x1, "x2": x2, "g": g, "fw": fw})


def test_frequency_weights_equal_expanded_data_ch():
    df = _small()
    kw = dict(outcome="y", treatment="d", controls=["x1", "x2"], fixed_effects=["g"])
    kw |= dict(benchmark_covariates=["x1"], kd=[1, 2])
    fw = cinelli_hazlett(df, design=SurveyDesign(weights="fw", weight_type="fweight"), **kw)
    ex = cinelli_hazlett(df.loc[df.index.repeat(df["fw"].astype(int))], **kw)
    # dof = sum of weights - 3 slopes (d, x1, x2) - 5 levels of g
    assert fw.dof == ex.dof == int(df["fw"].sum()) - 3 - 5
    for k in ("estimate", "std_error", "t_value", "rv_q", "rv_qa"):
        assert getattr(fw, k) == pytest.approx(getattr(ex, k), rel=1e-10), k
    num = ["r2dz_x", "r2yz_dx", "adjusted_estimate", "adjusted_se"]
    np.testing.assert_allclose(fw.bounds[num], ex.bounds[num], rtol=1e-10)


# --------------------------------------------------------------------------- Oster
def _oster_data():
    x1 = np.array([0.2, -1.1, 0.5, 1.7, -0.3, 0.9, -1.6, 0.1, 1.2, -0.7, 0.4, -0.2])
    x2 = np.array([1.0, 0.3, -0.8, 0.2, 1.4, -1.2, 0.6, -0.4, 0.0, 0.9, -1.5, 0.7])
    d = np.array([1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0], dtype=float)
    e = np.array([0.3, -0.2, 0.1, -0.4, 0.5, 0.0, -0.3, 0.2, -0.1, 0.4, -0.5, 0.1])
    y = 1.0 + 1.0 * d + 0.9 * x1 - 0.4 * x2 + 3.0 * e
    w = np.array([1, 2, 3, 1, 2, 3, 1, 1, 2, 3, 2, 1], dtype=float)
    return pd.DataFrame({"y": y, "d": d, "x1": x1, "x2": x2, "w": w})


def _wls(y, X, w):
    """Weighted least squares by hand: lstsq on sqrt(w)-scaled data; weighted centred R^2."""
    X = np.column_stack([np.ones(len(y)), X])
    sw = np.sqrt(w)
    b = np.linalg.lstsq(X * sw[:, None], y * sw, rcond=None)[0]
    r = y - X @ b
    ybar = (w * y).sum() / w.sum()
    return b, 1 - (w * r * r).sum() / (w * (y - ybar) ** 2).sum()


def test_oster_weighted_against_hand_moments():
    df = _oster_data()
    y, d, X, w = (df[c].to_numpy() for c in ("y", "d", ["x1", "x2"], "w"))
    (_, bo), ro = _wls(y, d, w)
    bl_all, rt = _wls(y, np.column_stack([d, X]), w)
    bt = bl_all[1]
    _, r2dx = _wls(d, X, w)
    n = len(y)

    def wvar(v):  # Stata summarize [aw]: weights normalised to sum n, divisor n - 1
        m = (w * v).sum() / w.sum()
        return (w * (v - m) ** 2).sum() / w.sum() * n / (n - 1)

    syy, sxx = wvar(y), wvar(d)
    tx = sxx * (1 - r2dx)
    o = oster_bounds(
        df, outcome="y", treatment="d", controls=["x1", "x2"], design=SurveyDesign(weights="w")
    )
    assert o.beta_short == pytest.approx(bo, rel=1e-10)
    assert o.beta_long == pytest.approx(bt, rel=1e-10)
    assert o.r2_short == pytest.approx(ro, rel=1e-10)
    assert o.r2_long == pytest.approx(rt, rel=1e-10)
    assert o.sigma_yy == pytest.approx(syy, rel=1e-12)
    assert o.sigma_xx == pytest.approx(sxx, rel=1e-12)
    assert o.tau_x == pytest.approx(tx, rel=1e-10)
    assert o.weights == "pweights 'w'"
    # delta for beta = 0 written out (Oster 2019 / psacalc) on the weighted moments
    b, b0 = bt, bo - bt
    A, M = (rt - ro) * syy, (1.3 * rt - rt) * syy
    K = tx * sxx - tx**2
    num = b * A * tx + b * sxx * tx * b0**2 + 2 * b**2 * tx * b0 * sxx + b**3 * K
    den = M * b0 * sxx + b * M * (sxx - tx) + b**2 * tx * b0 * sxx + b**3 * K
    assert o.delta_for_beta == pytest.approx(num / den, rel=1e-9)
    # constant weights give the unweighted result
    un = oster_bounds(df, outcome="y", treatment="d", controls=["x1", "x2"])
    c = oster_bounds(
        df.assign(w=2.5),
        outcome="y",
        treatment="d",
        controls=["x1", "x2"],
        design=SurveyDesign(weights="w"),
    )
    for k in ("beta_star", "delta_for_beta", "r2_long", "sigma_yy", "tau_x"):
        assert getattr(c, k) == pytest.approx(getattr(un, k), rel=1e-10), k


@pytest.mark.parametrize("delta", [1.0, 0.5, 2.0])
def test_oster_frequency_weights_equal_expanded_data(delta):
    df = _small(seed=11, n=30)
    kw = dict(outcome="y", treatment="d", controls=["x1", "x2"], fixed_effects=["g"])
    kw["delta"] = delta
    fw = oster_bounds(df, design=SurveyDesign(weights="fw", weight_type="fweight"), **kw)
    ex = oster_bounds(df.loc[df.index.repeat(df["fw"].astype(int))], **kw)
    for k in ("beta_short", "beta_long", "r2_short", "r2_long", "sigma_yy", "sigma_xx", "tau_x"):
        assert getattr(fw, k) == pytest.approx(getattr(ex, k), rel=1e-10), k
    assert fw.delta_for_beta == pytest.approx(ex.delta_for_beta, rel=1e-9)
    assert fw.beta_star == pytest.approx(ex.beta_star, rel=1e-9)
    assert len(fw.alternative_roots) == len(ex.alternative_roots)


def test_oster_delta_one_when_the_coefficient_does_not_move():
    """beta_short == beta_long (psacalc's c2 = 0, its d1quadsol divides by 0 -> missing):
    the delta = 1 equation is linear, c1 nu = 0, so beta* = beta_long and no other root."""
    mom = dict(r2_short=0.1, r2_long=0.4, r_max=0.52, sigma_yy=2.0, sigma_xx=0.25, tau_x=0.2)
    roots = _oster_beta_roots(beta_short=0.7, beta_long=0.7, delta=1.0, **mom)
    assert roots == [0.7]
    # hand: with d0 = 0, delta(beta) = (b A tau + b^3 K) / (b M (sxx - tau) + b^3 K)
    b, A, M = 0.7, 0.3 * 2.0, 0.12 * 2.0
    K = 0.2 * 0.25 - 0.2**2
    hand = (b * A * 0.2 + b**3 * K) / (b * M * (0.25 - 0.2) + b**3 * K)
    assert oster_delta(beta_short=0.7, beta_long=0.7, **mom) == pytest.approx(hand, rel=1e-12)

    # on data: y shifted along x1 so that the short coefficient equals the long one (to
    # rounding); beta* is then beta_long, continuously (no root blown up by c2 ~ 1e-17)
    df = _oster_data()
    y, d, X = df["y"].to_numpy(), df["d"].to_numpy(), df[["x1", "x2"]].to_numpy()
    (_, bo), _ = _wls(y, d, np.ones(len(y)))
    bl = _wls(y, np.column_stack([d, X]), np.ones(len(y)))[0][1]
    (_, slope), _ = _wls(df["x1"].to_numpy(), d, np.ones(len(y)))  # x1 on d
    df["y"] = y - (bo - bl) / slope * df["x1"]
    o = oster_bounds(df, outcome="y", treatment="d", controls=["x1", "x2"])
    assert abs(o.beta_short - o.beta_long) < 1e-12
    assert o.beta_star == pytest.approx(o.beta_long, rel=1e-9)
    b = o.beta_long
    A, M = (o.r2_long - o.r2_short) * o.sigma_yy, (o.r_max - o.r2_long) * o.sigma_yy
    K = o.tau_x * o.sigma_xx - o.tau_x**2
    hand = (b * A * o.tau_x + b**3 * K) / (b * M * (o.sigma_xx - o.tau_x) + b**3 * K)
    assert o.delta_for_beta == pytest.approx(hand, rel=1e-9)


# --------------------------------------------------------------------------- Rosenbaum
def _berry_esseen(r, p):
    """Berry-Esseen bound on sup|F - Phi| for sum r_i B_i, B_i ~ Bernoulli(p) independent.

    C0 = 0.5600 for non-identically distributed summands (Shevtsova 2010, Doklady Math. 81).
    """
    rho = (r**3 * p * (1 - p) * (p**2 + (1 - p) ** 2)).sum()
    return 0.56 * rho / ((r**2).sum() * p * (1 - p)) ** 1.5


def test_rosenbaum_normal_against_exact_and_scipy():
    rng = np.random.default_rng(20260601)
    diffs = np.round(rng.normal(0.35, 1.0, 200), 1)  # ties and a few zeros, as real outcomes
    gammas = [1.0, 1.25, 1.5, 2.0, 3.0]
    nor = rosenbaum_bounds(diffs, gamma=gammas).table
    exa = rosenbaum_bounds(diffs, gamma=gammas, method="exact").table
    nz = diffs[diffs != 0]
    r = stats.rankdata(np.abs(nz))
    t = r[nz > 0].sum()
    worst = 0.0
    for i, g in enumerate(gammas):
        for col, p in (("p_upper", g / (1 + g)), ("p_lower", 1 / (1 + g))):
            # independent scipy computation of the same formula: mean and variance of the
            # scaled Bernoulli sum, normal survival function at T+ (no continuity correction)
            bern = stats.bernoulli(p)
            ref = stats.norm(
                loc=(r * bern.mean()).sum(), scale=math.sqrt((r**2 * bern.var()).sum())
            )
            assert nor[col].iloc[i] == pytest.approx(ref.sf(t), rel=1e-12, abs=1e-300)
            # normal vs exact: within the Berry-Esseen bound (P(T >= t) = 1 - F(t-))
            gap = abs(nor[col].iloc[i] - exa[col].iloc[i])
            assert gap <= _berry_esseen(r, p), (g, col, gap)
            # and within the normal approximation's error terms through order 1/n (Edgeworth:
            # skewness |g1|/6 |He2(z)|, kurtosis |g2|/24 |He3(z)|, g1^2/72 |He5(z)|, times
            # phi(z); g1 = 0 at Gamma = 1) plus one lattice step times the density (no
            # continuity correction; with ties the ranks lie on a half-integer lattice)
            sd = math.sqrt((r**2).sum() * p * (1 - p))
            z = (t - p * r.sum()) / sd
            q = p * (1 - p)
            g1 = (r**3).sum() * q * (1 - 2 * p) / sd**3
            g2 = (r**4).sum() * q * (1 - 6 * q) / sd**4
            he2, he3, he5 = z * z - 1, z**3 - 3 * z, z**5 - 10 * z**3 + 15 * z
            phi = stats.norm.pdf(z)
            edge = abs(g1) / 6 * abs(he2) + abs(g2) / 24 * abs(he3) + g1 * g1 / 72 * abs(he5)
            # (checked for |z| <= 4, p-values above 3e-5: deeper in the tail the expansion,
            # and the normal approximation's relative accuracy, break down - at Gamma = 3 the
            # lower bound is 2e-41 by the normal, 6e-35 exactly - though both are ~0 there)
            if abs(z) <= 4:
                assert gap <= (edge + 1 / sd) * phi, (g, col, gap, (edge + 1 / sd) * phi)
            worst = max(worst, gap)
    # measured: largest gap 4.5e-3 (Gamma = 3, upper bound, p about 0.69), Berry-Esseen
    # bounds 0.052-0.075 here
    assert worst < 5e-3, worst


def test_oster_cubic_with_unmoved_coefficient_picks_beta_long():
    # delta != 1 and beta_short == beta_long up to rounding: nu = 0 is a root of the cubic
    # (its constant term is 0) and the one psacalc's distance rule picks; before, a d0 of
    # rounding size decided the sign rule and could pick a far root
    mom = dict(r2_short=0.1, r2_long=0.4, r_max=0.52, sigma_yy=2.0, sigma_xx=0.25, tau_x=0.2)
    for bs in (0.7, 0.7 * (1 + 1e-15), 0.7 * (1 - 1e-15)):
        for delta in (0.5, 2.0):
            roots = _oster_beta_roots(beta_short=bs, beta_long=0.7, delta=delta, **mom)
            assert roots[0] == pytest.approx(0.7, rel=1e-12), (bs, delta, roots)


def test_scale_log_equals_an_explicit_log_outcome():
    """scale="log" is the log premium the other estimators use by default; it equals the same
    call on an explicit log column (the outside check of which is the WLS test above)."""
    import numpy as np

    from welfare.datasets import taobao_village_survey
    from welfare.errors import OutcomeError, UnknownOptionError
    from welfare.robustness import cinelli_hazlett, oster_bounds

    t = taobao_village_survey()
    x = ["head_age", "head_female", "head_urban_work", "head_ecom_knowledge", "hh_size"]
    d = t.data.assign(li=np.log(t.data["income_pc"]))
    d.attrs = dict(t.data.attrs)
    kw = {"treatment": "e_household", "controls": x, "fixed_effects": ["village_id"]}
    a = cinelli_hazlett(t.survey, outcome="income_pc", scale="log",
                        benchmark_covariates=["head_ecom_knowledge"], **kw)  # fmt: skip
    b = cinelli_hazlett(d, design=t.design, outcome="li",
                        benchmark_covariates=["head_ecom_knowledge"], **kw)  # fmt: skip
    pd.testing.assert_frame_equal(a.summary().drop(columns=["outcome"], errors="ignore"),
                                  b.summary().drop(columns=["outcome"], errors="ignore"))  # fmt: skip
    assert a.bounds["adjusted_estimate"].equals(b.bounds["adjusted_estimate"])
    # rows left out name the user's column, not the derived log column
    assert dict(a.model.sample.dropped)["missing outcome 'income_pc'"] == 184
    o1 = oster_bounds(t.survey, outcome="income_pc", scale="log", **kw)
    o2 = oster_bounds(d, design=t.design, outcome="li", **kw)
    assert o1.delta_for_beta == o2.delta_for_beta and o1.beta_star == o2.beta_star
    zero = t.data.assign(income_pc=t.data["income_pc"].where(t.data.index != 5, 0.0))
    zero.attrs = dict(t.data.attrs)
    with pytest.raises(OutcomeError, match="expected positive values"):
        cinelli_hazlett(zero, design=t.design, outcome="income_pc", scale="log", **kw)
    with pytest.raises(UnknownOptionError, match="scale"):
        oster_bounds(t.survey, outcome="income_pc", scale="logs", **kw)
