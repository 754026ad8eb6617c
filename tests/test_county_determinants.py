"""Finding F6: the county panel's characteristics and indices, and ``county_determinants``.

Outside references: pins of the F8 panel recorded from the generator before the F6 columns were
added; hand computations (index on a 4-row frame, numpy least squares on explicit dummies, a
hand CRV1 sandwich, statsmodels OLS with cluster-robust covariance, z-scored regressions, a
hand-built lag); the exact F6 truth of the SYNTHETIC twin.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from welfare.county import (
    F6_REGRESSORS,
    county_determinants,
    county_regressors,
    index_reference,
    initial_gdp_regression,
    online_indices,
)
from welfare.datasets import SYNTHETIC_COUNTY_LABEL, county_panel
from welfare.datasets.county import COUNTY_PANEL_COLUMNS, DGP, F6_COLUMNS
from welfare.errors import (
    CollinearityError,
    ColumnTypeError,
    DataError,
    DuplicateIdError,
    EmptySampleError,
    ImpossibleValueError,
    InvalidWeightError,
    MissingColumnError,
    OutcomeError,
    UnknownOptionError,
)

F8_COLUMNS = [
    "county_id",
    "province",
    "region",
    "inland",
    "poverty_county",
    "year",
    "population",
    "online_sales",
    "online_stores",
    "packages_sent",
    "online_purchases",
]
# recorded from welfare.datasets.county_panel BEFORE the F6 columns were added: truth values and
# column sums (online_sales, online_purchases, online_stores, packages_sent, population)
F8_PINS = {
    20190601: {
        "realised_top_quarter_sales_share": 0.8981411820176256,
        "realised_gini_sales_poverty": 0.8256740658325916,
        "realised_top_quarter_purchases_share": 0.61649544048145,
        "sums": (1577917.4723999999, 3228826.8855, 9737822, 16396890678, 3356714608),
    },
    7: {
        "realised_top_quarter_sales_share": 0.8996129213914877,
        "realised_gini_sales_poverty": 0.8275677980815468,
        "realised_top_quarter_purchases_share": 0.6164010606133683,
        "sums": (1593202.5236, 3413745.9118, 9261278, 16330177914, 3330566765),
    },
}
F8_TRUTH_KEYS = [
    "label",
    "census",
    "top_quarter_sales_share",
    "top_quarter_packages_share",
    "top_quarter_stores_share",
    "top_quarter_purchases_share",
    "central_east_population_share",
    "central_east_sales_share",
    "poverty_sales_rmb_bn",
    "poverty_purchases_rmb_bn",
    "realised_top_quarter_sales_share",
    "realised_top_quarter_packages_share",
    "realised_top_quarter_stores_share",
    "realised_top_quarter_purchases_share",
    "realised_central_east_population_share",
    "realised_central_east_sales_share",
    "realised_gini_sales_poverty",
    "realised_poverty_sales_rmb_bn",
    "realised_poverty_purchases_rmb_bn",
    "realised_poverty_share_of_sales",
    "realised_poverty_share_of_purchases",
    "dgp",
    "levels",
    "definitions",
    "units",
    "n_counties",
    "n_poverty_counties",
    "top_quarter_n",
    "years",
    "seed",
]
# the report's claimed signs (calibration.toml id county_determinants); others are ~0 for OBI
CLAIMED = {
    "obi": {
        "log_gdp_pc": 1,
        "secondary_share": -1,
        "log_savings_pc": 1,
        "loans_to_gdp": 1,
        "taobao_village": 1,
    },
    "osi": {
        "log_gdp_pc": 1,
        "secondary_share": -1,
        "log_savings_pc": 1,
        "loans_to_gdp": 1,
        "taobao_village": 1,
        "log_pop_density": 1,
        "log_fai_pc": 1,
        "primary_share": -1,
    },
}


@pytest.fixture(scope="module")
def panel():
    return county_panel()


@pytest.fixture(scope="module")
def X(panel):
    return county_regressors(panel.data)


def small_panel(seed: int = 3, n_counties: int = 30, n_prov: int = 5) -> pd.DataFrame:
    """A tiny county panel (30 counties x 2013-2016) with two regressors and county effects."""
    rng = np.random.default_rng(seed)
    county = np.repeat(np.arange(1, n_counties + 1), 4)
    year = np.tile(np.arange(2013, 2017), n_counties)
    prov = np.array([f"p{i % n_prov}" for i in range(n_counties)])[county - 1]
    x1 = rng.normal(size=len(county)) + 0.5 * (county % 3)
    x2 = rng.normal(size=len(county))
    c = rng.normal(size=n_counties)[county - 1]
    y = 1.0 + 2.0 * x1 - 1.0 * x2 + c + 0.3 * (year - 2013) + rng.normal(size=len(county))
    return pd.DataFrame(
        {"county_id": county, "province": prov, "year": year, "x1": x1, "x2": x2, "y": y}
    )


def dummies_design(d: pd.DataFrame, cols) -> np.ndarray:
    """Full-rank design: intercept, province and year dummies (first level dropped), cols."""
    fe = pd.get_dummies(d[["province", "year"]].astype(str), drop_first=True, dtype=float)
    return np.column_stack([np.ones(len(d)), fe.to_numpy(), d[list(cols)].to_numpy(float)])


# ------------------------------------------------------------------ F8 part unchanged


@pytest.mark.parametrize("seed", [20190601, 7])
def test_f8_columns_and_truth_unchanged(seed, panel):
    p = panel if seed == 20190601 else county_panel(seed)
    d = p.data
    assert list(d.columns[: len(F8_COLUMNS)]) == F8_COLUMNS
    assert list(d.columns) == list(COUNTY_PANEL_COLUMNS) == F8_COLUMNS + list(F6_COLUMNS)
    pins = F8_PINS[seed]
    for k in (
        "realised_top_quarter_sales_share",
        "realised_gini_sales_poverty",
        "realised_top_quarter_purchases_share",
    ):
        assert p.truth[k] == pins[k], k
    sales, purchases, stores, packages, pop = pins["sums"]
    assert d["online_sales"].sum() == pytest.approx(sales, rel=1e-13)
    assert d["online_purchases"].sum() == pytest.approx(purchases, rel=1e-13)
    assert int(d["online_stores"].sum()) == stores
    assert int(d["packages_sent"].sum()) == packages
    assert int(d["population"].sum()) == pop
    assert [k for k in p.truth if k in F8_TRUTH_KEYS] == F8_TRUTH_KEYS


# ------------------------------------------------------------------ F6 columns


def test_f6_columns_are_plausible(panel):
    d, t = panel.data, panel.truth
    # sector shares add to 1 exactly (dyadic grid) and lie in (0, 1)
    shares = d[["primary_share", "secondary_share", "tertiary_share"]]
    assert ((shares > 0) & (shares < 1)).all().all()
    assert (d["primary_share"] + d["secondary_share"] + d["tertiary_share"] == 1.0).all()
    assert (shares.sum(axis=1) == 1.0).all()
    assert 0.05 < d["primary_share"].quantile(0.05) and d["primary_share"].quantile(0.95) < 0.40
    # GDP per capita: levels, east and non-poverty higher, growth 6-8% a year
    med = d.groupby("year")["gdp_pc"].median()
    assert 15_000 < d["gdp_pc"].quantile(0.1) and d["gdp_pc"].quantile(0.9) < 80_000
    assert 0.06 < (med[2016] / med[2013]) ** (1 / 3) - 1 < 0.08
    g = d.groupby(["region", "poverty_county"])["gdp_pc"].median()
    assert g[("east", 0)] > g[("central", 0)] > g[("west", 1)] and g[("east", 0)] > g[("east", 1)]
    # real within-province and year-to-year variation
    lg = np.log(d["gdp_pc"])
    within_prov = (lg - lg.groupby([d["province"], d["year"]]).transform("mean")).std()
    assert within_prov > 0.2
    dev = lg - lg.groupby(d["county_id"]).transform("mean")
    assert (dev.groupby(d["county_id"]).std() > 0).all()
    # constant area; density = population / area
    assert (d.groupby("county_id")["area_km2"].nunique() == 1).all()
    np.testing.assert_allclose(d["pop_density"], d["population"] / d["area_km2"], atol=1e-4)
    # Taobao Villages: never fall within a county, national totals near 20 ... 1,311, east
    tv = d.pivot(index="county_id", columns="year", values="taobao_villages")
    assert (tv.diff(axis=1).iloc[:, 1:] >= 0).all().all()
    totals = d.groupby("year")["taobao_villages"].sum()
    assert totals.to_dict() == t["realised_taobao_villages"]
    assert totals[2013] < 60 and totals.is_monotonic_increasing
    assert totals[2016] == pytest.approx(1311, rel=0.15)
    assert (d["taobao_villages"] == 0).mean() > 0.8
    assert t["realised_taobao_villages_east_nonpoverty_share"] > 0.7
    # counts and shares
    assert (d["online_sellers"] >= 1).all() and (d["online_buyers"] < d["population"]).all()
    assert (d["online_sellers"] < 0.2 * d["population"]).all()
    for c in ("large_seller_share", "large_buyer_share"):
        assert ((d[c] > 0) & (d[c] < 1)).all()
    # indices: 2013 county mean 50, rising, EDI the mean of the two; linked to online sales
    assert d.loc[d.year == 2013, ["obi", "osi"]].mean().to_numpy() == pytest.approx([50, 50])
    assert d.groupby("year")["obi"].mean().is_monotonic_increasing
    np.testing.assert_allclose(d["edi"], (d["obi"] + d["osi"]) / 2, rtol=0, atol=1e-12)
    assert np.corrcoef(np.log(d["online_sales"]), d["obi"])[0, 1] > 0.5
    assert np.corrcoef(np.log(d["online_sales"]), np.log(d["gdp_pc"]))[0, 1] > 0.5
    assert d.attrs == {"welfare_label": SYNTHETIC_COUNTY_LABEL, "welfare_synthetic": True}


def test_f6_truth_is_the_formula_with_realised_sds(panel):
    """beta = 5 (b1/s1 + b2/s2) from truth['dgp'] and the sds recomputed from the data by hand."""
    d, t = panel.data, panel.truth
    comps = t["dgp"]["indices"]["components"]
    ref = d[d.year == 2013]
    s = {
        "sellers": statistics.stdev(np.log(ref.online_sellers / ref.population * 1e4)),
        "large_seller_share": statistics.stdev(
            np.log(ref.large_seller_share / (1 - ref.large_seller_share))
        ),
        "buyers": statistics.stdev(np.log(ref.online_buyers / ref.population * 1e4)),
        "large_buyer_share": statistics.stdev(
            np.log(ref.large_buyer_share / (1 - ref.large_buyer_share))
        ),
    }
    for k, v in s.items():
        assert t["f6_reference"][k]["sd"] == pytest.approx(v, rel=1e-12)
    for r in F6_REGRESSORS:
        obi = 5 * (comps["sellers"]["b"][r] / s["sellers"])
        obi += 5 * comps["large_seller_share"]["b"][r] / s["large_seller_share"]
        osi = 5 * (comps["buyers"]["b"][r] / s["buyers"])
        osi += 5 * comps["large_buyer_share"]["b"][r] / s["large_buyer_share"]
        assert t["f6_beta"]["obi"][r] == pytest.approx(obi, rel=1e-12)
        assert t["f6_beta"]["osi"][r] == pytest.approx(osi, rel=1e-12)
        assert t["f6_beta"]["edi"][r] == pytest.approx((obi + osi) / 2, rel=1e-12)
    # the claimed signs are the truth's signs; OBI has no density, investment, primary effect
    for idx, claims in CLAIMED.items():
        for r, sign in claims.items():
            assert t["f6_signs"][idx][r] == sign, (idx, r)
    for r in ("primary_share", "log_fai_pc", "log_pop_density"):
        assert t["f6_beta"]["obi"][r] == 0.0
    assert t["f6_regressors"] == list(F6_REGRESSORS)
    assert DGP["indices"]["regressors"] == list(F6_REGRESSORS)


def test_twin_indices_match_an_independent_computation(panel):
    d = panel.data
    ref = d.year == 2013

    def z(v):
        v = np.asarray(v, dtype=float)
        return (v - v[ref].mean()) / v[ref].std(ddof=1)

    # logit(p) = log(p) - log(1 - p); build it in two pieces to stay independent of scipy
    lg_s = np.log(d.large_seller_share) - np.log1p(-d.large_seller_share)
    lg_b = np.log(d.large_buyer_share) - np.log1p(-d.large_buyer_share)
    obi = 50 + 5 * (z(np.log(1e4 * d.online_sellers / d.population)) + z(lg_s))
    osi = 50 + 5 * (z(np.log(1e4 * d.online_buyers / d.population)) + z(lg_b))
    np.testing.assert_allclose(d["obi"], obi, rtol=0, atol=1e-10)
    np.testing.assert_allclose(d["osi"], osi, rtol=0, atol=1e-10)


# ------------------------------------------------------------------ index builder


def test_online_indices_hand_computation():
    """Two counties x two years, every number by hand."""
    d = pd.DataFrame(
        {
            "county_id": [1, 1, 2, 2],
            "year": [2013, 2014, 2013, 2014],
            "population": [100_000, 100_000, 200_000, 200_000],
            "online_sellers": [100, 200, 800, 800],
            "large_seller_share": [0.1, 0.2, 0.5, 0.5],
            "online_buyers": [1_000, 2_000, 4_000, 6_000],
            "large_buyer_share": [0.2, 0.25, 0.2, 0.5],
        }
    )
    d2 = d.assign(large_buyer_share=[0.2, 0.25, 0.4, 0.5])
    before = d2.copy()
    out = online_indices(d2)
    pd.testing.assert_frame_equal(d2, before)  # input not modified
    # reference year 2013: sellers per 10k are 10 and 40 -> logs mean log(20), sd |log 4|/sqrt 2
    m1, s1 = math.log(20.0), math.log(4.0) / math.sqrt(2)
    m2, s2 = (math.log(1 / 9) + 0.0) / 2, (0.0 - math.log(1 / 9)) / math.sqrt(2)
    z1 = [(math.log(v) - m1) / s1 for v in (10, 20, 40, 40)]
    z2 = [(math.log(p / (1 - p)) - m2) / s2 for p in (0.1, 0.2, 0.5, 0.5)]
    obi = [50 + 10 * (a + b) / 2 for a, b in zip(z1, z2, strict=True)]
    # with two reference counties each is 1/sqrt(2) sd from the mean on both components
    assert obi[0] == pytest.approx(50 - 10 / math.sqrt(2), abs=1e-12)
    assert obi[2] == pytest.approx(50 + 10 / math.sqrt(2), abs=1e-12)
    np.testing.assert_allclose(out["obi"], obi, rtol=0, atol=1e-12)
    # buyers per 10k 100, 200, 200, 300
    out2 = out
    m3, s3 = math.log(math.sqrt(100 * 200)), math.log(2.0) / math.sqrt(2)
    lg = [math.log(p / (1 - p)) for p in (0.2, 0.25, 0.4, 0.5)]
    m4, s4 = (lg[0] + lg[2]) / 2, abs(lg[2] - lg[0]) / math.sqrt(2)
    osi = [
        50 + 5 * ((math.log(b) - m3) / s3 + (g - m4) / s4)
        for b, g in zip((100, 200, 200, 300), lg, strict=True)
    ]
    np.testing.assert_allclose(out2["osi"], osi, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out2["edi"], (out2["obi"] + out2["osi"]) / 2, atol=1e-12)
    ref = index_reference(d2)
    assert ref.loc["sellers", "mean"] == pytest.approx(m1) and ref.loc["sellers", "sd"] == (
        pytest.approx(s1)
    )
    assert ref.loc["large_buyer_share", "sd"] == pytest.approx(s4)
    assert (ref["n_counties"] == 2).all()
    # a different reference year rescales
    out3 = online_indices(d2, reference_year=2014)
    assert out3.loc[d2.year == 2014, "obi"].mean() == pytest.approx(50)
    # the 2013 large-buyer shares are equal in d: no variation to standardise by
    with pytest.raises(ImpossibleValueError, match="variation"):
        online_indices(d)


def test_online_indices_bad_input():
    d = pd.DataFrame(
        {
            "county_id": [1, 2, 1, 2],
            "year": [2013, 2013, 2014, 2014],
            "population": [1e5, 2e5, 1e5, 2e5],
            "online_sellers": [10, 30, 20, 40],
            "large_seller_share": [0.1, 0.3, 0.2, 0.4],
            "online_buyers": [100, 300, 200, 400],
            "large_buyer_share": [0.1, 0.3, 0.2, 0.4],
        }
    )
    online_indices(d)
    with pytest.raises(ImpossibleValueError, match="online_sellers"):
        online_indices(d.assign(online_sellers=[0, 30, 20, 40]))
    with pytest.raises(ImpossibleValueError, match="large_buyer_share"):
        online_indices(d.assign(large_buyer_share=[0.1, 1.0, 0.2, 0.4]))
    with pytest.raises(ImpossibleValueError, match="missing"):
        online_indices(d.assign(online_buyers=[100, np.nan, 200, 400]))
    with pytest.raises(EmptySampleError, match="reference_year=2012"):
        online_indices(d, reference_year=2012)
    with pytest.raises(DuplicateIdError):
        online_indices(d.assign(year=[2013, 2013, 2013, 2014]).assign(county_id=[1, 2, 1, 2]))
    with pytest.raises(MissingColumnError, match="online_buyers"):
        online_indices(d.drop(columns="online_buyers"))
    with pytest.raises(ColumnTypeError, match="year"):
        online_indices(d.assign(year=["2013", "2013", "2014", "2014"]))
    with pytest.raises(UnknownOptionError, match="reference_year"):
        online_indices(d, reference_year="2013")
    with pytest.raises(UnknownOptionError, match="reference"):
        online_indices(d, refyear=2013)


def test_county_regressors_definitions(panel):
    d = panel.data.head(12)
    out = county_regressors(d)
    assert "log_gdp_pc" not in d.columns  # not modified in place
    np.testing.assert_allclose(out["log_gdp_pc"], np.log(d.gdp_pc))
    np.testing.assert_allclose(
        out["log_savings_pc"], np.log(d.savings_deposits * 1e6 / d.population)
    )
    np.testing.assert_allclose(out["loans_to_gdp"], d.loans / (d.gdp_pc * d.population / 1e6))
    np.testing.assert_allclose(
        out["log_fai_pc"], np.log(d.fixed_asset_investment * 1e6 / d.population)
    )
    np.testing.assert_allclose(out["log_pop_density"], np.log(d.pop_density))
    assert (out["taobao_village"] == (d.taobao_villages > 0).astype(int)).all()
    with pytest.raises(DataError, match="overwrite"):
        county_regressors(out)
    pd.testing.assert_frame_equal(county_regressors(out, overwrite=True), out)
    with pytest.raises(ImpossibleValueError, match="gdp_pc"):
        county_regressors(d.assign(gdp_pc=-d.gdp_pc))
    with pytest.raises(ImpossibleValueError, match="primary_share"):
        county_regressors(d.assign(primary_share=1.5))
    with pytest.raises(MissingColumnError, match="loans"):
        county_regressors(d.drop(columns="loans"))
    missing = county_regressors(d.assign(taobao_villages=[np.nan] + [0] * 11))
    assert np.isnan(missing["taobao_village"].iloc[0]) and missing["taobao_village"].iloc[1] == 0


# ------------------------------------------------------------------ recovery of the truth


@pytest.mark.parametrize("index", ["obi", "osi", "edi"])
def test_recovers_the_f6_truth_within_3_se(index, panel, X):
    res = county_determinants(X, outcome=index)
    tidy = res.tidy().set_index("term")
    truth = pd.Series(panel.truth["f6_beta"][index])
    z = (tidy["estimate"] - truth) / tidy["std_error"]
    assert list(tidy.index) == list(F6_REGRESSORS)
    assert (z.abs() < 3).all(), z.round(2).to_dict()
    for r, sign in CLAIMED.get(index, {}).items():
        assert np.sign(tidy.loc[r, "estimate"]) == sign, r
        assert tidy.loc[r, "p_value"] < 0.01, r
    meta = res.metadata()
    assert meta["vcov"] == "CRV1" and meta["n_clusters"] == 2000 and meta["df"] == 1999
    assert meta["n_obs"] == 8000 and meta["synthetic"] and res.extra["lag"] == 0
    assert any("clustered by 'county_id' (2000 clusters)" in n for n in res.notes)
    assert res.extra["fixed_effects"] == "province, year"


def test_initial_gdp_survives_controls(X):
    for index in ("obi", "osi"):
        res = initial_gdp_regression(X, outcome=index)
        t = res.tidy().set_index("term")
        assert "log_gdp_pc" not in t.index
        assert t.loc["log_gdp_pc_initial", "estimate"] > 0
        assert t.loc["log_gdp_pc_initial", "p_value"] < 0.01
    # the initial term is the county's 2013 value: same as regressing on a hand-built column
    hand = X.assign(g0=X["county_id"].map(X[X.year == 2013].set_index("county_id")["log_gdp_pc"]))
    controls = [r for r in F6_REGRESSORS if r != "log_gdp_pc"]
    a = county_determinants(X, regressors=controls, initial=["log_gdp_pc"]).tidy()
    b = county_determinants(hand, regressors=controls + ["g0"]).tidy()
    np.testing.assert_allclose(a[["estimate", "std_error"]], b[["estimate", "std_error"]])
    with pytest.raises(CollinearityError, match="county"):
        county_determinants(X, initial=["log_gdp_pc"], fixed_effects=["county_id", "year"])
    with pytest.raises(UnknownOptionError, match="controls"):
        initial_gdp_regression(X, controls=list(F6_REGRESSORS))


# ------------------------------------------------------------------ hand checks


def test_within_estimates_and_crv1_equal_dummies_and_hand_sandwich():
    d = small_panel()
    res = county_determinants(d, outcome="y", regressors=["x1", "x2"])
    Xd = dummies_design(d, ["x1", "x2"])
    y = d["y"].to_numpy()
    beta, *_ = np.linalg.lstsq(Xd, y, rcond=None)
    np.testing.assert_allclose(res.params.to_numpy(), beta[-2:], rtol=1e-10)
    # CRV1: G/(G-1) (N-1)/(N-K), K = columns of the full-rank dummy design (intercept + 4
    # province + 3 year dummies + 2 regressors = 10): pyfixest's default k_fixef="nonnested"
    # counts every fixed effect not nested in the clusters, minus one per extra fixed effect,
    # as fixest ("full" for non-nested FE) and Stata's reghdfe (df_a = 5 + 4 - 1 absorbed)
    e = y - Xd @ beta
    bread = np.linalg.inv(Xd.T @ Xd)
    G, N, K = d["county_id"].nunique(), len(d), Xd.shape[1]
    assert K == 10
    scores = pd.DataFrame(Xd * e[:, None]).groupby(d["county_id"].to_numpy()).sum().to_numpy()
    V = G / (G - 1) * (N - 1) / (N - K) * bread @ (scores.T @ scores) @ bread
    np.testing.assert_allclose(res.std_errors.to_numpy(), np.sqrt(np.diag(V))[-2:], rtol=1e-9)
    assert res.vcov_spec.small_sample == pytest.approx(G / (G - 1) * (N - 1) / (N - K))
    assert res.df == G - 1
    # a peer package on the same dummies: statsmodels' cluster covariance uses the same factor
    sm_fit = sm.OLS(y, Xd).fit(cov_type="cluster", cov_kwds={"groups": d["county_id"]})
    np.testing.assert_allclose(res.std_errors.to_numpy(), sm_fit.bse[-2:], rtol=1e-9)
    # iid when cluster=None: s^2 (X'X)^-1 with N - K df
    iid = county_determinants(d, outcome="y", regressors=["x1", "x2"], cluster=None)
    s2 = e @ e / (N - K)
    np.testing.assert_allclose(
        iid.std_errors.to_numpy(), np.sqrt(np.diag(s2 * bread))[-2:], rtol=1e-9
    )


def test_lag_one_counts_dropped_rows_and_matches_a_hand_lag():
    d = small_panel()
    res = county_determinants(d, outcome="y", regressors=["x1", "x2"], lag=1)
    assert res.terms == ("x1_lag1", "x2_lag1")
    assert res.sample.n_rows == 120 and res.n_obs == 90
    assert res.sample.dropped == (("lag 1: no year t-1 in the data (first year 2013)", 30),)
    assert res.extra["lag"] == 1 and any("lag 1" in n for n in res.notes)
    # hand lag: groupby-shift within county on the year-sorted frame
    h = d.sort_values(["county_id", "year"]).copy()
    h["l1"] = h.groupby("county_id")["x1"].shift(1)
    h["l2"] = h.groupby("county_id")["x2"].shift(1)
    h = h.dropna()
    Xd = dummies_design(h, ["l1", "l2"])
    beta, *_ = np.linalg.lstsq(Xd, h["y"].to_numpy(), rcond=None)
    np.testing.assert_allclose(res.params.to_numpy(), beta[-2:], rtol=1e-10)
    # shuffled rows give the same fit (the lag is a merge on (county, year - 1))
    shuffled = d.sample(frac=1.0, random_state=1)
    res2 = county_determinants(shuffled, outcome="y", regressors=["x1", "x2"], lag=1)
    np.testing.assert_allclose(res2.params, res.params, rtol=1e-12)
    # a gap: county 5 has no 2014 row -> its 2015 row has no lag (counted), 2014 row gone
    gap = d[~((d.county_id == 5) & (d.year == 2014))]
    res3 = county_determinants(gap, outcome="y", regressors=["x1", "x2"], lag=1)
    assert dict(res3.sample.dropped) == {
        "lag 1: no year t-1 in the data (first year 2013)": 30,
        "lag 1: no row for (county, year - 1) (a gap in the county's years)": 1,
    }
    assert res3.sample.n_rows == 119 and res3.n_obs == 88
    # a missing regressor value in t-1 is counted as a missing lagged regressor
    miss = d.copy()
    miss.loc[(miss.county_id == 7) & (miss.year == 2014), "x1"] = np.nan
    res4 = county_determinants(miss, outcome="y", regressors=["x1", "x2"], lag=1)
    reasons = dict(res4.sample.dropped)
    assert reasons["missing regressor 'x1_lag1'"] == 1
    assert res4.n_obs == 89 and res4.sample.n_rows == 120


def test_missing_values_are_counted_not_silent(X):
    d = X.copy()
    d.loc[d.index[:5], "log_savings_pc"] = np.nan
    d.loc[d.index[10:13], "obi"] = np.nan
    res = county_determinants(d, outcome="obi")
    assert dict(res.sample.dropped) == {
        "missing outcome 'obi'": 3,
        "missing regressor 'log_savings_pc'": 5,
    }
    assert res.n_obs == 8000 - 8 and res.sample.n_rows == 8000


def test_standardized_coefficients_equal_z_score_regression():
    d = small_panel()
    d["w"] = np.random.default_rng(0).uniform(0.5, 2.0, len(d))
    d.loc[3, "x2"] = np.nan  # the sds are those of the estimation sample
    # rtol: one absorbed effect is demeaned exactly in one sweep (agreement to ~1e-14); with
    # two, pyfixest demeans by alternating projections to a convergence tolerance (fixef_tol,
    # default 1e-6), and two runs on differently scaled data agree to ~2e-10 (measured), so
    # the two-way comparison uses 1e-8
    cases = [(None, ("province",), 1e-11), ("w", ("province",), 1e-11)]
    cases += [(None, ("province", "year"), 1e-8), ("w", ("province", "year"), 1e-8)]
    for weights, fe, rtol in cases:
        kw = {"fixed_effects": fe, "weights": weights}
        res = county_determinants(d, outcome="y", regressors=["x1", "x2"], standardize=True, **kw)
        est = d.dropna()
        w = est["w"].to_numpy() if weights else np.ones(len(est))

        def zs(v, w=w):
            m = np.average(v, weights=w)
            return (v - m) / np.sqrt(np.average((v - m) ** 2, weights=w))

        z = est.assign(**{c: zs(est[c].to_numpy()) for c in ("y", "x1", "x2")})
        ref = county_determinants(z, outcome="y", regressors=["x1", "x2"], **kw)
        np.testing.assert_allclose(res.params, ref.params, rtol=rtol)
        np.testing.assert_allclose(res.std_errors, ref.std_errors, rtol=rtol)
        raw = county_determinants(d, outcome="y", regressors=["x1", "x2"], **kw)
        sd_x = np.array([np.sqrt(np.cov(est[c], aweights=w, ddof=0)) for c in ("x1", "x2")])
        sd_y = np.sqrt(np.cov(est["y"], aweights=w, ddof=0))
        np.testing.assert_allclose(res.params, raw.params * sd_x / sd_y, rtol=1e-10)
        assert res.extra["standardized"] and "standardised" in res.estimand
        assert dict(res.sample.dropped) == {"missing regressor 'x2'": 1}
        # another variance on the standardised fit keeps the scaling
        hc = res.with_vcov("HC1")
        np.testing.assert_allclose(hc.params, res.params)
        np.testing.assert_allclose(
            hc.std_errors, raw.with_vcov("HC1").std_errors * sd_x / sd_y, rtol=1e-10
        )


# ------------------------------------------------------------------ bad input


def test_bad_input_raises_named_errors():
    d = small_panel()
    before = d.copy()
    with pytest.raises(DuplicateIdError, match="county_id, year"):
        county_determinants(pd.concat([d, d.head(1)]), outcome="y", regressors=["x1"])
    with pytest.raises(MissingColumnError, match="x3"):
        county_determinants(d, outcome="y", regressors=["x1", "x3"])
    with pytest.raises(MissingColumnError, match="obi"):
        county_determinants(d, regressors=["x1"])
    prov_level = d.assign(pv=d["province"].map({f"p{i}": float(i) for i in range(5)}))
    with pytest.raises(CollinearityError, match="pv"):
        county_determinants(prov_level, outcome="y", regressors=["x1", "pv"])
    with pytest.raises(CollinearityError, match="const"):
        county_determinants(d.assign(const=1.0), outcome="y", regressors=["x1", "const"])
    with pytest.raises(ColumnTypeError, match="non-integer"):
        county_determinants(d.assign(year=d["year"] + 0.5), outcome="y", regressors=["x1"])
    with pytest.raises(ColumnTypeError, match="year"):
        county_determinants(d.assign(year=d["year"].astype(str)), outcome="y", regressors=["x1"])
    with pytest.raises(ColumnTypeError, match="regressor 'province'"):
        county_determinants(d, outcome="y", regressors=["x1", "province"])
    for bad_lag in (2, -1, True, "1"):
        with pytest.raises(UnknownOptionError, match="lag"):
            county_determinants(d, outcome="y", regressors=["x1"], lag=bad_lag)
    with pytest.raises(UnknownOptionError, match="standardize"):
        county_determinants(d, outcome="y", regressors=["x1"], standardize="yes")
    with pytest.raises(UnknownOptionError, match="regressors"):
        county_determinants(d, outcome="y", regressors="x1")
    with pytest.raises(UnknownOptionError, match="clustre"):
        county_determinants(d, outcome="y", regressors=["x1"], clustre="county_id")
    with pytest.raises(TypeError):
        county_determinants(d.to_numpy(), outcome="y", regressors=["x1"])
    # years stored as whole floats are accepted and give the same fit
    a = county_determinants(d.assign(year=d["year"].astype(float)), outcome="y", regressors=["x1"])
    b = county_determinants(d, outcome="y", regressors=["x1"])
    np.testing.assert_allclose(a.params, b.params)
    pd.testing.assert_frame_equal(d, before)


# ------------------------------------------------------------------ adversarial input (review)


def test_infinite_or_overflowing_county_statistics_raise(panel):
    """inf, fractional counts or overflow used to give inf/0 regressors or indices silently."""
    d = panel.data.head(12).astype({"gdp_pc": float, "population": float, "loans": float})
    for col in ("gdp_pc", "population", "loans", "taobao_villages", "savings_deposits"):
        bad = d.astype({col: float})
        bad.loc[bad.index[3], col] = np.inf
        with pytest.raises(ImpossibleValueError, match=col):
            county_regressors(bad)
    # population inf made loans_to_gdp exactly 0; gdp_pc * population overflowed to the same
    with pytest.raises(ImpossibleValueError, match="overflow"):
        county_regressors(d.assign(gdp_pc=d.gdp_pc * 1e300))
    with pytest.raises(ImpossibleValueError, match="whole counts"):
        county_regressors(d.assign(taobao_villages=d.taobao_villages + 0.5))
    with pytest.raises(UnknownOptionError, match="overwrite"):
        county_regressors(d, overwrite=1)
    idx = pd.DataFrame(
        {
            "county_id": [1, 2, 1, 2],
            "year": [2013, 2013, 2014, 2014],
            "population": [1e5, 2e5, 1e5, 2e5],
            "online_sellers": [10.0, 30, 20, 40],
            "large_seller_share": [0.1, 0.3, 0.2, 0.4],
            "online_buyers": [100, 300, 200, 400],
            "large_buyer_share": [0.1, 0.3, 0.2, 0.4],
        }
    )
    with pytest.raises(ImpossibleValueError, match="population"):  # gave OBI = -inf
        online_indices(idx.assign(population=[1e5, 2e5, np.inf, 2e5]))
    with pytest.raises(ImpossibleValueError, match="online_sellers"):  # gave OBI = +inf
        online_indices(idx.assign(online_sellers=[10, 30, np.inf, 40]))
    with pytest.raises(UnknownOptionError, match="county"):
        online_indices(idx, county=["county_id"])


def test_outcome_without_residual_variation_raises_instead_of_nan():
    """A constant outcome (or one the fixed effects fit exactly) gave statistic 0/0 = NaN."""
    d = small_panel()
    with pytest.raises(OutcomeError, match="constant"):
        county_determinants(d.assign(y=5.0), outcome="y", regressors=["x1"])
    with pytest.raises(OutcomeError, match="constant"):
        county_determinants(d.assign(y=5.0), outcome="y", regressors=["x1"], standardize=True)
    with pytest.raises(OutcomeError, match="fitted exactly"):
        county_determinants(d.assign(y=d["year"] * 1.0), outcome="y", regressors=["x1"])


def test_option_and_column_name_mistakes_raise_named_errors():
    d = small_panel()
    # the outcome among the regressors was an IndexError; a repeated initial a pandas error
    with pytest.raises(UnknownOptionError, match="also a regressor"):
        county_determinants(d, outcome="y", regressors=["y", "x1"])
    with pytest.raises(UnknownOptionError, match="repeated"):
        county_determinants(d, outcome="y", regressors=["x1", "x1"])
    with pytest.raises(UnknownOptionError, match="repeated"):
        county_determinants(d, outcome="y", regressors=["x2"], initial=["x1", "x1"])
    # a list where a column name is expected was a TypeError (unhashable list)
    with pytest.raises(UnknownOptionError, match="cluster"):
        county_determinants(d, outcome="y", regressors=["x1"], cluster=["county_id"])
    with pytest.raises(UnknownOptionError, match="county"):
        county_determinants(d, outcome="y", regressors=["x1"], county=1)
    with pytest.raises(UnknownOptionError, match="gdp"):
        initial_gdp_regression(d, outcome="y", controls=["x2"], gdp=["x1"])
    # 1.0 / 1 were read as lag 1 / True
    with pytest.raises(UnknownOptionError, match="lag"):
        county_determinants(d, outcome="y", regressors=["x1"], lag=1.0)
    with pytest.raises(UnknownOptionError, match="standardize"):
        county_determinants(d, outcome="y", regressors=["x1"], standardize=1)
    assert county_determinants(d, outcome="y", regressors=["x1"], lag=np.int64(1)).extra["lag"] == 1
    # the empty-sample message spoke of a lag when there was none, and now names the reasons
    with pytest.raises(EmptySampleError, match=r"at least 2 rows, found 0"):
        county_determinants(d.head(0), outcome="y", regressors=["x1"])
    biennial = d[d["year"].isin([2013, 2015])]
    with pytest.raises(EmptySampleError, match=r"a gap in the county's years\): 30"):
        county_determinants(biennial, outcome="y", regressors=["x1"], lag=1)


def test_huge_weights_and_scaled_weights_give_the_same_estimates():
    """Weights of 1e300 overflowed the mean-one normalisation (pyfixest ValueError)."""
    d = small_panel().assign(w=lambda f: 1.0 + (f["county_id"] % 4))
    base = county_determinants(d, outcome="y", regressors=["x1", "x2"], weights="w")
    for factor in (1000.0, 1e300):
        r = county_determinants(
            d.assign(w=d["w"] * factor), outcome="y", regressors=["x1", "x2"], weights="w"
        )
        np.testing.assert_allclose(r.params, base.params, rtol=1e-10)
        np.testing.assert_allclose(r.std_errors, base.std_errors, rtol=1e-10)
        rs = county_determinants(
            d.assign(w=d["w"] * factor),
            outcome="y",
            regressors=["x1", "x2"],
            weights="w",
            standardize=True,
        )
        assert np.isfinite(rs.tidy().drop(columns="term").to_numpy()).all()
    with pytest.raises(InvalidWeightError, match="-1.0"):  # the message shows the weight given
        county_determinants(
            d.assign(w=d["w"].where(d.index != 3, -1.0)),
            outcome="y",
            regressors=["x1"],
            weights="w",
        )


def test_standardize_without_fixed_effects_omits_the_intercept():
    """standardize=True with fixed_effects=() was a raw KeyError 'Intercept'."""
    d = small_panel()
    r = county_determinants(
        d, outcome="y", regressors=["x1", "x2"], fixed_effects=(), standardize=True
    )
    assert r.terms == ("x1", "x2") and any("intercept" in n for n in r.notes)
    z = d.assign(**{c: (d[c] - d[c].mean()) / d[c].std(ddof=0) for c in ("y", "x1", "x2")})
    rz = county_determinants(z, outcome="y", regressors=["x1", "x2"], fixed_effects=())
    np.testing.assert_allclose(r.params, rz.params[["x1", "x2"]], rtol=1e-10)
    np.testing.assert_allclose(r.std_errors, rz.std_errors[["x1", "x2"]], rtol=1e-10)
    assert not r.with_vcov("HC1").tidy().isna().any().any()


def test_units_of_outcome_and_regressors_do_not_matter():
    """An outcome in units with sd 1e11 failed pyfixest's demeaning (ValueError); a regressor
    with sd 1e-8 was dropped as collinear (a false CollinearityError)."""
    d = small_panel()
    base = county_determinants(d, outcome="y", regressors=["x1", "x2"], lag=1)
    beta = county_determinants(d, outcome="y", regressors=["x1", "x2"], standardize=True)
    for fy, fx in ((1e11, 1.0), (1.0, 1e-8), (1e-9, 1e9), (1e20, 1e-20)):
        dd = d.assign(y=d["y"] * fy, x1=d["x1"] * fx)
        r = county_determinants(dd, outcome="y", regressors=["x1", "x2"], lag=1)
        np.testing.assert_allclose(
            r.params.to_numpy(), base.params.to_numpy() * [fy / fx, fy], rtol=1e-9
        )
        np.testing.assert_allclose(
            r.std_errors.to_numpy(), base.std_errors.to_numpy() * [fy / fx, fy], rtol=1e-9
        )
        b = county_determinants(dd, outcome="y", regressors=["x1", "x2"], standardize=True)
        np.testing.assert_allclose(b.params, beta.params, rtol=1e-9)
        assert b.extra["sd_outcome"] == pytest.approx(beta.extra["sd_outcome"] * fy, rel=1e-12)
        assert b.extra["sd_regressors"]["x1"] == pytest.approx(
            beta.extra["sd_regressors"]["x1"] * fx, rel=1e-12
        )
    # beyond float64 the variance (se^2) of x1 would be 0 or inf: refused, not shown as se 0
    with pytest.raises(ImpossibleValueError, match=r"\['x1'\].*rescale"):
        county_determinants(d.assign(x1=d["x1"] * 1e200), outcome="y", regressors=["x1", "x2"])


def test_sample_does_not_change_with_the_cluster_option():
    """A row with a missing county id stayed in with cluster=None and was dropped with CRV1."""
    d = small_panel().astype({"county_id": float})
    d.loc[5, "county_id"] = np.nan
    a = county_determinants(d, outcome="y", regressors=["x1"])
    b = county_determinants(d, outcome="y", regressors=["x1"], cluster=None)
    assert np.array_equal(a.sample.mask, b.sample.mask) and a.n_obs == b.n_obs == len(d) - 1
    assert b.sample.dropped == (("missing panel id (county or year)", 1),)
    np.testing.assert_allclose(a.params, b.params)


def test_with_vcov_metadata_follows_the_new_variance():
    """The note and extra["n_clusters"] kept the clustered text after with_vcov("HC1")."""
    d = small_panel()
    r = county_determinants(d, outcome="y", regressors=["x1"])
    assert r.extra["n_clusters"] == 30 and "clustered by 'county_id' (30" in r.notes[-1]
    h = r.with_vcov("HC1")
    assert h.extra["n_clusters"] is None and h.vcov_spec.kind == "HC1"
    assert "HC1 standard errors" in h.notes[-1] and "clustered" not in " ".join(h.notes)
    assert np.array_equal(h.sample.mask, r.sample.mask) and h.sample.dropped == r.sample.dropped
    np.testing.assert_allclose(h.params, r.params)
    back = h.with_vcov("CRV1")
    assert back.extra["n_clusters"] == 30
    np.testing.assert_allclose(back.std_errors, r.std_errors)


def test_shuffled_rows_string_index_and_id_types_do_not_change_results():
    d = small_panel()
    base = county_determinants(d, outcome="y", regressors=["x1", "x2"], lag=1)
    shuffled = d.sample(frac=1, random_state=5)
    shuffled.index = [f"r{i}" for i in range(len(d))]
    variants = [
        shuffled,
        d.assign(county_id="c" + d["county_id"].astype(str)),
        # a Categorical county id made "<x>_initial" categorical (dropped as collinear)
        d.assign(county_id=d["county_id"].astype("category"), year=d["year"].astype("Int64")),
        d.assign(province=d["province"].astype("string[pyarrow]")),
        # index levels named like columns made the lag merge raise a pandas ValueError
        d.set_index(["county_id", "year"], drop=False),
        d.set_axis(np.repeat(np.arange(len(d) // 2), 2)),  # non-unique row labels
    ]
    init = county_determinants(d, outcome="y", regressors=["x2"], initial=["x1"])
    for v in variants:
        r = county_determinants(v, outcome="y", regressors=["x1", "x2"], lag=1)
        np.testing.assert_allclose(r.params, base.params, rtol=1e-10)
        np.testing.assert_allclose(r.std_errors, base.std_errors, rtol=1e-10)
        assert r.sample.dropped == base.sample.dropped
        r = county_determinants(v, outcome="y", regressors=["x2"], initial=["x1"])
        np.testing.assert_allclose(r.params, init.params, rtol=1e-10)


# ------------------------------------------------------------------ determinism


def test_same_seed_same_frame_and_truth(panel):
    a, b = county_panel(11), county_panel(11)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.truth["f6_beta"] == b.truth["f6_beta"]
    c = county_panel(12)
    assert not a.data["obi"].equals(c.data["obi"])
    pd.testing.assert_frame_equal(panel.data, county_panel().data)


# ------------------------------------------------------------------ Monte Carlo (slow)


@pytest.mark.slow
def test_coverage_of_95_percent_intervals_over_seeds():
    """Pooled over 40 seeds x 16 coefficients: measured 96.7% (0.95 within MC error)."""
    hits, z_all = [], []
    for seed in range(40):
        p = county_panel(seed)
        Xs = county_regressors(p.data)
        for index in ("obi", "osi"):
            t = county_determinants(Xs, outcome=index).tidy().set_index("term")
            truth = pd.Series(p.truth["f6_beta"][index])
            hits += list((t.conf_low <= truth) & (truth <= t.conf_high))
            z_all += list((t.estimate - truth) / t.std_error)
    assert 0.92 < np.mean(hits) < 0.98
    assert abs(np.mean(z_all)) < 0.15 and 0.85 < np.std(z_all) < 1.1
