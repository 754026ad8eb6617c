"""Twin extensions: the e-shop workers module (F4) and the county panel (F8), both SYNTHETIC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from welfare.datasets import (
    SYNTHETIC_COUNTY_LABEL,
    SYNTHETIC_WORKER_LABEL,
    county_panel,
    taobao_village_survey,
)
from welfare.datasets.county import COUNTY_PANEL_COLUMNS
from welfare.datasets.taobao import WORKER_COLUMNS
from welfare.errors import UnknownOptionError
from welfare.replicate.context import TWIN_SPEC
from welfare.replicate.runner import analysis_sample

HOUSEHOLD_COLUMNS = [
    "hh_id",
    "province",
    "county_id",
    "village_id",
    "weight",
    "sampled_as",
    "e_household",
    "head_age",
    "head_female",
    "head_edu",
    "head_urban_work",
    "head_ecom_knowledge",
    "hh_size",
    "hh_labour",
    "land_mu",
    "income_ecommerce",
    "income_wages",
    "income_farming",
    "income_transfers",
    "income_total",
    "income_pc",
    "consumption_pc",
]
# pinned from the generator before the workers module was added (seed: sums and truths)
HOUSEHOLD_PINS = {
    20190601: (80944685.74, 1223383.275, 20399002.5, 0.3337329091735376, 0.7992799075932198, 46209),
    7: (81097231.02, 1255179.75, 20337121.85, 0.3333854461084159, 0.7586213963384991, 47410),
}


@pytest.fixture(scope="module")
def county():
    return county_panel()


# ------------------------------------------------------------------ workers module (F4)


@pytest.mark.parametrize("seed", [20190601, 7])
def test_household_data_unchanged_by_the_workers_module(seed, twin):
    tw = twin if seed == 20190601 else taobao_village_survey(seed)
    d = tw.data
    assert list(d.columns) == HOUSEHOLD_COLUMNS
    income, weight, consumption, ate, gap, n_pop = HOUSEHOLD_PINS[seed]
    assert d["income_total"].sum() == pytest.approx(income, rel=1e-12)
    assert d["weight"].sum() == pytest.approx(weight, rel=1e-12)
    assert d["consumption_pc"].sum() == pytest.approx(consumption, rel=1e-12)
    assert tw.truth["ate_log"] == pytest.approx(ate, rel=1e-12)
    assert tw.truth["population_raw_gap_percent"] == pytest.approx(gap, rel=1e-12)
    assert len(tw.population) == n_pop
    assert "population_row" not in tw.population.columns
    assert "_population_row" not in d.columns
    if seed == 20190601:
        sub, sample = analysis_sample(tw.survey, TWIN_SPEC)
        assert len(d) == 1400 and sample.n_obs == 1073
        assert int(sub.data["e_household"].sum()) == 453


def test_workers_same_seed_identical_other_seed_different(twin):
    a = taobao_village_survey(7)
    b = taobao_village_survey(7)
    pd.testing.assert_frame_equal(a.workers, b.workers)
    pd.testing.assert_frame_equal(a.population_workers, b.population_workers)
    assert a.truth["worker_wage_mean"] == b.truth["worker_wage_mean"]
    assert not a.workers["annual_wage"].equals(twin.workers["annual_wage"])


def test_workers_belong_to_sampled_e_households_with_their_weights(twin):
    w, d = twin.workers, twin.data
    assert list(w.columns) == list(WORKER_COLUMNS)
    assert (w["worker_id"].to_numpy() == np.arange(1, len(w) + 1)).all()
    emp = d.set_index("hh_id").loc[w["hh_id"]]
    assert (emp["e_household"] == 1).all()
    for c in ("weight", "province", "county_id", "village_id"):
        np.testing.assert_array_equal(w[c].to_numpy(), emp[c].to_numpy())
    assert w["annual_wage"].gt(0).all() and (w["annual_wage"] == w["annual_wage"].round()).all()
    assert w["months_worked"].between(1, 12).all() and w["worker_age"].between(16, 65).all()
    assert set(w["worker_female"].unique()) <= {0.0, 1.0}
    # the population: every employer is an e-household of the population, in the same village
    pw, pop = twin.population_workers, twin.population
    emp_pop = pop.loc[pw["population_row"]]
    assert (emp_pop["e_household"] == 1).all()
    np.testing.assert_array_equal(emp_pop["village_id"].to_numpy(), pw["village_id"].to_numpy())
    assert twin.truth["worker_population"] == len(pw)
    # all workers of the sampled employers are interviewed: the weighted count of workers
    # estimates the population count (weights scale the 80 villages to the 2,118-village frame)
    est = w["weight"].sum() / (2118 / 80)
    assert est == pytest.approx(twin.truth["worker_population"], rel=0.2)


def test_worker_truth_and_calibration(twin):
    t, pw = twin.truth, twin.population_workers
    wage = pw["annual_wage"].to_numpy()
    assert t["worker_wage_mean"] == pytest.approx(wage.mean())
    assert t["worker_wage_median"] == pytest.approx(np.median(wage))
    assert t["worker_share_above_benchmark"] == pytest.approx(np.mean(wage >= 45761))
    assert t["worker_wage_benchmark_rmb_2017"] == 45761
    assert t["worker_wage_benchmark_east_rmb_2017"] == 50592
    assert 46_000 < t["worker_wage_mean"] < 52_000  # a little above the NBS benchmark
    assert 0.30 < t["worker_wage_sd_log"] < 0.45
    assert 0.55 < t["worker_share_employers_no_employees"] < 0.72  # "nearly two thirds"
    assert 0.45 < t["worker_share_female"] < 0.65
    assert t["worker_dgp"]["w0"] == pytest.approx(10.60)


def test_weighted_mean_wage_recovers_population_mean_within_3_design_se(twin):
    w = twin.workers
    y, wt, g = w["annual_wage"].to_numpy(), w["weight"].to_numpy(), w["village_id"].to_numpy()
    r = np.sum(wt * y) / np.sum(wt)
    # ratio-estimator linearisation, PSU = village, with-replacement approximation
    z = pd.Series(wt * (y - r) / np.sum(wt)).groupby(g).sum().to_numpy()
    n_g = len(z)
    se = np.sqrt(n_g / (n_g - 1) * np.sum((z - z.mean()) ** 2))
    assert 0 < se < 0.05 * r
    assert abs(r - twin.truth["worker_wage_mean"]) < 3 * se, (r, se)


def test_workers_labelled_synthetic(twin):
    assert twin.workers.attrs == {
        "welfare_label": SYNTHETIC_WORKER_LABEL,
        "welfare_synthetic": True,
    }
    assert "SYNTHETIC" in SYNTHETIC_WORKER_LABEL
    ws = twin.worker_survey
    assert ws.synthetic and ws.label == SYNTHETIC_WORKER_LABEL
    assert ws.design.weights == "weight" and ws.design.psu == "village_id"
    assert twin.population_workers.attrs["welfare_synthetic"] is True


# ------------------------------------------------------------------ county panel (F8)


def test_county_panel_structure(county):
    d = county.data
    assert list(d.columns) == list(COUNTY_PANEL_COLUMNS)
    assert len(d) == 8000 and d["county_id"].nunique() == 2000
    assert sorted(d["year"].unique()) == [2013, 2014, 2015, 2016]
    assert not d.duplicated(["county_id", "year"]).any()
    assert d["province"].nunique() == 31
    assert set(d["region"]) == {"east", "central", "west"}
    assert (d["inland"] == (d["region"] != "east").astype(int)).all()
    pov = d.groupby("county_id")[["poverty_county", "region"]].first()
    assert pov["poverty_county"].sum() == 832
    assert pov.loc[pov.poverty_county == 1, "region"].isin(["central", "west"]).mean() > 0.9
    # county attributes are constant over years
    assert (
        (d.groupby("county_id")[["province", "region", "poverty_county"]].nunique() == 1)
        .all()
        .all()
    )
    for c in ("population", "online_sales", "online_stores", "packages_sent", "online_purchases"):
        assert (d[c] > 0).all(), c
    # non-poverty counties have higher levels
    by = d.groupby("poverty_county")[["online_sales", "online_purchases"]].mean()
    assert (by.loc[0] > by.loc[1]).all()
    assert all(v < 0.10 for v in county.truth["realised_poverty_share_of_sales"].values())


def _top_quarter(rank_by: pd.Series, value: pd.Series) -> float:
    top = rank_by.sort_values(ascending=False).index[: len(rank_by) // 4]
    return value.loc[top].sum() / value.sum()


def test_county_realised_truth_is_exact_on_the_census(county):
    d, t = county.data, county.truth
    tot = (
        d[d.poverty_county == 1]
        .groupby("county_id")
        .agg(
            sales=("online_sales", "sum"),
            stores=("online_stores", "sum"),
            packages=("packages_sent", "sum"),
            purchases=("online_purchases", "sum"),
            population=("population", "sum"),
            region=("region", "first"),
        )
    )
    ce = tot["region"] != "west"
    ours = {
        "sales": _top_quarter(tot.sales, tot.sales),
        "packages": _top_quarter(tot.sales, tot.packages),
        "stores": _top_quarter(tot.sales, tot.stores),
        "purchases": _top_quarter(tot.purchases, tot.purchases),
    }
    for k, v in ours.items():
        assert t[f"realised_top_quarter_{k}_share"] == pytest.approx(v, rel=1e-12), k
    assert t["realised_central_east_population_share"] == pytest.approx(
        tot.population[ce].sum() / tot.population.sum(), rel=1e-12
    )
    assert t["realised_central_east_sales_share"] == pytest.approx(
        tot.sales[ce].sum() / tot.sales.sum(), rel=1e-12
    )
    by_year = d[d.poverty_county == 1].groupby("year")[["online_sales", "online_purchases"]].sum()
    for year in (2013, 2014, 2015, 2016):
        assert t["realised_poverty_sales_rmb_bn"][year] == pytest.approx(
            by_year.loc[year, "online_sales"] / 1000, rel=1e-12
        )
        assert t["realised_poverty_purchases_rmb_bn"][year] == pytest.approx(
            by_year.loc[year, "online_purchases"] / 1000, rel=1e-12
        )
    assert t["top_quarter_n"] == 208 and t["n_poverty_counties"] == 832


@pytest.mark.parametrize("seed", [20190601, 7])
def test_county_panel_matches_published_targets(seed, county):
    t = county.truth if seed == 20190601 else county_panel(seed).truth
    tolerance = {
        "top_quarter_sales_share": 0.02,
        "top_quarter_packages_share": 0.02,
        "top_quarter_stores_share": 0.05,
        "top_quarter_purchases_share": 0.05,
        "central_east_population_share": 0.03,
        "central_east_sales_share": 0.02,
    }
    published = {
        "top_quarter_sales_share": 0.90,
        "top_quarter_packages_share": 0.90,
        "top_quarter_stores_share": 0.70,
        "top_quarter_purchases_share": 0.60,
        "central_east_population_share": 0.46,
        "central_east_sales_share": 0.77,
    }
    for k, tol in tolerance.items():
        assert t[k] == published[k], k
        assert abs(t[f"realised_{k}"] - published[k]) < tol, (k, t[f"realised_{k}"])
    for year, bn in ((2013, 8.4), (2016, 29.0)):
        assert t["realised_poverty_sales_rmb_bn"][year] == pytest.approx(bn, rel=0.15)
    for year, bn in ((2013, 67.5), (2016, 205.2)):
        assert t["realised_poverty_purchases_rmb_bn"][year] == pytest.approx(bn, rel=0.15)


def test_county_panel_reproducible_and_labelled(county):
    a, b, c = county_panel(7), county_panel(7), county_panel(8)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert not a.data["online_sales"].equals(c.data["online_sales"])
    pd.testing.assert_frame_equal(county.data, county_panel().data)
    assert county.label == SYNTHETIC_COUNTY_LABEL and "SYNTHETIC" in county.label
    assert county.data.attrs == {"welfare_label": SYNTHETIC_COUNTY_LABEL, "welfare_synthetic": True}
    assert county.truth["label"] == SYNTHETIC_COUNTY_LABEL and county.seed == 20190601
    g = county_panel(np.random.default_rng(3))
    assert g.seed == -1 and len(g.data) == 8000
    with pytest.raises(TypeError):
        county.truth["top_quarter_sales_share"] = 0.5  # read-only truth


@pytest.mark.parametrize("bad", [-1, 1.5, "7", True, None])
@pytest.mark.parametrize("generator", [county_panel, taobao_village_survey])
def test_bad_random_state_raises(generator, bad):
    with pytest.raises(UnknownOptionError, match="random_state"):
        generator(bad)


def test_unknown_keyword_raises():
    with pytest.raises(UnknownOptionError, match="random_state"):
        county_panel(seed=3)
