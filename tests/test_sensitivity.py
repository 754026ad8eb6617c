"""Sensitivity to omitted variables: Cinelli-Hazlett, Oster, Rosenbaum (issue 8, item 2).

References outside the code:
* Cinelli-Hazlett: R sensemakr's published Darfur numbers (case ``darfur_sensemakr`` in
  ../shared/reference/cases.toml, rtol 1e-6).
* Oster: the delta formula and the beta* equation written out with numpy on a small
  constructed dataset (regressions by numpy least squares, roots by ``numpy.roots``).
* Rosenbaum: the exact signed-rank distribution enumerated over all 2^n sign patterns of a
  tiny matched sample; scipy's ``wilcoxon`` at Gamma = 1.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from tests.conftest import reference_case, shared_file
from welfare.errors import (
    DataError,
    EmptySampleError,
    ImpossibleValueError,
    OutcomeError,
    TreatmentError,
    UnknownOptionError,
    VarianceError,
)
from welfare.robustness import (
    cinelli_hazlett,
    oster_bounds,
    oster_delta,
    partial_r2,
    robustness_value,
    rosenbaum_bounds,
    sensitivity_stats,
)

DARFUR_X = ["age", "farmer_dar", "herder_dar", "pastvoted", "hhsize_darfur", "female"]


def close(ours, published, rtol, what):
    assert abs(ours - published) <= rtol * abs(published), (
        f"{what}: ours {ours!r} vs published {published!r} (rtol {rtol})"
    )


@pytest.fixture(scope="module")
def darfur():
    case = reference_case("darfur_sensemakr")
    return case, pd.read_csv(shared_file("data", case["data"]))


@pytest.mark.parametrize("village_as", ["fixed_effects", "factor"])
def test_darfur_reproduces_sensemakr(darfur, village_as):
    case, df = darfur
    before = df.copy()
    if village_as == "fixed_effects":
        kw = {"controls": DARFUR_X, "fixed_effects": ["village"]}
    else:
        kw = {"controls": DARFUR_X + ["village"]}  # text column -> C(village), as R's factor
    s = cinelli_hazlett(
        df,
        outcome="peacefactor",
        treatment="directlyharmed",
        benchmark_covariates=["female"],
        kd=[1, 2, 3],
        **kw,
    )
    pd.testing.assert_frame_equal(df, before)  # input not modified
    rtol = case["rtol"]
    assert s.dof == case["dof"]
    close(s.estimate, case["estimate"], rtol, "estimate")
    close(s.std_error, case["se"], rtol, "se")
    close(s.partial_r2_yd_x, case["partial_r2_yd_x"], rtol, "partial R2 Y~D|X")
    close(s.rv_q, case["robustness_value_q1"], rtol, "RV_q")
    close(s.rv_qa, case["robustness_value_q1_alpha05"], rtol, "RV_q,alpha")
    b = s.bounds.set_index("bound")
    assert list(b.index) == ["1x female", "2x female", "3x female"]
    one = b.loc["1x female"]
    close(one["r2dz_x"], case["bound_1x_female_r2dz_x"], rtol, "1x r2dz_x")
    close(one["r2yz_dx"], case["bound_1x_female_r2yz_dx"], rtol, "1x r2yz_dx")
    close(one["adjusted_estimate"], case["bound_1x_female_adjusted_estimate"], rtol, "1x est")
    close(one["adjusted_se"], case["bound_1x_female_adjusted_se"], rtol, "1x se")
    # adjusted t and interval by hand from the published adjusted estimate and SE:
    # t = est / se, CI = est -/+ t_{0.975, dof-1} se (sensemakr uses dof - 1)
    est, se = case["bound_1x_female_adjusted_estimate"], case["bound_1x_female_adjusted_se"]
    crit = stats.t.ppf(0.975, case["dof"] - 1)
    close(one["adjusted_t"], est / se, rtol, "1x adjusted t")
    close(one["adjusted_conf_low"], est - crit * se, rtol, "1x lower CI")
    close(one["adjusted_conf_high"], est + crit * se, rtol, "1x upper CI")
    # the same through the tidy schema of a Results
    tidy = s.adjusted_results().tidy().set_index("term").loc["directlyharmed | 1x female"]
    close(tidy["statistic"], est / se, rtol, "tidy t")
    close(tidy["conf_low"], est - crit * se, rtol, "tidy lower CI")
    # kd = 2, 3: r2dz_x scales linearly with kd (hand: kd * r2dxj / (1 - r2dxj))
    r2dxj = float(s.benchmarks.set_index("benchmark").loc["female", "r2dxj_x"])
    for k in (2, 3):
        close(b.loc[f"{k}x female", "r2dz_x"], k * r2dxj / (1 - r2dxj), 1e-12, f"{k}x r2dz")
    assert (np.diff(b["adjusted_estimate"].to_numpy()) < 0).all()


def test_robustness_value_formulas_by_hand():
    # hand: f = t / sqrt(dof); RV = (sqrt(f^4 + 4 f^2) - f^2) / 2 (cases.toml note)
    t, dof = 4.18445, 783
    f = t / math.sqrt(dof)
    assert robustness_value(t, dof) == pytest.approx(0.5 * (math.sqrt(f**4 + 4 * f**2) - f**2))
    assert partial_r2(t, dof) == pytest.approx(t * t / (t * t + dof))
    # at the RV point, a confounder with r2dz = r2yz = RV_q brings the estimate exactly to 0
    est, se = 0.5, 0.5 / t
    rv = robustness_value(t, dof)
    bias = math.sqrt(rv * rv / (1 - rv)) * se * math.sqrt(dof)
    assert bias == pytest.approx(est, rel=1e-10)
    # RV_{q,alpha}: at r2dz = r2yz = RV the adjusted t equals the critical t (binding case)
    rva = robustness_value(t, dof, alpha=0.05)
    bias = math.sqrt(rva * rva / (1 - rva)) * se * math.sqrt(dof)
    adj_se = math.sqrt((1 - rva) / (1 - rva)) * se * math.sqrt(dof / (dof - 1))
    assert (est - bias) / adj_se == pytest.approx(stats.t.ppf(0.975, dof - 1), rel=1e-9)
    # non-binding case (sensemakr's test "Non contraining cases (XRV)"): dof 7, t = 1/.3
    dof, t = 7, 1 / 0.3
    fs = stats.t.ppf(0.975, dof - 1) / math.sqrt(dof - 1)
    rv = robustness_value(t, dof, alpha=0.05)
    r2yz = rv / (fs**2 + rv)
    bias = math.sqrt(r2yz * rv / (1 - rv)) * 0.3 * math.sqrt(dof)
    adj_se = math.sqrt((1 - r2yz) / (1 - rv)) * 0.3 * math.sqrt(dof / (dof - 1))
    assert (1 - bias) / adj_se == pytest.approx(stats.t.ppf(0.975, dof - 1), rel=1e-9)
    assert robustness_value(0.5, 100, alpha=0.05) == 0.0  # not significant: RV = 0


def test_contour_grid_and_plot(darfur, tmp_path):
    from welfare.report import sensitivity_contour_plot

    _, df = darfur
    s = cinelli_hazlett(
        df,
        outcome="peacefactor",
        treatment="directlyharmed",
        controls=DARFUR_X,
        fixed_effects=["village"],
        benchmark_covariates=["female"],
    )
    g = s.contour_grid(lim=0.4, n=11)
    assert len(g) == 121
    at0 = g[(g.r2dz_x == 0) & (g.r2yz_dx == 0)]["adjusted_estimate"].iloc[0]
    assert at0 == pytest.approx(s.estimate)
    p = sensitivity_contour_plot(s, tmp_path / "contour.png", title="Darfur", n=21)
    assert p.exists() and p.stat().st_size > 1000


# --------------------------------------------------------------------------- Oster
def _oster_data():
    """Small constructed dataset (labelled: synthetic, for a hand computation)."""
    x1 = np.array([0.2, -1.1, 0.5, 1.7, -0.3, 0.9, -1.6, 0.1, 1.2, -0.7, 0.4, -0.2])
    x2 = np.array([1.0, 0.3, -0.8, 0.2, 1.4, -1.2, 0.6, -0.4, 0.0, 0.9, -1.5, 0.7])
    d = np.array([1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0], dtype=float)
    e = np.array([0.3, -0.2, 0.1, -0.4, 0.5, 0.0, -0.3, 0.2, -0.1, 0.4, -0.5, 0.1])
    y = 1.0 + 1.0 * d + 0.9 * x1 - 0.4 * x2 + 3.0 * e  # R2 ~ 0.72, so 1.3 R2 < 1
    return pd.DataFrame({"y": y, "d": d, "x1": x1, "x2": x2})


def _ols(y, X):
    X = np.column_stack([np.ones(len(y)), X])
    b = np.linalg.lstsq(X, y, rcond=None)[0]
    r = y - X @ b
    return b, 1 - (r @ r) / ((y - y.mean()) @ (y - y.mean()))


def test_oster_against_hand_computation():
    df = _oster_data()
    before = df.copy()
    y, d, X = df["y"].to_numpy(), df["d"].to_numpy(), df[["x1", "x2"]].to_numpy()
    (_, bo), ro = _ols(y, d)
    bl_all, rt = _ols(y, np.column_stack([d, X]))
    bt = bl_all[1]
    _, r2dx = _ols(d, X)
    syy, sxx = y.var(ddof=1), d.var(ddof=1)
    tx = sxx * (1 - r2dx)
    rmax = 1.3 * rt
    # Oster (2019) / psacalc delta for beta = 0, written out
    bb = bt - 0.0
    b0 = bo - bt
    A, M = (rt - ro) * syy, (rmax - rt) * syy
    num = (
        bb * A * tx + bb * sxx * tx * b0**2 + 2 * bb**2 * tx * b0 * sxx + bb**3 * (tx * sxx - tx**2)
    )
    den = M * b0 * sxx + bb * M * (sxx - tx) + bb**2 * tx * b0 * sxx + bb**3 * (tx * sxx - tx**2)
    delta_hand = num / den

    o = oster_bounds(df, outcome="y", treatment="d", controls=["x1", "x2"])
    pd.testing.assert_frame_equal(df, before)
    assert o.beta_short == pytest.approx(bo, rel=1e-10)
    assert o.beta_long == pytest.approx(bt, rel=1e-10)
    assert o.r2_short == pytest.approx(ro, rel=1e-10)
    assert o.r2_long == pytest.approx(rt, rel=1e-10)
    assert o.r_max == pytest.approx(rmax, rel=1e-12)
    assert o.tau_x == pytest.approx(tx, rel=1e-10)
    assert o.delta_for_beta == pytest.approx(delta_hand, rel=1e-9)

    # beta* for delta = 1 and delta = 0.5: roots of N(nu) - delta D(nu) = 0 by numpy.roots,
    # nu = beta_tilde - beta*; psacalc's choice = closest to beta_tilde among the roots whose
    # bias has the sign of (beta_tilde - beta_o)
    K = tx * sxx - tx**2
    # delta = 0.5: three real roots (trigonometric branch); 2.0: one (Cardano); 1: quadratic
    for delta, n_roots in ((1.0, 2), (0.5, 3), (2.0, 1)):
        coef = [
            (1 - delta) * K,
            (2 - delta) * tx * b0 * sxx,
            A * tx + sxx * tx * b0**2 - delta * M * (sxx - tx),
            -delta * M * b0 * sxx,
        ]
        roots = np.roots(coef if delta != 1 else coef[1:])
        betas = [bt - r.real for r in roots if abs(r.imag) < 1e-9]
        ok = [b for b in betas if np.sign(b - bt) == np.sign(bt - bo)] or betas
        hand = min(ok, key=lambda b: (b - bt) ** 2)
        od = oster_bounds(df, outcome="y", treatment="d", controls=["x1", "x2"], delta=delta)
        assert od.beta_star == pytest.approx(hand, rel=1e-8, abs=1e-10), delta
        assert len(betas) == n_roots and len(od.alternative_roots) == n_roots - 1


def test_oster_properties():
    df = _oster_data()
    o = oster_bounds(df, outcome="y", treatment="d", controls=["x1", "x2"])
    # delta at which beta* = 0, fed back as delta, reproduces beta* = 0
    back = oster_bounds(
        df, outcome="y", treatment="d", controls=["x1", "x2"], delta=o.delta_for_beta
    )
    assert abs(back.beta_star) < 1e-9
    # delta for beta = beta_tilde is 0 (no bias to explain)
    kw = {k: getattr(o, k) for k in ("beta_short", "beta_long", "r2_short", "r2_long", "r_max")}
    kw |= {"sigma_yy": o.sigma_yy, "sigma_xx": o.sigma_xx, "tau_x": o.tau_x}
    assert oster_delta(beta=o.beta_long, **kw) == pytest.approx(0.0, abs=1e-12)
    # R_max -> R_tilde: beta* -> beta_tilde
    near = oster_bounds(
        df, outcome="y", treatment="d", controls=["x1", "x2"], r_max=o.r2_long + 1e-9
    )
    assert near.beta_star == pytest.approx(o.beta_long, abs=1e-5)


# --------------------------------------------------------------------------- Rosenbaum
PAIRS = np.array([1.5, -0.3, 2.2, 0.7, -1.1, 3.0, 0.4])  # 7 matched-pair differences


def _enumerated(diffs, gamma):
    """Exact bounds by enumerating all 2^n sign patterns of the ranked |differences|."""
    r = stats.rankdata(np.abs(diffs))
    t_obs = r[diffs > 0].sum()
    out = []
    for p in (gamma / (1 + gamma), 1 / (1 + gamma)):
        tail = 0.0
        for signs in itertools.product((0, 1), repeat=len(diffs)):
            s = np.array(signs)
            if (r * s).sum() >= t_obs - 1e-12:
                tail += p ** s.sum() * (1 - p) ** (len(s) - s.sum())
        out.append(tail)
    return out  # upper, lower


def test_rosenbaum_exact_equals_enumeration():
    gammas = [1.0, 1.25, 1.5, 2.0, 3.0, 5.0]
    before = PAIRS.copy()
    res = rosenbaum_bounds(PAIRS, gamma=gammas, method="exact")
    np.testing.assert_array_equal(PAIRS, before)
    for g, row in zip(gammas, res.table.itertuples(), strict=True):
        up, lo = _enumerated(PAIRS, g)
        assert row.p_upper == pytest.approx(up, rel=1e-12)
        assert row.p_lower == pytest.approx(lo, rel=1e-12)
    assert res.statistic == 23.0 and res.n_pairs == 7 and res.n_zero == 0
    # with ties (average ranks) and a zero difference (dropped and counted)
    tied = np.array([1.0, -1.0, 2.0, 2.0, 0.0, 3.5, -0.5, 1.0])
    res = rosenbaum_bounds(tied, gamma=[1.0, 2.0], method="exact")
    assert res.n_zero == 1 and res.n_pairs == 7
    for g, row in zip([1.0, 2.0], res.table.itertuples(), strict=True):
        up, lo = _enumerated(tied[tied != 0], g)
        assert row.p_upper == pytest.approx(up, rel=1e-12)
        assert row.p_lower == pytest.approx(lo, rel=1e-12)


def test_rosenbaum_gamma_one_equals_scipy_wilcoxon():
    exact = rosenbaum_bounds(PAIRS, gamma=1.0, method="exact").table.iloc[0]
    ref = stats.wilcoxon(PAIRS, alternative="greater", method="exact").pvalue
    assert exact.p_upper == pytest.approx(ref, rel=1e-12)
    assert exact.p_lower == pytest.approx(ref, rel=1e-12)
    # normal approximation at Gamma = 1: scipy's approx without continuity correction
    normal = rosenbaum_bounds(PAIRS, gamma=1.0).table.iloc[0]
    ref = stats.wilcoxon(PAIRS, alternative="greater", method="approx", correction=False).pvalue
    assert normal.p_upper == pytest.approx(ref, rel=1e-10)
    # alternative="less" is the test on the negated differences
    less = rosenbaum_bounds(PAIRS, gamma=1.0, method="exact", alternative="less").table
    ref = stats.wilcoxon(PAIRS, alternative="less", method="exact").pvalue
    assert less.p_upper.iloc[0] == pytest.approx(ref, rel=1e-12)


def test_rosenbaum_normal_by_hand_and_monotone():
    # psens formulas by hand for Gamma = 2: E = p sum r, V = p (1 - p) sum r^2
    r = stats.rankdata(np.abs(PAIRS))
    t = r[PAIRS > 0].sum()
    p = 2 / 3
    z = (t - p * r.sum()) / math.sqrt(p * (1 - p) * (r**2).sum())
    res = rosenbaum_bounds(PAIRS, gamma=[1, 2, 3, 4]).table
    assert res.p_upper.iloc[1] == pytest.approx(1 - stats.norm.cdf(z), rel=1e-12)
    for method in ("normal", "exact"):
        tab = rosenbaum_bounds(PAIRS, gamma=np.linspace(1, 6, 11), method=method).table
        assert (np.diff(tab.p_upper) > 0).all()
        assert (np.diff(tab.p_lower) < 0).all()
        assert (tab.p_lower <= tab.p_upper + 1e-15).all()


# --------------------------------------------------------------------------- bad input
def test_named_errors():
    df = _oster_data()
    ch = {"outcome": "y", "treatment": "d"}
    with pytest.raises(TreatmentError, match="controls"):
        cinelli_hazlett(df, **ch, controls=["x1", "d"])
    with pytest.raises(TreatmentError, match="controls"):
        oster_bounds(df, **ch, controls=["d", "x2"])
    with pytest.raises(OutcomeError, match="treatment"):
        cinelli_hazlett(df, outcome="d", treatment="d", controls=["x1"])
    with pytest.raises(OutcomeError, match="treatment"):
        oster_bounds(df, outcome="d", treatment="d", controls=["x1"])
    const = df.assign(d=1.0)
    with pytest.raises(TreatmentError, match="variation"):
        cinelli_hazlett(const, **ch, controls=["x1"])
    with pytest.raises(TreatmentError, match="variation"):
        oster_bounds(const, **ch, controls=["x1"])
    with pytest.raises(DataError, match="r_max"):
        oster_bounds(df, **ch, controls=["x1", "x2"], r_max=0.1)
    with pytest.raises(UnknownOptionError, match="control"):
        oster_bounds(df, **ch)
    with pytest.raises(DataError, match="benchmark"):
        cinelli_hazlett(df, **ch, controls=["x1"], benchmark_covariates=["x2"])
    with pytest.raises(UnknownOptionError, match="did you mean"):
        cinelli_hazlett(df, **ch, control=["x1"])
    with pytest.raises(UnknownOptionError, match="alpha"):
        cinelli_hazlett(df, **ch, controls=["x1"], alpha=1.5)
    with pytest.raises(UnknownOptionError, match="gamma"):
        rosenbaum_bounds(PAIRS, gamma=[0.5, 1.0])
    with pytest.raises(ImpossibleValueError, match="NaN"):
        rosenbaum_bounds(np.array([1.0, np.nan, 2.0]))
    with pytest.raises(EmptySampleError, match="non-zero"):
        rosenbaum_bounds([0.0, 0.0])
    with pytest.raises(UnknownOptionError, match="method"):
        rosenbaum_bounds(PAIRS, method="exactt")
    from welfare.data.design import SurveyDesign

    # weights are accepted (tests/test_sensitivity_weighted.py); an iid variance for the
    # reported fit with sampling weights is refused by name
    w = df.assign(w=1.0 + np.arange(len(df)) % 3)
    with pytest.raises(VarianceError, match="iid"):
        cinelli_hazlett(w, **ch, controls=["x1"], design=SurveyDesign(weights="w"), vcov="iid")
    with pytest.raises(UnknownOptionError, match="vcov"):
        cinelli_hazlett(df, **ch, controls=["x1"], vcov="robust")


def test_rows_left_out_are_counted():
    df = _oster_data()
    df.loc[[2, 5], "x2"] = np.nan
    s = cinelli_hazlett(df, outcome="y", treatment="d", controls=["x1", "x2"])
    o = oster_bounds(df, outcome="y", treatment="d", controls=["x1", "x2"])
    assert s.model.n_obs == 10 and o.n_obs == 10
    for sample in (s.model.sample, o.sample):
        assert sample.n_dropped == 2
        assert any("x2" in reason and n == 2 for reason, n in sample.dropped)
    # same rows as a fit on the complete cases
    full = cinelli_hazlett(df.dropna(), outcome="y", treatment="d", controls=["x1", "x2"])
    assert s.estimate == pytest.approx(full.estimate, rel=1e-12)


def test_sensitivity_stats_from_a_fitted_results(darfur):
    from welfare.inference.linear import fit_ols

    case, df = darfur
    fml = "peacefactor ~ directlyharmed + " + " + ".join(DARFUR_X)
    res = fit_ols(fml, df, fixed_effects=["village"], vcov="iid")
    st = sensitivity_stats(res, treatment="directlyharmed").iloc[0]
    rtol = case["rtol"]
    assert st["dof"] == case["dof"]
    close(st["partial_r2_yd_x"], case["partial_r2_yd_x"], rtol, "partial R2")
    close(st["rv_q"], case["robustness_value_q1"], rtol, "RV_q")
    close(st["rv_qa"], case["robustness_value_q1_alpha05"], rtol, "RV_q,alpha")
    with pytest.raises(VarianceError, match="iid"):
        sensitivity_stats(res.with_vcov("HC1"), treatment="directlyharmed")
    with pytest.raises(TreatmentError, match="nope"):
        sensitivity_stats(res, treatment="nope")


def test_oster_beta_star_continuous_near_delta_one(darfur):
    """delta = 1 + 1e-15 gave beta* = -8.7e14 (the cubic's leading coefficient (1 - delta) k was
    rounding noise); beta* must be continuous in delta around the quadratic case."""
    _, df = darfur
    kw = dict(outcome="peacefactor", treatment="directlyharmed", controls=DARFUR_X)
    at1 = oster_bounds(df, delta=1.0, **kw).beta_star
    for dl in (1 - 1e-6, 1 - 2e-8, 1 + 1e-15, 1 + 2e-8, 1 + 1e-6):
        assert oster_bounds(df, delta=dl, **kw).beta_star == pytest.approx(at1, rel=1e-4)


def test_edge_inputs_raise_named_errors(darfur):
    _, df = darfur
    flat = df.assign(peacefactor=1.0)
    kw = dict(outcome="peacefactor", treatment="directlyharmed", controls=DARFUR_X)
    # a constant outcome: was "r_max ... found -inf" (Oster) and "t_value ... nan" (C-H)
    with pytest.raises(OutcomeError, match="expected variation"):
        oster_bounds(flat, **kw)
    with pytest.raises(OutcomeError, match="expected variation"):
        cinelli_hazlett(flat, **kw)
    with pytest.raises(UnknownOptionError, match="distinct"):
        cinelli_hazlett(df, benchmark_covariates=["female", "female"], **kw)
    # oster_delta: NaN input or a zero denominator gave NaN
    ok = dict(beta_short=1.0, beta_long=0.5, r2_short=0.1, r2_long=0.2, r_max=0.3,
              sigma_yy=1.0, sigma_xx=1.0, tau_x=0.5)  # fmt: skip
    with pytest.raises(UnknownOptionError, match="beta"):
        oster_delta(beta=float("nan"), **ok)
    with pytest.raises(DataError, match="denominator"):
        oster_delta(**{**ok, "beta_short": 0.5, "r_max": 0.2, "tau_x": 1.0})
    # two columns (treated, control) were silently flattened into 2n "differences"
    with pytest.raises(ImpossibleValueError, match="1-d"):
        rosenbaum_bounds(np.array([[1.0, 2.0], [3.0, 0.5]]))
    col = rosenbaum_bounds(np.array([[1.0], [2.0], [-0.5]]))
    assert col.n_pairs == 3
