"""Placebo outcomes and permuted (placebo) treatments of the OLS premium."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from welfare.datasets import taobao_village_survey
from welfare.errors import DataError, UnknownOptionError
from welfare.premium import ols_premium
from welfare.robustness.placebo import placebo_outcomes, placebo_treatment

CONTROLS = ["head_age", "head_female", "head_edu", "head_urban_work", "head_ecom_knowledge"]


@pytest.fixture(scope="module")
def twin():
    t = taobao_village_survey()
    cols = ["hh_id", "village_id", "weight", "e_household", "income_pc", "hh_size", "land_mu"]
    d = t.data.dropna(subset=cols + CONTROLS).reset_index(drop=True)
    d.attrs = dict(t.data.attrs)
    return t, d


def test_placebo_outcomes_equal_separate_regressions_and_are_near_zero(twin):
    t, d = twin
    r = placebo_outcomes(d, treatment="e_household", outcomes=["land_mu", "hh_size"],
                         controls=CONTROLS, fixed_effects=["village_id"], design=t.design)  # fmt: skip
    for o in ("land_mu", "hh_size"):
        one = ols_premium(d, outcome=o, treatment="e_household", controls=CONTROLS,
                          fixed_effects=["village_id"], scale="levels", design=t.design)  # fmt: skip
        assert r.params[o] == one.params["e_household"]
        assert r.std_errors[o] == pytest.approx(one.std_errors["e_household"], rel=1e-12)
        # the twin's participation does not depend on land or household size
        assert abs(r.params[o]) < 3 * r.std_errors[o]
    assert r.synthetic and "diagonal vcov" in " ".join(r.notes)
    # a placebo outcome that is also a control leaves its own control set
    r2 = placebo_outcomes(d, treatment="e_household", outcomes=["head_age"], controls=CONTROLS,
                          design=t.design)  # fmt: skip
    assert "left out of its own control set" in " ".join(r2.notes)


def _perms(d, strata, reps, seed):
    """The permutations placebo_treatment draws (same algorithm, same generator)."""
    rng = np.random.default_rng(seed)
    groups = d[strata].to_numpy() if strata else np.zeros(len(d))
    codes = pd.factorize(pd.Series(groups), sort=True)[0]
    x = d["e_household"].to_numpy(dtype=float)
    out = []
    for _ in range(reps):
        dp = x.copy()
        for g in range(codes.max() + 1):
            idx = np.flatnonzero(codes == g)
            dp[idx] = x[idx][rng.permutation(len(idx))]
        out.append(dp)
    return out


def test_placebo_estimates_equal_ols_premium_on_permuted_data(twin):
    t, d = twin
    res = placebo_treatment(d, treatment="e_household", outcome="income_pc", controls=CONTROLS,
                            fixed_effects=["village_id"], design=t.design, strata="village_id",
                            reps=19, random_state=5)  # fmt: skip
    main = ols_premium(d, outcome="income_pc", treatment="e_household", controls=CONTROLS,
                       fixed_effects=["village_id"], design=t.design)  # fmt: skip
    assert res.estimate == main.params["e_household"] and res.results.n_obs == main.n_obs
    sub = d.loc[main.sample.mask].reset_index(drop=True)
    for r, dp in enumerate(_perms(sub, "village_id", 19, 5)[:3]):
        # within villages: every village keeps its number of participants
        assert (sub.assign(p=dp).groupby("village_id")["p"].sum()
                == sub.groupby("village_id")["e_household"].sum()).all()  # fmt: skip
        refit = ols_premium(sub.assign(e_household=dp), outcome="income_pc",
                            treatment="e_household", controls=CONTROLS,
                            fixed_effects=["village_id"], design=t.design)  # fmt: skip
        assert res.placebo_estimates[r] == pytest.approx(refit.params["e_household"], rel=1e-8)
    # the twin's premium is real: no permuted treatment comes close
    assert res.p_value == pytest.approx(1 / 20)
    again = placebo_treatment(d, treatment="e_household", outcome="income_pc", controls=CONTROLS,
                              fixed_effects=["village_id"], design=t.design, strata="village_id",
                              reps=19, random_state=5)  # fmt: skip
    np.testing.assert_array_equal(again.placebo_estimates, res.placebo_estimates)


def test_permutation_p_value_against_exact_enumeration():
    """8 units, 4 treated, no controls: b = difference in means; the exact permutation p-value
    over all C(8, 4) = 70 assignments, against 9,999 random permutations (MC sd 0.005)."""
    y = np.array([3.1, 2.0, 4.5, 3.3, 1.2, 2.8, 2.2, 1.9])
    dvec = np.array([1, 1, 1, 1, 0, 0, 0, 0], dtype=float)
    df = pd.DataFrame({"y": y, "d": dvec})
    b = y[dvec == 1].mean() - y[dvec == 0].mean()
    stats = []
    for treated in itertools.combinations(range(8), 4):
        m = np.zeros(8, dtype=bool)
        m[list(treated)] = True
        stats.append(y[m].mean() - y[~m].mean())
    exact = np.mean(np.abs(stats) >= abs(b) - 1e-12)
    res = placebo_treatment(df, treatment="d", outcome="y", scale="levels", reps=9999,
                            random_state=1)  # fmt: skip
    assert res.estimate == pytest.approx(b, rel=1e-12)
    assert res.p_value == pytest.approx(exact, abs=0.02)


def test_placebo_bad_input(twin):
    t, d = twin
    with pytest.raises(DataError, match="is the treatment"):
        placebo_treatment(d, treatment="e_household", outcome="e_household", reps=19)
    with pytest.raises(DataError, match="controls include the treatment"):
        placebo_outcomes(d, treatment="e_household", outcomes=["land_mu"],
                         controls=["e_household", "head_age"])  # fmt: skip
    with pytest.raises(UnknownOptionError, match="reps"):
        placebo_treatment(d, treatment="e_household", outcome="income_pc", reps=5)
    with pytest.raises(UnknownOptionError, match="strata"):
        placebo_treatment(d, treatment="e_household", outcome="income_pc", strata="vilage_id")
    with pytest.raises(UnknownOptionError, match="distinct"):
        placebo_outcomes(d, treatment="e_household", outcomes=["land_mu", "land_mu"])
    before = d.copy()
    placebo_treatment(d, treatment="e_household", outcome="income_pc", reps=19)
    pd.testing.assert_frame_equal(d, before)


def _clustered(seed=3, G=10, n=400):
    rng = np.random.default_rng(seed)
    g = rng.integers(0, G, n)
    d = (rng.normal(size=n) + 0.3 * rng.normal(size=G)[g] > 0).astype(float)
    x = rng.normal(size=n)
    df = pd.DataFrame({"g": g, "d": d, "x": x})
    for k, beta in enumerate((0.0, 0.15, 0.4)):
        df[f"y{k}"] = beta * d + 0.5 * x + rng.normal(size=G)[g] + rng.normal(size=n)
    return df


def test_premium_across_outcomes_romano_wolf_equals_pyfixest_rwolf():
    """Unweighted, G = 10, full enumeration: welfare's Romano-Wolf p-values equal pyfixest's
    rwolf up to the exact ties |t*| = |t| of the draws v = +-1 (at most 2 of 1,024 draws)."""
    import warnings

    import pyfixest as pf

    from welfare.robustness.multiple_outcomes import premium_across_outcomes

    df = _clustered()
    out = premium_across_outcomes(df, treatment="d", outcomes=["y0", "y1", "y2"], controls=["x"],
                                  cluster="g")  # fmt: skip
    assert out.attrs["full_enumeration"] and out.attrs["reps"] == 1024
    fits = [pf.feols(f"y{k} ~ d + x", data=df, vcov={"CRV1": "g"}) for k in range(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.rwolf(fits, "d", reps=9999, seed=1)
    ref_p = ref.loc["RW Pr(>|t|)"].to_numpy(dtype=float)
    np.testing.assert_allclose(out["p_value_romano_wolf"], ref_p, atol=3 / 1024)
    for k in range(3):  # the estimates are the OLS coefficients
        assert out["estimate"].iloc[k] == pytest.approx(fits[k].coef()["d"], rel=1e-10)
    assert (out["p_value_romano_wolf"] >= out["p_value_wild"] - 1e-12).all()
    with pytest.raises(DataError, match="is the treatment"):
        premium_across_outcomes(df, treatment="d", outcomes=["d", "y1"], cluster="g")
    with pytest.raises(UnknownOptionError, match="cluster"):
        premium_across_outcomes(df, treatment="d", outcomes=["y1"])


def test_nn_match_exports_matched_pair_differences_for_rosenbaum_bounds():
    """1:1 ATT matching without weights: treated_minus_matched are the pair differences y_i -
    y_m(i); their mean is the ATT; at Gamma = 1 the Rosenbaum bound is the Wilcoxon test."""
    from scipy import stats

    from welfare.premium import nn_match
    from welfare.robustness import rosenbaum_bounds

    rng = np.random.default_rng(8)
    n = 60
    x = rng.normal(size=n)
    d = (x + rng.normal(size=n) > 0).astype(float)
    y = 0.5 * d + x + rng.normal(scale=0.5, size=n)
    df = pd.DataFrame({"y": y, "d": d, "x": x})
    r = nn_match(df, outcome="y", treatment="d", covariates=["x"], estimand="ATT", scale="levels")
    diff = np.asarray(r.extra["treated_minus_matched"])
    assert len(diff) == int(d.sum())
    assert diff.mean() == pytest.approx(float(r.params["ATT"]), rel=1e-12)
    # each difference is the treated outcome minus its nearest control's outcome (hand search)
    ctrl = np.flatnonzero(d == 0)
    for i, unit in enumerate(np.flatnonzero(d == 1)):
        m = ctrl[np.argmin(np.abs(x[ctrl] - x[unit]))]
        assert diff[i] == pytest.approx(y[unit] - y[m], abs=1e-12)
    rb = rosenbaum_bounds(diff, gamma=(1.0,), method="normal")
    ref = stats.wilcoxon(diff, alternative="greater", method="approx", correction=False)
    assert rb.table["p_upper"].iloc[0] == pytest.approx(ref.pvalue, rel=1e-10)


def test_placebo_edge_inputs(twin):
    t, d = twin
    kw = dict(treatment="e_household", outcome="income_pc", design=t.design, reps=19)
    # a treatment constant within every stratum: every permutation equalled the observed
    # assignment and p = 1 was reported silently
    with pytest.raises(DataError, match="expected variation within any stratum"):
        placebo_treatment(d.assign(s=d["e_household"].astype(str)), strata="s", **kw)
    with pytest.raises(UnknownOptionError, match="strata"):
        placebo_treatment(d, strata=["village_id"], **kw)  # was a TypeError
    with pytest.raises(DataError, match="controls include the outcome"):
        placebo_treatment(d, controls=["income_pc"], **kw)  # was run as log(y) ~ d + y
    with pytest.raises(DataError, match="fixed_effects include the treatment"):
        placebo_outcomes(d, treatment="e_household", outcomes=["land_mu"],
                         fixed_effects=["e_household"])  # fmt: skip  # was a pyfixest ValueError
    with pytest.raises(DataError, match="fixed_effects include the outcome"):
        placebo_treatment(d, fixed_effects=["income_pc"], **kw)


def test_placebo_shuffled_rows_same_result(twin):
    """Same seed, rows shuffled (index kept): the same permutations and p-value."""
    t, d = twin
    kw = dict(treatment="e_household", outcome="income_pc", controls=CONTROLS, design=t.design,
              strata="village_id", reps=19, random_state=7)  # fmt: skip
    a = placebo_treatment(d, **kw)
    b = placebo_treatment(d.sample(frac=1, random_state=1), **kw)
    np.testing.assert_allclose(b.placebo_estimates, a.placebo_estimates, rtol=1e-10)
    assert b.p_value == a.p_value
    # shuffled AND re-indexed: only a unit id can fix the order (order_by)
    shuffled = d.sample(frac=1, random_state=2).reset_index(drop=True)
    shuffled.attrs = dict(d.attrs)
    c = placebo_treatment(d, order_by="hh_id", **kw)
    e = placebo_treatment(shuffled, order_by="hh_id", **kw)
    np.testing.assert_allclose(e.placebo_estimates, c.placebo_estimates, rtol=1e-10)
    assert e.p_value == c.p_value
    with pytest.raises(DataError, match="order_by 'village_id': expected a unique identifier"):
        placebo_treatment(d, order_by="village_id", **kw)
    with pytest.raises(UnknownOptionError, match="order_by: expected a column"):
        placebo_treatment(d, order_by="nope", **kw)


def test_premium_across_outcomes_role_errors():
    """An outcome among the controls was fitted as y ~ d + y and failed in the bootstrap with a
    "perfect fit" VarianceError; the treatment as a fixed effect with a CollinearityError."""
    from welfare.robustness.multiple_outcomes import premium_across_outcomes

    df = _clustered()
    kw = dict(treatment="d", outcomes=["y0", "y1"], cluster="g", reps=99)
    with pytest.raises(DataError, match="controls include the outcome"):
        premium_across_outcomes(df, controls=["x", "y1"], **kw)
    with pytest.raises(DataError, match="fixed_effects include"):
        premium_across_outcomes(df, fixed_effects=["d"], **kw)


def test_premium_across_outcomes_counts_dropped_rows_by_reason():
    from welfare.robustness import premium_across_outcomes

    t = taobao_village_survey()
    d = t.data.assign(log_inc=np.log(t.data.income_pc), log_cons=np.log(t.data.consumption_pc))
    d.attrs = dict(t.data.attrs)
    r = premium_across_outcomes(d, treatment="e_household", outcomes=["log_inc", "log_cons"],
                                controls=["head_age", "head_edu"], design=t.design,
                                cluster="province", reps=255)  # fmt: skip
    miss_y = int(d["log_inc"].isna().sum())
    miss_edu = int(d["head_edu"].isna().sum())
    both = int((d["log_inc"].isna() & d["head_edu"].isna()).sum())
    # hand counts: the outcome is checked first, then the regressors
    assert r.attrs["dropped"]["log_inc"] == {
        "missing outcome 'log_inc'": miss_y,
        "missing regressor 'head_edu'": miss_edu - both,
    }
    assert r.attrs["dropped"]["log_cons"] == {"missing regressor 'head_edu'": miss_edu}
    assert (r["n_obs"] + r["n_dropped"] == len(d)).all()
