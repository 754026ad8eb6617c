"""The SYNTHETIC CFPS-like household panel (finding F5): structure, counts and known truth.

The truth is recovered here WITHOUT any welfare consumption estimator: the growth frame is built
by hand (pandas shift within household over consecutive waves, the index of the start county in
year w - 1 merged from the county panel) and fitted with ``welfare.inference.linear.fit_ols``
(pyfixest engine, checked against pyfixest in its own tests).

The index is the county panel's own ``edi`` (``welfare.datasets.county_panel``).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import time

import numpy as np
import pandas as pd
import pytest

from welfare.data.design import SurveyDesign
from welfare.datasets import county_panel
from welfare.datasets.household_panel import (
    HOUSEHOLD_PANEL_COLUMNS,
    SYNTHETIC_HOUSEHOLD_PANEL_LABEL,
    household_panel,
)
from welfare.datasets.taobao import DEFAULT_SEED
from welfare.errors import (
    EmptySampleError,
    ImpossibleValueError,
    MissingColumnError,
    UnknownOptionError,
)
from welfare.inference.linear import fit_ols

FORMULA = "dlog_c ~ edi_lag + edi_lag:rural + edi_lag:inland + edi_lag:poor + rural + inland + poor"
SLOPES = ["edi_lag", "edi_lag:rural", "edi_lag:inland", "edi_lag:poor"]
OUTCOMES = {
    "total": "consumption_pc",
    "durables": "cons_durables",
    "in_style": "cons_in_style",
    "local_services": "cons_local_services",
}
PARTS = ["cons_durables", "cons_in_style", "cons_local_services", "cons_other"]

# the module (welfare.datasets exports a function of the same name)
hp_module = importlib.import_module("welfare.datasets.household_panel")


@functools.lru_cache(maxsize=1)
def county_panel_with_edi(seed: int = DEFAULT_SEED):
    """The county panel (with its e-commerce development index ``edi``), built once."""
    return county_panel(seed)


@functools.lru_cache(maxsize=2)
def panel(seed: int = DEFAULT_SEED):
    return household_panel(seed, counties=county_panel_with_edi(DEFAULT_SEED))


def growth_frame(p, column: str = "consumption_pc") -> pd.DataFrame:
    """Two-year growth rows by hand: consecutive waves only, edi of the start county at w - 1."""
    d = p.data.sort_values(["hh_id", "wave"])
    g = d.groupby("hh_id")
    prev_wave = g["wave"].shift(1)
    prev_c = g[column].shift(1)
    prev_county = g["county_id"].shift(1)
    ok = (d["wave"] - prev_wave) == 2
    f = d[ok].assign(
        dlog_c=np.log(d.loc[ok, column]) - np.log(prev_c[ok]),
        county_start=prev_county[ok].astype(np.int64),
        year=d.loc[ok, "wave"] - 1,
    )
    idx = p.counties.data[["county_id", "year", "edi"]].rename(
        columns={"county_id": "county_start", "edi": "edi_lag"}
    )
    out = f.merge(idx, on=["county_start", "year"], how="left", validate="m:1")
    assert out["edi_lag"].notna().all()
    return out


def pooled_fit(frame: pd.DataFrame):
    return fit_ols(
        FORMULA,
        frame,
        fixed_effects=["wave"],
        design=SurveyDesign(weights="weight", psu="county_start"),
    )


# ---------------------------------------------------------------- structure


def test_shapes_columns_and_labels():
    p = panel()
    d = p.data
    assert list(d.columns) == list(HOUSEHOLD_PANEL_COLUMNS)
    assert d.attrs == {"welfare_label": SYNTHETIC_HOUSEHOLD_PANEL_LABEL, "welfare_synthetic": True}
    assert p.label == SYNTHETIC_HOUSEHOLD_PANEL_LABEL == p.truth["label"]
    assert p.label.startswith("SYNTHETIC")
    assert p.seed == DEFAULT_SEED == p.truth["seed"]
    assert 3_600 <= d["hh_id"].nunique() <= 4_400
    assert d["county_id"].nunique() == 160 == p.truth["n_counties"]
    assert set(d["wave"]) == {2012, 2014, 2016}
    assert not d.duplicated(["hh_id", "wave"]).any()
    assert d.equals(d.sort_values(["hh_id", "wave"]).reset_index(drop=True))
    # county ids, province, region and inland are those of the county panel
    cty = p.counties.data.drop_duplicates("county_id").set_index("county_id")
    for col in ("province", "region", "inland"):
        assert (d[col].to_numpy() == cty.loc[d["county_id"], col].to_numpy()).all()
    with pytest.raises(TypeError):
        p.truth["n_movers"] = 0  # frozen truth
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.seed = 1


def test_household_constant_columns_and_positivity():
    d = panel().data
    by = d.groupby("hh_id")
    for col in ("rural", "poor", "hh_size", "weight", "inland"):
        assert (by[col].nunique() == 1).all(), col
    assert set(d["rural"]) == {0, 1} and set(d["poor"]) == {0, 1}
    assert set(d["online_buyer"]) == {0, 1}
    assert (d["weight"] > 0).all() and np.isfinite(d["weight"]).all()
    assert (d["hh_size"] >= 1).all()
    assert (d[["consumption_pc", *PARTS]] > 0).all().all()


def test_weights_add_up_to_the_households_of_the_county_panel():
    """Horvitz-Thompson total of households equals the county panel's, stratum by stratum.

    Outside reference: the county panel, population_2013 / 3.1 summed over all counties of each
    region x poverty stratum. With PPS county sampling (pi_c proportional to population) and
    weights (population_c / 3.1) / (pi_c n_c), the estimate is exact in every sample.
    """
    p = panel()
    hh = p.data.drop_duplicates("hh_id")  # first row: the baseline county (movers start in 2012)
    c13 = p.counties.data[p.counties.data["year"] == 2013]
    est = (
        hh.merge(c13[["county_id", "poverty_county"]], on="county_id")
        .groupby(["region", "poverty_county"])["weight"]
        .sum()
    )
    ref = c13.groupby(["region", "poverty_county"])["population"].sum() / 3.1
    np.testing.assert_allclose(est.sort_index(), ref.sort_index(), rtol=1e-10)
    # poverty counties are over-sampled: smaller weights
    w = hh.merge(c13[["county_id", "poverty_county"]], on="county_id")
    assert (
        w.groupby("poverty_county")["weight"].mean()[1]
        < w.groupby("poverty_county")["weight"].mean()[0]
    )


def test_pps_county_sampling_inclusion_probabilities():
    """Systematic PPS: n distinct units; inclusion frequencies match pi = n size / sum (capped).

    Hand computation on a tiny frame: sizes (1, ..., 8, 40), n = 3; the unit of size 40 would
    have pi = 120 / 76 > 1, so it is taken with certainty and the other two draws have
    pi = 2 size / 36. Frequencies over 20,000 draws are within 4 binomial SE of pi.
    """
    size = np.array([1, 2, 3, 4, 5, 6, 7, 8, 40], dtype=float)
    expect = np.r_[2 * size[:8] / 36, 1.0]
    rng = np.random.default_rng(0)
    counts = np.zeros(len(size))
    reps = 20_000
    for _ in range(reps):
        take, pi = hp_module._pps_systematic(size, 3, rng)
        assert len(np.unique(take)) == 3
        counts[take] += 1
    np.testing.assert_allclose(pi, expect, rtol=1e-12)
    se = np.sqrt(expect * (1 - expect) / reps) + 1e-12
    assert (np.abs(counts / reps - expect) <= 4 * se + 1e-12).all(), counts / reps


def test_categories_add_up_to_total():
    d = panel().data
    parts = d[PARTS].to_numpy()
    assert np.array_equal(parts, np.round(parts, 2))
    np.testing.assert_allclose(d["consumption_pc"], np.round(parts.sum(axis=1), 2), atol=1e-9)
    assert (np.abs(parts.sum(axis=1) - d["consumption_pc"]) <= 0.005 + 1e-9).all()
    shares = d[PARTS[:3]].div(d["consumption_pc"], axis=0).mean()
    assert shares.between(0.08, 0.12).all(), shares


def test_counts_in_truth_equal_the_data():
    p = panel()
    d, t = p.data, p.truth
    per_hh = d.groupby("hh_id").agg(
        n_waves=("wave", "size"),
        n_counties=("county_id", "nunique"),
        first=("wave", "min"),
        waves=("wave", lambda s: tuple(s)),
    )
    assert t["n_households"] == len(per_hh)
    assert t["n_rows"] == len(d)
    assert t["n_movers"] == int((per_hh["n_counties"] > 1).sum())
    assert t["n_single_wave"] == int((per_hh["n_waves"] == 1).sum())
    two = per_hh[(per_hh["n_waves"] == 2) & (per_hh["first"] == 2012)]
    assert t["n_missing_wave"] == len(two) == sum(t["n_missing_wave_by_wave"].values())
    assert t["n_missing_wave_by_wave"][2014] == int((two["waves"] == (2012, 2016)).sum())
    assert t["n_missing_wave_by_wave"][2016] == int((two["waves"] == (2012, 2014)).sum())
    assert t["n_growth_obs"] == len(growth_frame(p))
    # sizes asked for: ~3% movers, ~6% missing one later wave, a handful of single-wave
    n = t["n_households"]
    assert 0.025 <= t["n_movers"] / n <= 0.035
    assert 0.055 <= t["n_missing_wave"] / n <= 0.065
    assert 5 <= t["n_single_wave"] <= 30
    # every household is in exactly one of: complete, mover (complete), missing, single
    assert (per_hh["n_waves"] == 3).sum() + len(two) + t["n_single_wave"] == n


def test_movers_stay_in_region_and_move_once():
    d = panel().data
    movers = d.groupby("hh_id").filter(lambda s: s["county_id"].nunique() > 1)
    assert movers.groupby("hh_id")["region"].nunique().eq(1).all()
    assert movers.groupby("hh_id")["county_id"].nunique().eq(2).all()
    assert movers.groupby("hh_id")["wave"].size().eq(3).all()


def test_calibration_targets():
    p = panel()
    d, t = p.data, p.truth
    base = d[d["wave"] == 2012]
    assert 0.45 <= base["rural"].mean() <= 0.58
    assert 0.15 <= base["poor"].mean() <= 0.20
    assert base.loc[base["rural"] == 1, "poor"].mean() > base.loc[base["rural"] == 0, "poor"].mean()
    assert (
        base.loc[base["inland"] == 1, "rural"].mean()
        > base.loc[base["inland"] == 0, "rural"].mean()
    )
    assert 10_000 <= base["consumption_pc"].mean() <= 15_000
    m = base.groupby("rural")["consumption_pc"].mean()
    assert m[1] < m[0]
    r = base.groupby("region")["consumption_pc"].mean()
    assert r["east"] > r["central"] and r["east"] > r["west"]
    # online buyers: weighted 2014 shares near the CFPS 2015 targets; realised values exact
    w14 = d[d["wave"] == 2014]
    for name, flag in (("rural", 1), ("urban", 0)):
        s = w14[w14["rural"] == flag]
        share = float((s["weight"] * s["online_buyer"]).sum() / s["weight"].sum())
        assert share == pytest.approx(t["realised_online_buyer_share_2014"][name], abs=1e-12)
        assert abs(share - t["online_buyer_share_2014"][name]) < 0.03
    assert dict(t["online_buyer_share_2014"]) == {"rural": 0.15, "urban": 0.33}
    assert d.groupby("wave")["online_buyer"].mean().is_monotonic_increasing


def test_truth_structure():
    t = panel().truth
    assert t["index"] == "edi"
    assert "w-1" in t["index_lag_rule"] and "start county" in t["index_lag_rule"]
    assert list(t["waves"]) == [2012, 2014, 2016]
    assert t["growth_beta"]["other"] is None
    for k in OUTCOMES:
        assert list(t["growth_beta"][k]) == SLOPES
        b = t["growth_beta"][k]
        for key, slope in t["group_slopes"][k].items():
            r, i, p = (int(part.split("=")[1]) for part in key.split(","))
            expect = b["edi_lag"] + r * b["edi_lag:rural"] + i * b["edi_lag:inland"]
            assert slope == pytest.approx(expect + p * b["edi_lag:poor"], abs=1e-15)
    gs = t["group_slopes"]
    assert len(gs["total"]) == 8
    for key in gs["total"]:
        assert gs["in_style"][key] > gs["durables"][key] > gs["local_services"][key]
    # the report's claim: larger slopes for rural, inland and poor households
    assert all(t["growth_beta"]["total"][s] > 0 for s in SLOPES)


def test_deterministic_and_random_state():
    c = county_panel_with_edi(DEFAULT_SEED)
    a = household_panel(7, counties=c)
    b = household_panel(7, counties=c)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.truth["n_movers"] == b.truth["n_movers"]
    other = household_panel(8, counties=c)
    assert not other.data["consumption_pc"].equals(a.data["consumption_pc"].iloc[: len(other.data)])
    g1 = household_panel(np.random.default_rng(3), counties=c)
    g2 = household_panel(np.random.default_rng(3), counties=c)
    assert g1.seed == -1 and g1.truth["seed"] is None
    pd.testing.assert_frame_equal(g1.data, g2.data)


def test_input_county_panel_not_modified_and_fast():
    c = county_panel_with_edi(DEFAULT_SEED)
    before = c.data.copy()
    t0 = time.perf_counter()
    p = household_panel(11, counties=c)
    elapsed = time.perf_counter() - t0
    pd.testing.assert_frame_equal(c.data, before)
    assert p.counties is c
    assert elapsed < 2.0, elapsed


def test_default_county_panel():
    """Default counties = county_panel(seed), the same panel as when it is passed."""
    a = household_panel(5)
    b = household_panel(5, counties=county_panel(5))
    pd.testing.assert_frame_equal(a.data, b.data)
    assert "edi" in a.counties.data.columns


def test_bad_input():
    c = county_panel_with_edi(DEFAULT_SEED)
    with pytest.raises(UnknownOptionError, match="SyntheticCountyPanel"):
        household_panel(1, counties=c.data)
    with pytest.raises(UnknownOptionError, match="did you mean 'counties'"):
        household_panel(1, county=c)
    with pytest.raises(UnknownOptionError):
        household_panel(-1, counties=c)
    with pytest.raises(MissingColumnError, match="edi"):
        household_panel(1, counties=dataclasses.replace(c, data=c.data.drop(columns="edi")))
    no_2015 = c.data[c.data["year"] != 2015]
    with pytest.raises(MissingColumnError, match="2015"):
        household_panel(1, counties=dataclasses.replace(c, data=no_2015))
    dup = pd.concat([c.data, c.data.iloc[:1]])
    with pytest.raises(ImpossibleValueError, match="duplicated"):
        household_panel(1, counties=dataclasses.replace(c, data=dup))
    first_2015 = c.data.index[c.data["year"] == 2015][0]
    nan = c.data.assign(edi=c.data["edi"].where(c.data.index != first_2015))
    with pytest.raises(ImpossibleValueError, match="non-finite"):
        household_panel(1, counties=dataclasses.replace(c, data=nan))
    few = c.data[~((c.data["region"] == "east") & (c.data["poverty_county"] == 1))]
    with pytest.raises(EmptySampleError, match="east"):
        household_panel(1, counties=dataclasses.replace(c, data=few))


# ---------------------------------------------------------------- known truth


def test_noise_free_dgp_is_reproduced_exactly(monkeypatch):
    """With every growth shock switched off, the hand regression returns the parameters.

    Checks the growth equation and the lag rule (start county, year w - 1, movers) against a
    hand computation: only the rounding of consumption to 0.01 RMB is left (< 1e-6 in logs).
    """
    dgp = copy.deepcopy(hp_module.DGP)
    for k in OUTCOMES:
        for sd in ("sd_drift", "sd_county", "sd_county_wave", "sd_household"):
            dgp["growth"][k][sd] = 0.0
    monkeypatch.setattr(hp_module, "DGP", dgp)
    p = household_panel(3, counties=county_panel_with_edi(DEFAULT_SEED))
    for key, col in OUTCOMES.items():
        res = pooled_fit(growth_frame(p, col)).params
        for term in SLOPES:
            assert res[term] == pytest.approx(p.truth["growth_beta"][key][term], abs=2e-7)
        for term in ("rural", "inland", "poor"):
            assert res[term] == pytest.approx(p.truth["growth_main"][key][term], abs=2e-5)


def test_pooled_regression_recovers_total_truth():
    p = panel()
    t = p.truth
    res = pooled_fit(growth_frame(p))
    tidy = res.tidy().set_index("term")
    truth = {**t["growth_beta"]["total"], **t["growth_main"]["total"]}
    assert set(tidy.index) == set(truth)
    z = (tidy["estimate"] - pd.Series(truth)) / tidy["std_error"]
    assert (z.abs() < 3).all(), z
    # the report's claim: each interaction significant at 5% (county clusters, pweights)
    assert (tidy.loc[SLOPES[1:], "p_value"] < 0.05).all(), tidy["p_value"]
    assert res.vcov_spec.n_clusters == 160
    assert res.n_obs == t["n_growth_obs"]


@pytest.mark.parametrize("key", ["durables", "in_style", "local_services"])
def test_pooled_regression_recovers_category_truth(key):
    p = panel()
    tidy = pooled_fit(growth_frame(p, OUTCOMES[key])).tidy().set_index("term")
    truth = pd.Series({**p.truth["growth_beta"][key], **p.truth["growth_main"][key]})
    z = (tidy["estimate"] - truth) / tidy["std_error"]
    assert (z.abs() < 3).all(), z


def test_household_fixed_effects_recover_total_slopes():
    """mu_i is absorbed by household FE: the slopes are recovered as well (DGP docstring)."""
    p = panel()
    f = growth_frame(p)
    res = fit_ols(
        "dlog_c ~ edi_lag + edi_lag:rural + edi_lag:inland + edi_lag:poor",
        f,
        fixed_effects=["hh_id", "wave"],
        design=SurveyDesign(weights="weight", psu="county_start"),
    )
    tidy = res.tidy().set_index("term")
    truth = pd.Series(p.truth["growth_beta"]["total"])
    z = (tidy.loc[SLOPES, "estimate"] - truth) / tidy.loc[SLOPES, "std_error"]
    assert (z.abs() < 3).all(), z
    assert res.sample.n_dropped > 0  # households with one interval are singletons, counted


@pytest.mark.slow
def test_coverage_of_total_slopes_monte_carlo():
    """95% CI coverage of the four total-consumption slopes over 100 household seeds.

    The county panel (and its index) is held fixed at the default seed; households, their
    sampled counties and every shock vary with the seed.
    """
    c = county_panel_with_edi(DEFAULT_SEED)
    truth = pd.Series(household_panel(0, counties=c).truth["growth_beta"]["total"])
    hits = []
    for seed in range(100):
        tidy = pooled_fit(growth_frame(household_panel(seed, counties=c))).tidy()
        tidy = tidy.set_index("term").loc[SLOPES]
        hits.append((tidy["conf_low"] <= truth) & (truth <= tidy["conf_high"]))
    coverage = pd.concat(hits, axis=1).mean(axis=1)
    print("coverage", coverage.to_dict())
    assert coverage.between(0.90, 0.99).all(), coverage
