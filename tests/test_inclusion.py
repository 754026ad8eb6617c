"""Inclusion descriptives (finding F7): twin module, design-weighted shares, ordered probit.

Outside references: hand computations of the linearised variance on tiny inputs, statsmodels
(WLS with cluster SEs; OrderedModel), pyfixest via ``fit_ols`` (stratified design variance),
row-expanded data for frequency weights, finite differences for delta-method gradients, and the
synthetic twin's known truth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from welfare.data.design import SurveyDesign
from welfare.datasets import taobao_village_survey
from welfare.datasets.taobao import STATUS_LEVELS
from welfare.errors import (
    CollinearityError,
    ColumnTypeError,
    EmptySampleError,
    ImpossibleValueError,
    MissingColumnError,
    OutcomeError,
    PerfectPredictionError,
    UnknownOptionError,
    VarianceError,
)
from welfare.inclusion import ordered_probit, proportions, share_in_range
from welfare.inference.linear import fit_ols

SEED = 20190601
PW = SurveyDesign(weights="weight", weight_type="pweight", psu="village_id")


@pytest.fixture(scope="module")
def twin():
    return taobao_village_survey(SEED)


@pytest.fixture(scope="module")
def status_frame(twin):
    """Inclusion module merged with the regressors of the status model (derived columns)."""
    d = twin.data[["hh_id", "head_age", "income_pc"]]
    f = twin.inclusion.merge(d, on="hh_id", how="left", validate="one_to_one")
    f["age10"] = (f["head_age"] - 46) / 10
    f["log_income_c"] = np.log(f["income_pc"]) - twin.truth["inclusion_log_income_centre"]
    f.attrs = dict(twin.inclusion.attrs)
    return f


# ====================================================================== twin: inclusion module
def test_households_and_workers_unchanged_literal_values(twin):
    """Values recorded BEFORE the inclusion module was added (same seed, same data)."""
    d, w, t = twin.data, twin.workers, twin.truth
    h_d = pd.util.hash_pandas_object(d.astype({"head_edu": str}), index=True).sum() % 2**61
    h_w = pd.util.hash_pandas_object(w, index=True).sum() % 2**61
    assert int(h_d) == 412961539594747115
    assert int(h_w) == 2145750551372011930
    assert float(d["income_total"].sum()) == pytest.approx(80944685.74000001, rel=1e-14)
    assert float(d["weight"].sum()) == pytest.approx(1223383.2750000001, rel=1e-14)
    assert float(d["consumption_pc"].sum()) == pytest.approx(20399002.5, rel=1e-14)
    assert float(w["annual_wage"].sum()) == 18530782.0 and len(w) == 387
    assert t["ate_log"] == pytest.approx(0.3337329091735376, rel=1e-14)
    assert t["worker_wage_mean"] == pytest.approx(49163.461339571535, rel=1e-14)
    assert len(twin.population) == 46209
    assert float(twin.population["income_pc"].sum()) == pytest.approx(797844784.2546074, 1e-14)
    row = d.iloc[10]
    assert (row["hh_id"], row["village_id"], row["head_age"], row["income_pc"]) == (
        11,
        17,
        28.0,
        15907.3,
    )
    assert w.iloc[3]["annual_wage"] == 99446.0 and w.iloc[3]["worker_age"] == 33.0


def test_households_unchanged_other_seed():
    tw = taobao_village_survey(7)
    assert float(tw.data["income_total"].sum()) == pytest.approx(81097231.02, rel=1e-14)
    assert float(tw.data["weight"].sum()) == pytest.approx(1255179.75, rel=1e-14)
    assert float(tw.workers["annual_wage"].sum()) == 19335659.0
    assert tw.truth["worker_wage_mean"] == pytest.approx(48434.370444085085, rel=1e-14)


def test_inclusion_module_structure(twin):
    inc, d = twin.inclusion, twin.data
    assert list(inc.columns) == [
        "hh_id",
        "village_id",
        "weight",
        "e_household",
        "owner_female",
        "owner_age",
        "status_change_5y",
        "status_expect_2y",
    ]
    assert len(inc) == len(d) == 1400
    assert inc["hh_id"].tolist() == sorted(d["hh_id"])
    m = d.set_index("hh_id").loc[inc["hh_id"]]
    for c in ("village_id", "weight", "e_household"):
        np.testing.assert_array_equal(inc[c].to_numpy(), m[c].to_numpy())
    e = inc["e_household"] == 1
    assert inc.loc[e, ["owner_female", "owner_age"]].notna().all().all()
    assert inc.loc[~e, ["owner_female", "owner_age"]].isna().all().all()
    assert set(inc.loc[e, "owner_female"].unique()) == {0.0, 1.0}
    assert inc.loc[e, "owner_age"].between(20, 70).all()
    for q in ("status_change_5y", "status_expect_2y"):
        assert inc[q].cat.ordered and list(inc[q].cat.categories) == list(STATUS_LEVELS)
        assert inc[q].notna().all()
    assert inc.attrs["welfare_synthetic"] is True
    assert inc.attrs["welfare_label"].startswith("SYNTHETIC")
    s = twin.inclusion_survey
    assert s.design == PW and s.synthetic and s.label.startswith("SYNTHETIC")
    pi = twin.population_inclusion
    assert len(pi) == len(twin.population) and pi.attrs["welfare_label"].startswith("SYNTHETIC")
    np.testing.assert_array_equal(
        pi["e_household"].to_numpy(), twin.population["e_household"].to_numpy()
    )


def test_inclusion_sample_rows_are_the_population_rows(twin):
    """Sampled rows carry their own population row's values (matched on household traits)."""
    keys = ["village_id", "e_household", "head_age", "hh_size", "land_mu"]
    pop = twin.population[keys].join(twin.population_inclusion.drop(columns=keys[:2]))
    pop = pop[~pop.duplicated(keys, keep=False)]
    s = twin.data[["hh_id", *keys]].merge(pop, on=keys, how="inner", validate="one_to_one")
    assert len(s) > 1000
    got = twin.inclusion.set_index("hh_id").loc[s["hh_id"]]
    for c in ("owner_female", "owner_age"):
        np.testing.assert_array_equal(got[c].to_numpy(), s[c].to_numpy())
    for c in ("status_change_5y", "status_expect_2y"):
        assert (got[c].to_numpy() == s[c].to_numpy()).all()


def test_inclusion_truth_is_the_exact_population_share(twin):
    t, pi = twin.truth, twin.population_inclusion
    e = pi["e_household"] == 1
    assert t["inclusion_share_owner_female"] == pi.loc[e, "owner_female"].mean()
    age = pi.loc[e, "owner_age"]
    assert t["inclusion_share_owner_age_20_29"] == ((age >= 20) & (age <= 29)).mean()
    for q in ("status_change_5y", "status_expect_2y"):
        soh = pi[q] >= "same"
        got = t["inclusion_share_same_or_higher"][q]
        assert got["all"] == soh.mean()
        assert got["e_household=1"] == soh[e].mean()
        assert got["e_household=0"] == soh[~e].mean()
        assert got["all"] >= 0.8 and got["e_household=1"] > got["e_household=0"]
        shares = t["inclusion_status_shares"][q]["all"]
        assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
    # calibration targets of the report (population values of this seed)
    assert t["inclusion_share_owner_female"] == pytest.approx(0.5, abs=0.03)
    assert t["inclusion_share_owner_age_20_29"] == pytest.approx(0.75, abs=0.03)
    assert t["inclusion_theta"]["status_change_5y"] == 0.6
    assert t["inclusion_cutpoints"]["status_change_5y"] == [-2.0, -1.0, 0.6, 1.8]


def test_inclusion_module_deterministic():
    a, b = taobao_village_survey(11), taobao_village_survey(11)
    pd.testing.assert_frame_equal(a.inclusion, b.inclusion)
    pd.testing.assert_frame_equal(a.population_inclusion, b.population_inclusion)
    c = taobao_village_survey(12)
    assert not a.inclusion["status_change_5y"].equals(c.inclusion["status_change_5y"])


# ====================================================================== proportions
def _tiny():
    """10 rows, 5 PSUs in 2 strata (PSUs 1, 2 in stratum 1; 3, 4, 5 in stratum 2)."""
    return pd.DataFrame(
        {
            "y": [1, 0, 1, 1, 0, 0, 1, 0, 1, 1],
            "dom": [1, 1, 0, 1, 1, 1, 0, 1, 1, 1],
            "w": [1.0, 2.0, 1.5, 3.0, 1.0, 2.5, 2.0, 1.0, 4.0, 0.5],
            "psu": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
            "h": [1, 1, 1, 1, 2, 2, 2, 2, 2, 2],
        }
    )


def _hand_se(df, p, dom):
    """Textbook linearised variance, written out with loops (no welfare code)."""
    W = sum(r.w for r in df.itertuples() if dom(r))
    v = 0.0
    for h in sorted(df["h"].unique()):
        psus = sorted(df.loc[df["h"] == h, "psu"].unique())
        tot = []
        for c in psus:
            z = 0.0
            for r in df[(df["h"] == h) & (df["psu"] == c)].itertuples():
                if dom(r):
                    z += r.w * (r.y - p) / W
            tot.append(z)
        nh = len(tot)
        mean = sum(tot) / nh
        v += nh / (nh - 1) * sum((t - mean) ** 2 for t in tot)
    return np.sqrt(v)


def test_proportion_hand_computation_strata_and_domain():
    df = _tiny()
    design = SurveyDesign(weights="w", weight_type="pweight", psu="psu", strata="h")
    # whole sample
    p = np.sum(df.w * df.y) / df.w.sum()
    r = proportions(df, ["y"], design=design)
    t = r.tidy()
    assert t["estimate"][0] == pytest.approx(p, rel=1e-14)
    se = _hand_se(df, p, lambda r: True)
    assert t["std_error"][0] == pytest.approx(se, rel=1e-12)
    assert r.df == 5 - 2
    # logit interval written out
    c = stats.t.ppf(0.975, 3)
    lo = special.expit(special.logit(p) - c * se / (p * (1 - p)))
    hi = special.expit(special.logit(p) + c * se / (p * (1 - p)))
    assert (t["conf_low"][0], t["conf_high"][0]) == pytest.approx((lo, hi), rel=1e-12)
    # domain: PSU 4 keeps one domain row, PSU 2 one; zero scores elsewhere
    dm = df.dom == 1
    pd_ = np.sum(df.w[dm] * df.y[dm]) / df.w[dm].sum()
    rd = proportions(df, ["y"], design=design, domain="dom").tidy()
    assert rd["estimate"][0] == pytest.approx(pd_, rel=1e-14)
    assert rd["std_error"][0] == pytest.approx(_hand_se(df, pd_, lambda r: r.dom == 1), 1e-12)


def test_domain_is_not_a_subset_when_a_psu_has_no_domain_row():
    df = _tiny()
    df.loc[df.psu == 4, "dom"] = 0  # PSU 4 has no domain row
    design = SurveyDesign(weights="w", weight_type="pweight", psu="psu", strata="h")
    dom = proportions(df, ["y"], design=design, domain="dom")
    sub = proportions(df[df.dom == 1], ["y"], design=design)
    assert dom.params.iloc[0] == pytest.approx(sub.params.iloc[0], rel=1e-14)
    p = dom.params.iloc[0]
    se_hand = _hand_se(df, p, lambda r: r.dom == 1)
    assert dom.std_errors.iloc[0] == pytest.approx(se_hand, rel=1e-12)
    # the subset loses PSU 4: another variance and fewer degrees of freedom
    assert abs(dom.std_errors.iloc[0] / sub.std_errors.iloc[0] - 1) > 0.01
    assert (dom.df, sub.df) == (3, 2)
    assert dom.vcov_spec.n_clusters == 5 and sub.vcov_spec.n_clusters == 4
    # when every PSU has a domain row, domain and subset coincide
    df2 = _tiny()
    a = proportions(df2, ["y"], design=design, domain="dom")
    b = proportions(df2[df2.dom == 1], ["y"], design=design)
    assert a.std_errors.iloc[0] == pytest.approx(b.std_errors.iloc[0], rel=1e-12)


def _clustered(seed=3, n_psu=30, m=12, strata=False):
    rng = np.random.default_rng(seed)
    psu = np.repeat(np.arange(n_psu), m)
    u = rng.normal(0, 0.7, n_psu)[psu]
    y = (rng.normal(size=n_psu * m) + u > 0.4).astype(float)
    df = pd.DataFrame(
        {
            "y": y,
            "g": (rng.random(n_psu * m) < 0.4).astype(float),
            "w": rng.uniform(0.5, 3, n_psu * m),
            "psu": psu,
        }
    )
    if strata:
        df["h"] = psu % 3
    return df


def test_proportion_equals_statsmodels_wls_intercept_with_cluster_se():
    import statsmodels.api as sm

    df = _clustered()
    r = proportions(df, ["y"], design=SurveyDesign(weights="w", psu="psu"))
    m = sm.WLS(df["y"], np.ones(len(df)), weights=df["w"]).fit(
        cov_type="cluster", cov_kwds={"groups": df["psu"]}
    )
    # statsmodels' factor G/(G-1) (N-1)/(N-K) is G/(G-1) with K = 1: equal without conversion
    assert r.params.iloc[0] == pytest.approx(float(m.params.iloc[0]), rel=1e-12)
    assert r.std_errors.iloc[0] == pytest.approx(float(m.bse.iloc[0]), rel=1e-10)
    assert r.df == 29


def test_proportion_equals_fit_ols_design_variance_with_strata():
    df = _clustered(strata=True)
    design = SurveyDesign(weights="w", psu="psu", strata="h")
    r = proportions(df, ["y"], design=design)
    o = fit_ols("y ~ 1", df, design=design, vcov="design")
    assert r.params.iloc[0] == pytest.approx(o.params.iloc[0], rel=1e-12)
    assert r.std_errors.iloc[0] == pytest.approx(o.std_errors.iloc[0], rel=1e-10)
    assert r.df == o.df == 30 - 3


def test_by_groups_equal_domains_and_joint_covariance():
    df = _clustered()
    design = SurveyDesign(weights="w", psu="psu")
    r = proportions(df, ["y"], design=design, by=["g"])
    assert r.terms == ("y=1 | g=0", "y=1 | g=1")
    d1 = proportions(df, ["y"], design=design, domain="g")
    assert r.params.iloc[1] == pytest.approx(d1.params.iloc[0], rel=1e-14)
    assert r.std_errors.iloc[1] == pytest.approx(d1.std_errors.iloc[0], rel=1e-12)
    assert r.vcov.iloc[0, 1] != 0  # one design, joint covariance across groups


def test_fweights_equal_expanded_rows():
    df = _clustered(seed=5)
    rng = np.random.default_rng(1)
    df["f"] = rng.integers(1, 4, len(df)).astype(float)
    big = df.loc[df.index.repeat(df["f"].astype(int))].reset_index(drop=True)
    a = proportions(df, ["y"], design=SurveyDesign(weights="f", weight_type="fweight", psu="psu"))
    b = proportions(big, ["y"], design=SurveyDesign(psu="psu"))
    assert a.params.iloc[0] == pytest.approx(b.params.iloc[0], rel=1e-12)
    assert a.std_errors.iloc[0] == pytest.approx(b.std_errors.iloc[0], rel=1e-10)
    a0 = proportions(df, ["y"], design=SurveyDesign(weights="f", weight_type="fweight"))
    b0 = proportions(big, ["y"])
    assert a0.std_errors.iloc[0] == pytest.approx(b0.std_errors.iloc[0], rel=1e-10)
    assert a0.df == b0.df == len(big) - 1


def test_twin_truth_recovered_within_3_se(twin):
    t = twin.truth
    inc = twin.inclusion_survey
    checks = []
    r = proportions(inc, ["owner_female"], domain="e_household")
    checks.append((r, "owner_female=1", t["inclusion_share_owner_female"]))
    r = share_in_range(inc, "owner_age", low=20, high=29, domain="e_household")
    checks.append((r, "20 <= owner_age <= 29", t["inclusion_share_owner_age_20_29"]))
    for q in ("status_change_5y", "status_expect_2y"):
        truth = t["inclusion_share_same_or_higher"][q]
        r = share_in_range(inc, q, low="same")
        checks.append((r, f"{q} >= same", truth["all"]))
        r = share_in_range(inc, q, low="same", by=["e_household"])
        for v in (0, 1):
            checks.append((r, f"{q} >= same | e_household={v}", truth[f"e_household={v}"]))
        r = proportions(inc, [q])
        checks.append((r, f"{q}=higher", t["inclusion_status_shares"][q]["all"]["higher"]))
    for res, term, truth in checks:
        tt = res.tidy().set_index("term").loc[term]
        assert abs(tt["estimate"] - truth) < 3 * tt["std_error"], (term, tt["estimate"], truth)
        assert tt["conf_low"] < tt["estimate"] < tt["conf_high"]
        assert res.synthetic and res.metadata()["df"] == 79


def test_missing_values_counted_and_left_out_of_the_domain(twin):
    inc = twin.inclusion
    r = proportions(inc, ["owner_female"], design=PW)
    assert r.extra["left_out"] == {
        "missing 'owner_female' (left out of its domain, PSU kept)": int(
            (inc["e_household"] == 0).sum()
        )
    }
    assert r.extra["n_domain"]["owner_female=1"] == int((inc["e_household"] == 1).sum())
    d = proportions(inc, ["owner_female"], design=PW, domain="e_household")
    assert r.params.iloc[0] == pytest.approx(d.params.iloc[0], rel=1e-14)
    assert r.std_errors.iloc[0] == pytest.approx(d.std_errors.iloc[0], rel=1e-12)
    assert any("missing value" in n for n in r.notes)
    # rows with a missing weight are dropped from the design, counted in the sample
    bad = inc.copy()
    bad.loc[:4, "weight"] = np.nan
    rb = proportions(bad, ["status_change_5y"], design=PW)
    assert rb.sample.dropped == (("missing weight 'weight'", 5),)


def test_logit_and_wald_intervals_and_levels():
    df = _clustered()
    design = SurveyDesign(weights="w", psu="psu")
    lg = proportions(df, ["y"], design=design).tidy().iloc[0]
    wd = proportions(df, ["y"], design=design, ci="wald").tidy().iloc[0]
    c = stats.t.ppf(0.975, 29)
    assert (wd.conf_low, wd.conf_high) == pytest.approx(
        (wd.estimate - c * wd.std_error, wd.estimate + c * wd.std_error), rel=1e-12
    )
    assert lg.std_error == wd.std_error
    # logit interval is asymmetric around p (towards 0.5)
    assert (lg.conf_high - lg.estimate) != pytest.approx(lg.estimate - lg.conf_low, rel=1e-3)
    r90 = proportions(df, ["y"], design=design, level=0.90).tidy().iloc[0]
    assert lg.conf_low < r90.conf_low < r90.conf_high < lg.conf_high


def test_degenerate_share_gets_clopper_pearson_interval():
    df = pd.DataFrame({"y": [0.0] * 8 + [1.0] * 4, "psu": np.repeat([1, 2, 3, 4], 3)})
    df["d"] = (df.index < 8).astype(float)  # domain where y is always 0
    r = proportions(df, ["y"], design=SurveyDesign(psu="psu"), domain="d")
    t = r.tidy().iloc[0]
    assert t.estimate == 0 and t.std_error == 0
    assert t.conf_low == 0 and t.conf_high == pytest.approx(stats.beta.ppf(0.975, 1, 8), 1e-12)
    assert any("Clopper-Pearson" in n for n in r.notes)


def test_proportions_do_not_modify_input(twin):
    inc = twin.inclusion.copy()
    before = inc.copy()
    share_in_range(inc, "owner_age", low=20, high=29, design=PW, by=["owner_female"])
    proportions(inc, ["status_change_5y", "owner_female"], design=PW, domain="e_household")
    pd.testing.assert_frame_equal(inc, before)
    # a by-group with no observed value (no owner among non-e-households) is an empty domain
    with pytest.raises(EmptySampleError, match=r"owner_age <= 29 \| e_household=0"):
        share_in_range(inc, "owner_age", low=20, high=29, design=PW, by=["e_household"])


def test_proportions_bad_input():
    df = _clustered()
    df["text"] = np.where(df.y == 1, "yes", "no")
    df["count"] = np.arange(len(df)) % 4
    design = SurveyDesign(weights="w", psu="psu")
    with pytest.raises(ColumnTypeError, match="0/1 indicator or a pandas Categorical"):
        proportions(df, ["text"], design=design)
    with pytest.raises(ColumnTypeError, match="share_in_range"):
        proportions(df, ["count"], design=design)
    with pytest.raises(EmptySampleError, match="expected at least one row"):
        proportions(df.assign(z=0.0), ["y"], design=design, domain="z")
    with pytest.raises(ColumnTypeError, match="domain 'count'"):
        proportions(df, ["y"], design=design, domain="count")
    with pytest.raises(UnknownOptionError, match="list of column names"):
        proportions(df, "y", design=design)
    with pytest.raises(UnknownOptionError, match="ci="):
        proportions(df, ["y"], design=design, ci="exact")
    with pytest.raises(UnknownOptionError, match="level"):
        proportions(df, ["y"], design=design, level=95)
    with pytest.raises(UnknownOptionError, match="did you mean 'domain'"):
        proportions(df, ["y"], design=design, domian="g")
    with pytest.raises(MissingColumnError):
        proportions(df, ["nope"], design=design)
    with pytest.raises(UnknownOptionError, match="low=, high="):
        share_in_range(df, "count", design=design)
    with pytest.raises(UnknownOptionError, match="low <= high"):
        share_in_range(df, "count", low=3, high=1, design=design)
    with pytest.raises(ColumnTypeError, match="ordered Categorical"):
        share_in_range(df, "text", low="a", design=design)
    cat = df.assign(c=pd.Categorical(df["text"], ordered=True))
    with pytest.raises(UnknownOptionError, match="levels"):
        share_in_range(cat, "c", low="maybe", design=design)
    with pytest.raises(NotImplementedError):
        proportions(df, ["y"], design=design).with_vcov("iid")


# ====================================================================== ordered probit
def _ordered_data(n=900, seed=1):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    d = (rng.random(n) < 0.4).astype(float)
    ys = 0.5 * x1 + 0.7 * d + rng.normal(size=n)
    y = np.searchsorted([-1.0, 0.0, 0.8, 1.7], ys)
    return pd.DataFrame(
        {
            "y": y,
            "x1": x1,
            "d": d,
            "psu": rng.integers(0, 40, n),
            "w": rng.uniform(0.5, 2.0, n),
        }
    )


def test_ordered_probit_equals_statsmodels_ordered_model():
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    df = _ordered_data()
    r = ordered_probit("y ~ x1 + d", df)
    assert r.terms == ("x1", "d", "cut1", "cut2", "cut3", "cut4")
    m = OrderedModel(df["y"], df[["x1", "d"]], distr="probit").fit(
        method="newton", disp=False, maxiter=200
    )
    pr = m.params.to_numpy()
    k = 2
    # statsmodels thresholds: first cut, then log increments
    cuts = np.cumsum(np.r_[pr[k], np.exp(pr[k + 1 :])])
    np.testing.assert_allclose(r.params.to_numpy(), np.r_[pr[:k], cuts], atol=1e-6)
    # delta method from statsmodels' parametrisation to the cutpoints
    J = np.zeros((6, 6))
    J[:2, :2] = np.eye(2)
    for m_ in range(4):
        J[2 + m_, 2] = 1
        for j in range(1, m_ + 1):
            J[2 + m_, 2 + j] = np.exp(pr[2 + j])
    V = J @ m.cov_params().to_numpy() @ J.T
    np.testing.assert_allclose(r.std_errors.to_numpy(), np.sqrt(np.diag(V)), rtol=1e-4)
    assert r.extra["log_likelihood"] == pytest.approx(m.llf, rel=1e-10)
    assert r.vcov_spec.kind == "iid" and r.df is None
    # average predicted probabilities equal statsmodels' predictions with d set to 0 and 1
    pp = r.predicted_probabilities("d").params
    for v in (0, 1):
        sm_p = m.model.predict(m.params, exog=df[["x1", "d"]].assign(d=float(v))).mean(axis=0)
        got = [pp[f"P(y={j} | d={v})"] for j in range(5)]
        np.testing.assert_allclose(got, sm_p, atol=1e-8)


def test_ordered_categorical_and_integer_outcome_agree():
    df = _ordered_data()
    labels = ["a", "b", "c", "dd", "e"]
    cat = df.assign(
        y=pd.Categorical.from_codes(df["y"].to_numpy(), categories=labels, ordered=True)
    )
    a = ordered_probit("y ~ x1 + d", df)
    b = ordered_probit("y ~ x1 + d", cat)
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-12)
    assert b.extra["levels"] == labels


def test_ordered_fweights_equal_expanded_rows():
    df = _ordered_data(n=400, seed=4)
    rng = np.random.default_rng(2)
    df["f"] = rng.integers(1, 4, len(df)).astype(float)
    big = df.loc[df.index.repeat(df["f"].astype(int))].reset_index(drop=True)
    for vcov, kw_small, kw_big in (
        ("iid", {}, {}),
        ("CRV1", {"psu": "psu"}, {"psu": "psu"}),
    ):
        a = ordered_probit(
            "y ~ x1 + d",
            df,
            design=SurveyDesign(weights="f", weight_type="fweight", **kw_small),
            vcov=vcov,
        )
        b = ordered_probit("y ~ x1 + d", big, design=SurveyDesign(**kw_big), vcov=vcov)
        np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), atol=1e-9)
        np.testing.assert_allclose(a.std_errors.to_numpy(), b.std_errors.to_numpy(), rtol=1e-7)
        assert a.n_obs == b.n_obs == len(big)
    # HC1: n = sum of the fweights in the factor n/(n-1), as on the expanded rows
    a = ordered_probit(
        "y ~ x1 + d", df, design=SurveyDesign(weights="f", weight_type="fweight"), vcov="HC1"
    )
    b = ordered_probit("y ~ x1 + d", big, vcov="HC1")
    np.testing.assert_allclose(a.std_errors.to_numpy(), b.std_errors.to_numpy(), rtol=1e-7)


def test_ordered_pweights_scale_free_and_design_one_stratum_equals_crv1():
    df = _ordered_data()
    d1 = SurveyDesign(weights="w", psu="psu")
    a = ordered_probit("y ~ x1 + d", df, design=d1)
    b = ordered_probit("y ~ x1 + d", df.assign(w=df.w * 1000), design=d1)
    np.testing.assert_allclose(a.params.to_numpy(), b.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(a.std_errors.to_numpy(), b.std_errors.to_numpy(), rtol=1e-8)
    assert a.vcov_spec.kind == "CRV1" and a.vcov_spec.n_clusters == 40
    # with one stratum the design meat (centred, n_h/(n_h-1)) equals CRV1 (scores sum to 0)
    c = a.with_vcov("design")
    np.testing.assert_allclose(c.std_errors.to_numpy(), a.std_errors.to_numpy(), rtol=1e-8)
    # analytic scores: the weighted score sums to zero at the optimum, the sandwich is
    # invariant to the weight scale (checked above), and the Hessian agrees with finite
    # differences of the analytic score
    from welfare.inclusion.ordered import _Model

    X = df[["x1", "d"]].to_numpy()
    w = df["w"].to_numpy() / df["w"].mean()
    model = _Model(X, df["y"].to_numpy(), w, 5)
    theta = a.params.to_numpy()
    assert np.abs(w @ model.scores(theta)).max() < 1e-6
    H = model.neg_hessian(theta)
    eps = 1e-6
    num = np.column_stack(
        [
            -(w @ model.scores(theta + eps * e) - w @ model.scores(theta - eps * e)) / (2 * eps)
            for e in np.eye(len(theta))
        ]
    )
    np.testing.assert_allclose(H, num, rtol=1e-5, atol=1e-5)


def test_ordered_margins_delta_method_and_identities():
    df = _ordered_data()
    r = ordered_probit("y ~ x1 + d", df, design=SurveyDesign(weights="w", psu="psu"))
    pp = r.predicted_probabilities("d", at_least=2)
    ame = r.ame("d", at_least=2)
    p = pp.params
    for v in (0, 1):
        assert sum(p[f"P(y={j} | d={v})"] for j in range(5)) == pytest.approx(1, abs=1e-12)
        assert p[f"P(y>=2 | d={v})"] == pytest.approx(
            sum(p[f"P(y={j} | d={v})"] for j in (2, 3, 4)), abs=1e-12
        )
    a = ame.params
    assert sum(a[f"y={j}"] for j in range(5)) == pytest.approx(0, abs=1e-12)
    assert a["y>=2"] == pytest.approx(p["P(y>=2 | d=1)"] - p["P(y>=2 | d=0)"], abs=1e-14)
    # delta-method SE against a finite-difference gradient of the AME in theta
    theta = r.params.to_numpy()
    w = df["w"].to_numpy() / df["w"].sum()

    def ame_at(th):
        out = []
        for v in (0.0, 1.0):
            eta = df["x1"].to_numpy() * th[0] + v * th[1]
            out.append(w @ special.ndtr(eta - th[3]))  # P(y >= 2) = 1 - Phi(cut2 - eta)
        return out[1] - out[0]

    eps = 1e-6
    g = np.array(
        [
            (ame_at(theta + eps * e) - ame_at(theta - eps * e)) / (2 * eps)
            for e in np.eye(len(theta))
        ]
    )
    se = np.sqrt(g @ r.vcov.to_numpy() @ g)
    assert ame_at(theta) == pytest.approx(a["y>=2"], rel=1e-10)
    assert ame.std_errors["y>=2"] == pytest.approx(se, rel=1e-5)
    assert ame.vcov_spec == r.vcov_spec
    with pytest.raises(ColumnTypeError, match="0/1 regressor"):
        r.ame("x1")
    with pytest.raises(UnknownOptionError, match="right-hand variable"):
        r.ame("psu")
    with pytest.raises(UnknownOptionError, match="at_least"):
        r.ame("d", at_least=0)


def test_ordered_probit_recovers_the_twin_theta(twin, status_frame):
    t = twin.truth
    n_missing_income = int(twin.data["income_pc"].isna().sum())
    for q in ("status_change_5y", "status_expect_2y"):
        r = ordered_probit(f"{q} ~ e_household + age10 + log_income_c", status_frame, design=PW)
        assert r.sample.dropped == (("missing regressor 'log_income_c'", n_missing_income),)
        truth = {
            "e_household": t["inclusion_theta"][q],
            "age10": t["inclusion_gamma"][q]["age10"],
            "log_income_c": t["inclusion_gamma"][q]["log_income_c"],
            **{f"cut{j + 1}": c for j, c in enumerate(t["inclusion_cutpoints"][q])},
        }
        tt = r.tidy().set_index("term")
        for term, v in truth.items():
            assert abs(tt.loc[term, "estimate"] - v) < 3 * tt.loc[term, "std_error"], (q, term)
        assert r.vcov_spec.kind == "CRV1" and r.vcov_spec.n_clusters == 80
        assert r.synthetic and "log_pseudolikelihood" in r.extra
        # e-households more often "same or higher"
        ame = r.ame("e_household", at_least="same").tidy().set_index("term")
        assert ame.loc[f"{q}>=same", "estimate"] > 3 * ame.loc[f"{q}>=same", "std_error"]


def test_ordered_probit_bad_input(status_frame):
    df = _ordered_data(n=300)
    with pytest.raises(OutcomeError, match="at least 2 levels"):
        ordered_probit("y ~ x1", df.assign(y=2))
    cat = df.assign(
        y=pd.Categorical.from_codes(
            np.minimum(df["y"].to_numpy(), 3), categories=list("abcde"), ordered=True
        )
    )
    with pytest.raises(OutcomeError, match=r"level\(s\) \['e'\] have no observation"):
        ordered_probit("y ~ x1", cat)
    with pytest.raises(ColumnTypeError, match="unordered Categorical"):
        ordered_probit("y ~ x1", df.assign(y=pd.Categorical(df["y"])))
    with pytest.raises(ColumnTypeError, match="ordered Categorical or integers"):
        ordered_probit("y ~ x1", df.assign(y=df["y"].astype(str)))
    with pytest.raises(OutcomeError, match="whole numbers"):
        ordered_probit("y ~ x1", df.assign(y=df["y"] + 0.5 * (df.index % 2)))
    # a dummy separating the outcome: every d = 1 row at the top level
    sep = df.assign(d=(df["y"] == 4).astype(float))
    with pytest.raises(PerfectPredictionError, match="separates the outcome"):
        ordered_probit("y ~ x1 + d", sep)
    # a continuous regressor ordering the outcome exactly (LP separation test)
    x = np.arange(30.0)
    sep2 = pd.DataFrame({"y": (x >= 10).astype(int) + (x >= 20), "x": x})
    with pytest.raises(PerfectPredictionError, match="do(es)? not exist"):
        ordered_probit("y ~ x", sep2)
    with pytest.raises(CollinearityError):
        ordered_probit("y ~ x1 + c", df.assign(c=3.0))
    with pytest.raises(VarianceError, match="iid"):
        ordered_probit("y ~ x1", df, design=SurveyDesign(weights="w"), vcov="iid")
    with pytest.raises(UnknownOptionError, match="did you mean 'cluster'"):
        ordered_probit("y ~ x1", df, clustr="psu")
    with pytest.raises(UnknownOptionError, match="tol"):
        ordered_probit("y ~ x1", df, tol=0.1)
    before = status_frame.copy()
    ordered_probit("status_change_5y ~ e_household + age10", status_frame, design=PW)
    pd.testing.assert_frame_equal(status_frame, before)


# ====================================================================== adversarial input (review)
def test_zero_share_has_no_nan_statistic_or_p_value():
    """An unused Categorical level (share 0, SE 0) gave statistic 0/0 = NaN and p NaN."""
    df = _clustered()
    df["c"] = pd.Categorical(np.where(df.y == 1, "yes", "no"), categories=["no", "yes", "dk"])
    t = proportions(df, ["c", "y"], design=SurveyDesign(weights="w", psu="psu")).tidy()
    assert not t.drop(columns="term").isna().any().any()
    dk = t.set_index("term").loc["c=dk"]
    assert dk.estimate == 0 and dk.std_error == 0 and dk.statistic == 0 and dk.p_value == 1
    one = proportions(df.assign(y=1.0), ["y"], design=SurveyDesign(psu="psu")).tidy().iloc[0]
    assert one.statistic == np.inf and one.p_value == 0
    # alpha=-0.1 gave NaN intervals, 1.5 crossed ones (conf_low > conf_high)
    r = proportions(df, ["y"], design=SurveyDesign(weights="w", psu="psu"))
    for bad in (-0.1, 0, 1, 1.5, np.nan, True, "0.05"):
        with pytest.raises(UnknownOptionError, match="alpha"):
            r.tidy(bad)
    assert r.tidy(0.1).conf_low.iloc[0] > r.tidy(0.05).conf_low.iloc[0]


def test_share_in_range_refuses_nan_bounds_and_infinite_values():
    df = _clustered().assign(age=lambda f: 20.0 + (np.arange(len(f)) % 15))
    design = SurveyDesign(weights="w", psu="psu")
    # low=nan gave the share 0 under the label "age >= nan"
    with pytest.raises(UnknownOptionError, match="NaN"):
        share_in_range(df, "age", low=np.nan, design=design)
    # an infinite age was silently counted outside the range (in the denominator)
    with pytest.raises(ImpossibleValueError, match="infinite"):
        share_in_range(df.assign(age=df["age"].replace(25.0, np.inf)), "age", low=20, design=design)
    a = share_in_range(df, "age", low=20, high=29, design=design)
    b = share_in_range(df, "age", low=np.int64(20), high=np.float64(29), design=design)
    np.testing.assert_allclose(a.params, b.params)


def test_by_with_nullable_dtypes_and_missing_values():
    """A string[pyarrow]/Int64/boolean by-column with <NA> raised a numpy UFuncTypeError."""
    df = _clustered()
    design = SurveyDesign(weights="w", psu="psu")
    obj = df.assign(b=np.where(df.index % 3 == 0, "a", "b").astype(object))
    obj.loc[5, "b"] = None
    ref = proportions(obj, ["y"], design=design, by=["b"])
    for dtype in ("string[pyarrow]", "string"):
        r = proportions(obj.assign(b=obj["b"].astype(dtype)), ["y"], design=design, by=["b"])
        assert r.terms == ref.terms
        np.testing.assert_allclose(r.params, ref.params)
        np.testing.assert_allclose(r.std_errors, ref.std_errors)
        assert (
            r.extra["left_out"]
            == ref.extra["left_out"]
            == {"missing by ['b'] (outside every group, PSU kept)": 1}
        )
    gi = df.assign(gi=(df["g"]).astype("Int64"), gb=df["g"].astype("boolean"))
    gi.loc[7, ["gi", "gb"]] = pd.NA
    r1 = proportions(gi, ["y"], design=design, by=["gi"])
    r2 = proportions(gi, ["y"], design=design, by=["gb"])
    np.testing.assert_allclose(r1.params, r2.params)
    assert r1.terms == ("y=1 | gi=0", "y=1 | gi=1")


def test_repeated_columns_and_single_psu_domains_are_not_silent():
    df = _clustered()
    design = SurveyDesign(weights="w", psu="psu")
    with pytest.raises(UnknownOptionError, match="repeated"):
        proportions(df, ["y", "y"], design=design)  # gave two terms named "y=1"
    with pytest.raises(UnknownOptionError, match="repeated"):
        proportions(df, ["y"], design=design, by=["g", "g"])
    # groups that are single PSUs: the linearised SE is 0, said in a note
    r = proportions(df.assign(p2=df["psu"]), ["y"], design=design, by=["p2"])
    t = r.tidy()
    inner = (t.estimate > 0) & (t.estimate < 1)
    assert inner.any() and np.allclose(t.loc[inner, "std_error"], 0, atol=1e-12)
    assert any("every domain row lies in one PSU" in n for n in r.notes)
    ok = proportions(df, ["y"], design=design, by=["g"])
    assert not any("one PSU" in n for n in ok.notes)


def test_ordered_probit_invariant_to_regressor_location_and_unit():
    """A regressor offset by 1e8 gave a wrong e_household-like coefficient (0.71 for 0.65)."""
    df = _ordered_data()
    d1 = SurveyDesign(weights="w", psu="psu")
    a = ordered_probit("y ~ x1 + d", df, design=d1)
    for shift, unit in ((1e8, 1.0), (0.0, 1e-9), (1e6, 1e6)):
        b = ordered_probit("y ~ x1 + d", df.assign(x1=df["x1"] * unit + shift), design=d1)
        # slopes: b_x1 / unit; d unchanged; cutpoints shift by b_x1 * shift / unit
        np.testing.assert_allclose(b.params["x1"] * unit, a.params["x1"], rtol=1e-6)
        np.testing.assert_allclose(b.params["d"], a.params["d"], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(
            b.params[["cut1", "cut4"]].to_numpy() - a.params["x1"] * shift / unit,
            a.params[["cut1", "cut4"]].to_numpy(),
            rtol=1e-5,
            atol=1e-5 * max(1.0, abs(a.params["x1"] * shift / unit)),
        )
        np.testing.assert_allclose(b.std_errors["d"], a.std_errors["d"], rtol=1e-6)
        np.testing.assert_allclose(b.std_errors["x1"] * unit, a.std_errors["x1"], rtol=1e-6)
        assert b.extra["log_pseudolikelihood"] == pytest.approx(
            a.extra["log_pseudolikelihood"], abs=1e-6
        )
        np.testing.assert_allclose(
            b.ame("d").params.to_numpy(), a.ame("d").params.to_numpy(), atol=1e-7
        )
    # numpy integers are integers
    c = ordered_probit("y ~ x1 + d", df, design=d1, maxiter=np.int64(50))
    np.testing.assert_allclose(c.params, a.params)


def test_ordered_probit_shuffled_rows_string_index_and_nullable_dtypes(status_frame):
    fm = "status_change_5y ~ e_household + age10 + log_income_c"
    a = ordered_probit(fm, status_frame, design=PW)
    sh = status_frame.sample(frac=1, random_state=4)
    sh.index = [f"h{i}" for i in range(len(sh))]
    variants = [
        sh,
        status_frame.assign(e_household=status_frame["e_household"].astype("boolean")),
        status_frame.assign(village_id="v" + status_frame["village_id"].astype(str)),
        status_frame.assign(weight=status_frame["weight"] * 1000),
    ]
    for v in variants:
        b = ordered_probit(fm, v, design=PW)
        np.testing.assert_allclose(b.params, a.params, rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(b.std_errors, a.std_errors, rtol=1e-7)
        assert b.sample.dropped == a.sample.dropped
        np.testing.assert_allclose(
            b.ame("e_household", at_least="same").params,
            a.ame("e_household", at_least="same").params,
            atol=1e-10,
        )


# ====================================================================== coverage (slow)
@pytest.mark.slow
def test_logit_interval_coverage_clustered_design():
    """Monte Carlo: 95% logit intervals of a share in a clustered, weighted design.

    Population: 60 PSUs x 20 rows per replicate drawn from a superpopulation with a PSU random
    effect; target = the superpopulation share; 1000 replicates.
    """
    rng = np.random.default_rng(20190601)
    n_psu, m, reps = 60, 20, 1000
    # superpopulation share: P(N(0, 1 + 0.6^2) > 0.8)
    truth = stats.norm.sf(0.8 / np.sqrt(1 + 0.36))
    hits = {"logit": 0, "wald": 0}
    design = SurveyDesign(weights="w", psu="psu")
    for _ in range(reps):
        psu = np.repeat(np.arange(n_psu), m)
        y = (rng.normal(0, 0.6, n_psu)[psu] + rng.normal(size=n_psu * m) > 0.8).astype(float)
        df = pd.DataFrame({"y": y, "psu": psu, "w": rng.uniform(1, 3, n_psu * m)})
        for ci in hits:
            t = proportions(df, ["y"], design=design, ci=ci).tidy().iloc[0]
            hits[ci] += t.conf_low <= truth <= t.conf_high
    for ci, h in hits.items():
        cover = h / reps
        # 3 Monte Carlo standard errors around 0.95
        assert abs(cover - 0.95) < 3 * np.sqrt(0.95 * 0.05 / reps), (ci, cover)
