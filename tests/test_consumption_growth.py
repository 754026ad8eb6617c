"""Consumption growth and county e-commerce (F5): growth frame, estimators, tests.

Outside references: numpy lstsq on hand within-transformed data and on explicit dummies,
hand counts on small constructed panels, known slopes of simulated panels (and the synthetic
twin's truth), statsmodels OLS ``f_test``/pyfixest ``wald_test`` with cluster covariance,
separate ``fit_ols`` runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from welfare.consumption import (
    GrowthPanel,
    by_category,
    consumption_growth,
    growth_panel,
    split_samples,
)
from welfare.data.design import SurveyDesign
from welfare.errors import (
    CollinearityError,
    ColumnTypeError,
    DataError,
    DuplicateIdError,
    EmptySampleError,
    ImpossibleValueError,
    MissingColumnError,
    OutcomeError,
    PanelStructureError,
    TreatmentError,
    UnknownOptionError,
    VarianceError,
)
from welfare.inference.linear import fit_ols

LABEL = "SYNTHETIC test panel (tests/test_consumption_growth.py)"
SLOPES = {"edi_lag": 0.004, "edi_lag:rural": 0.003, "edi_lag:inland": 0.002, "edi_lag:poor": 0.003}


def simulate(n_hh=40, n_counties=10, seed=0, movers=0, slopes=SLOPES, sd=0.05, sd_c=0.02):
    """Long household panel (2012, 2014, 2016) and county panel (2013-2016) with known slopes.

    Growth between consecutive waves: mu_i + lambda_w + (b0 + br rural + bin inland + bp poor)
    edi_{c(start), w-1} + county shock + e.
    """
    rng = np.random.default_rng(seed)
    years = [2013, 2014, 2015, 2016]
    cid = np.arange(1, n_counties + 1)
    inland_c = (cid % 2).astype(int)
    base = 50 + 10 * rng.normal(size=n_counties)
    counties = pd.DataFrame(
        [
            {
                "county_id": c,
                "year": y,
                "province": f"p{c % 3}",
                "inland": inland_c[c - 1],
                "poverty_county": int(c % 4 == 0),
                "edi": base[c - 1] + 3 * (y - 2013) + rng.normal(),
            }
            for c in cid
            for y in years
        ]
    )
    edi = counties.set_index(["county_id", "year"])["edi"]
    hh_c = rng.choice(cid, n_hh)
    rural = rng.integers(0, 2, n_hh)
    poor = rng.integers(0, 2, n_hh)
    weight = rng.uniform(0.5, 3, n_hh)
    mu = 0.02 * rng.normal(size=n_hh)
    lam = {2014: 0.05, 2016: 0.08}
    shock = {(c, w): sd_c * rng.normal() for c in cid for w in (2014, 2016)}
    rows = []
    for i in range(n_hh):
        c = hh_c[i]
        logc = np.log(12000) + 0.3 * rng.normal()
        move_at = 2014 + 2 * int(rng.integers(0, 2)) if i < movers else None
        for w in (2012, 2014, 2016):
            if w > 2012:
                inland = inland_c[c - 1]
                slope = (
                    slopes["edi_lag"]
                    + slopes["edi_lag:rural"] * rural[i]
                    + slopes["edi_lag:inland"] * inland
                    + slopes["edi_lag:poor"] * poor[i]
                )
                logc += mu[i] + lam[w] + slope * edi[(c, w - 1)] + shock[(c, w)]
                logc += sd * rng.normal()
                if move_at == w:  # moves before wave w: the interval's start county is c
                    c = int(cid[(c % n_counties)])  # next county
            cons = np.exp(logc)
            shares = np.array([0.1, 0.1, 0.1]) * np.exp(0.1 * rng.normal(size=3))
            parts = cons * shares
            rows.append(
                {
                    "hh_id": 1000 + i,
                    "wave": w,
                    "county_id": c,
                    "province": f"p{c % 3}",
                    "inland": inland_c[c - 1],
                    "rural": rural[i],
                    "poor": poor[i],
                    "hh_size": 3,
                    "weight": weight[i],
                    "consumption_pc": cons,
                    "cons_durables": parts[0],
                    "cons_in_style": parts[1],
                    "cons_local_services": parts[2],
                    "cons_other": cons - parts.sum(),
                }
            )
    hh = pd.DataFrame(rows)
    hh.attrs = {"welfare_label": LABEL, "welfare_synthetic": True}
    return hh, counties


# ------------------------------------------------------------------------------ growth frame
def test_growth_values_lag_year_and_start_county():
    hh, cp = simulate(n_hh=12, movers=4, seed=1)
    before = hh.copy()
    gp = growth_panel(hh, cp)
    pd.testing.assert_frame_equal(hh, before)  # input untouched
    d = gp.data
    assert d.attrs == {"welfare_label": LABEL, "welfare_synthetic": True}
    assert len(d) == 24 and gp.waves == (2012, 2014, 2016)
    assert gp.outcome_columns == ("dlog_consumption_pc",)
    assert gp.index_columns == ("edi_lag",)
    edi = cp.set_index(["county_id", "year"])["edi"]
    h = hh.set_index(["hh_id", "wave"])
    for _, r in d.iterrows():
        start, end = h.loc[(r.hh_id, r.wave_start)], h.loc[(r.hh_id, r.wave)]
        assert r.wave - r.wave_start == 2
        assert r.dlog_consumption_pc == pytest.approx(
            np.log(end.consumption_pc) - np.log(start.consumption_pc), abs=1e-12
        )
        assert r.county_id == start.county_id and r.county_id_end == end.county_id
        assert r.edi_lag == edi[(start.county_id, r.wave - 1)]  # 2013 for 2012->2014
        assert r.mover == int(start.county_id != end.county_id)
        assert (
            r.poverty_county
            == cp.set_index(["county_id", "year"]).loc[
                (start.county_id, r.wave - 1), "poverty_county"
            ]
        )
    assert d["mover"].sum() == 4
    gp0 = growth_panel(hh, cp, lag=0)  # index in the end wave year (start county)
    for _, r in gp0.data.iterrows():
        assert r.edi_lag == edi[(h.loc[(r.hh_id, r.wave_start)].county_id, r.wave)]
    with pytest.raises(PanelStructureError, match=r"found \[2012\] absent"):
        growth_panel(hh, cp, lag=2)  # the county panel starts in 2013


def test_counts_by_reason_hand_count():
    hh, cp = simulate(n_hh=30, movers=2, seed=2)
    hh = hh.copy()
    # household 1002: misses 2014 (gap at 2016); household 1003: only 2016; 1004: misses 2016
    hh = hh[~((hh.hh_id == 1002) & (hh.wave == 2014))]
    hh = hh[~((hh.hh_id == 1003) & (hh.wave < 2016))]
    hh = hh[~((hh.hh_id == 1004) & (hh.wave == 2016))]
    hh.loc[(hh.hh_id == 1005) & (hh.wave == 2016), "consumption_pc"] = np.nan
    hh.loc[(hh.hh_id == 1006) & (hh.wave == 2014), "consumption_pc"] = 0.0
    cp = cp.copy()
    start_c = hh.loc[(hh.hh_id == 1007) & (hh.wave == 2014), "county_id"].iloc[0]
    cp.loc[(cp.county_id == start_c) & (cp.year == 2015), "edi"] = np.nan
    n_missing_index = int(
        (
            hh.sort_values("wave")
            .groupby("hh_id")
            .apply(
                lambda g: (
                    (g.wave == 2016) & (g.wave.shift() == 2014) & (g.county_id.shift() == start_c)
                ).sum(),
                include_groups=False,
            )
        ).sum()
    )
    with pytest.raises(OutcomeError, match="2 interval"):
        growth_panel(hh, cp)  # 1006: 2012->2014 and 2014->2016 both touch the zero
    gp = growth_panel(hh, cp, nonpositive="exclude")
    c = dict(gp.counts)
    assert c["household-waves in data"] == 90 - 1 - 2 - 1
    assert c["first observed wave of a household (no earlier wave)"] == 30
    assert c["previous consecutive wave missing (gap)"] == 1
    # intervals: 30 households x 2, minus 1002 (both), 1003 (both), 1004 (one)
    assert c["growth intervals (consecutive waves)"] == 60 - 2 - 2 - 1 == len(gp.data)
    assert c["movers (county changed; kept, start county used)"] == int(gp.data.mover.sum())
    assert c["missing consumption 'consumption_pc' (either wave)"] == 1
    assert c["non-positive consumption 'consumption_pc' (excluded)"] == 2
    assert c["index 'edi' missing for the start county-year"] == n_missing_index >= 1
    assert gp.data["dlog_consumption_pc"].isna().sum() == 3
    s = gp.summary()
    assert list(s.columns) == ["reason", "n"] and len(s) == len(gp.counts)
    # the counts travel to the regression, next to fit_ols's own drop counts
    res = consumption_growth(gp, fixed_effects=("hh_id", "wave"))
    text = "\n".join(res.coefficients.note_lines())
    assert "previous consecutive wave missing (gap): 1" in text
    assert "missing outcome 'dlog_consumption_pc'" in res.coefficients.sample.describe()
    assert "singleton fixed-effect group" in res.coefficients.sample.describe()
    hc1 = res.coefficients.with_vcov("HC1")  # another variance keeps the panel counts
    assert hc1.vcov_spec.kind == "HC1" and hc1.notes == res.coefficients.notes


def test_movers_counted_with_real_moves():
    hh, cp = simulate(n_hh=30, movers=6, seed=3)
    gp = growth_panel(hh, cp)
    moves = hh.sort_values(["hh_id", "wave"]).groupby("hh_id")["county_id"].diff().fillna(0)
    assert (
        dict(gp.counts)["movers (county changed; kept, start county used)"]
        == int((moves != 0).sum())
        == 6
    )


# ------------------------------------------------------------------------------ errors
def test_bad_input_errors():
    hh, cp = simulate(n_hh=8, seed=4)
    with pytest.raises(PanelStructureError, match="not in it"):
        growth_panel(hh.assign(county_id=hh.county_id.where(hh.hh_id != 1000, 999)), cp)
    with pytest.raises(DuplicateIdError, match="hh_id x wave"):
        growth_panel(pd.concat([hh, hh.iloc[:1]]), cp)
    with pytest.raises(DuplicateIdError, match="county_id x year"):
        growth_panel(hh, pd.concat([cp, cp.iloc[:2]]))
    with pytest.raises(UnknownOptionError, match="strictly increasing"):
        growth_panel(hh, cp, waves=[2012, 2016, 2014])
    with pytest.raises(PanelStructureError, match=r"\[2016\] not in it"):
        growth_panel(hh, cp, waves=[2012, 2014])
    with pytest.raises(PanelStructureError, match="equally spaced"):
        growth_panel(
            hh[hh.wave != 2014]
            .assign(wave=lambda d: d.wave.replace(2016, 2018))
            .pipe(lambda d: pd.concat([d, hh[hh.wave == 2014]])),
            cp,
        )
    with pytest.raises(PanelStructureError, match="index years"):
        growth_panel(hh, cp, lag=3)  # 2011 absent
    with pytest.raises(MissingColumnError):
        growth_panel(hh.drop(columns="consumption_pc"), cp)
    with pytest.raises(MissingColumnError):
        growth_panel(hh, cp.drop(columns="edi"))
    with pytest.raises(ColumnTypeError, match="expected numbers"):
        growth_panel(hh.assign(consumption_pc=hh.consumption_pc.astype(str)), cp)
    with pytest.raises(UnknownOptionError):
        growth_panel(hh, cp, nonpositive="drop")
    with pytest.raises(UnknownOptionError):
        growth_panel(hh, cp, lag=-1)
    with pytest.raises(UnknownOptionError):
        growth_panel(hh, cp, consumptions=("x",))
    with pytest.raises(DataError, match="mover"):
        growth_panel(hh.assign(mover=0), cp)
    gp = growth_panel(hh, cp)
    with pytest.raises(TreatmentError):
        consumption_growth(gp, groups=("hh_size",))
    with pytest.raises(UnknownOptionError):
        consumption_growth(gp, groups="rural")


def test_explicit_waves_with_missing_survey_wave():
    """Waves 2012 and 2016 only, declared 2012/2014/2016: no interval is consecutive."""
    hh, cp = simulate(n_hh=8, seed=5)
    sub = hh[hh.wave != 2014]
    gp = growth_panel(sub, cp, waves=[2012, 2014, 2016])
    assert len(gp.data) == 0
    assert dict(gp.counts)["previous consecutive wave missing (gap)"] == 8


# ------------------------------------------------------------------------------ estimators
def _design(d, cols):
    return d[cols].to_numpy(dtype=float)


def test_two_way_fe_equals_hand_within_transformation_balanced():
    hh, cp = simulate(n_hh=40, seed=6)
    gp = growth_panel(hh, cp)
    res = consumption_growth(gp, fixed_effects=("hh_id", "wave"), weights=None)
    d = gp.data.copy()
    d["x"] = d.edi_lag
    for g in ("rural", "inland", "poor"):
        d[f"x_{g}"] = d.edi_lag * d[g]
    cols = ["dlog_consumption_pc", "x", "x_rural", "x_inland", "x_poor"]
    # balanced: y - ybar_i - ybar_t + ybar
    dm = d[cols] - d.groupby("hh_id")[cols].transform("mean")
    dm = dm - d.groupby("wave")[cols].transform("mean") + d[cols].mean()
    b = np.linalg.lstsq(_design(dm, cols[1:]), dm[cols[0]].to_numpy(), rcond=None)[0]
    est = res.coefficients.params
    np.testing.assert_allclose(
        est[["edi_lag", "edi_lag:rural", "edi_lag:inland", "edi_lag:poor"]], b, atol=1e-10
    )
    assert res.coefficients.vcov_spec.kind == "CRV1"
    assert res.coefficients.vcov_spec.n_clusters == d.county_id.nunique()
    assert any("absorbed" in n for n in res.coefficients.notes)


@pytest.mark.parametrize("weighted", [False, True])
def test_two_way_fe_equals_dummies_unbalanced(weighted):
    hh, cp = simulate(n_hh=40, seed=7, movers=5)
    drop = hh.sample(12, random_state=1).index
    gp = growth_panel(hh.drop(index=drop), cp)
    res = consumption_growth(
        gp, fixed_effects=("hh_id", "wave"), weights="weight" if weighted else None
    )
    mask = res.coefficients.sample.mask
    d = gp.data.loc[mask].copy()
    terms = list(res.coefficients.terms)  # inland varies within movers: its main effect stays
    assert {"edi_lag", "edi_lag:rural", "edi_lag:inland", "edi_lag:poor"} <= set(terms)
    assert "rural" not in terms and "poor" not in terms
    X = pd.DataFrame(
        {t: np.prod([d[p].to_numpy(dtype=float) for p in t.split(":")], axis=0) for t in terms}
    )
    D = pd.get_dummies(d.hh_id.astype(str), dtype=float)
    W = pd.get_dummies(d.wave.astype(str), drop_first=True, dtype=float)
    Z = np.column_stack([X.to_numpy(), D.to_numpy(), W.to_numpy()])
    w = d.weight.to_numpy() if weighted else np.ones(len(d))
    sw = np.sqrt(w)
    b = np.linalg.lstsq(Z * sw[:, None], d.dlog_consumption_pc.to_numpy() * sw, rcond=None)[0]
    np.testing.assert_allclose(res.coefficients.params[terms], b[: len(terms)], atol=1e-9)
    # singleton households (one interval) dropped and counted by fit_ols
    n_single = int((gp.data.groupby("hh_id").size() == 1).sum())
    assert (
        dict(res.coefficients.sample.dropped).get("singleton fixed-effect group (hh_id, wave)", 0)
        == n_single
    )


def test_known_slopes_recovered_within_3_se():
    hh, cp = simulate(n_hh=900, n_counties=40, seed=11, movers=20)
    gp = growth_panel(hh, cp)
    for fe in (("wave",), ("hh_id", "wave")):
        t = consumption_growth(gp, fixed_effects=fe).tidy().set_index("term")
        for k, v in SLOPES.items():
            assert abs(t.loc[k, "estimate"] - v) < 3 * t.loc[k, "std_error"], (fe, k)


def test_slopes_are_hand_linear_combinations():
    hh, cp = simulate(n_hh=200, n_counties=20, seed=12)
    res = consumption_growth(growth_panel(hh, cp))
    b, V = res.coefficients.params, res.coefficients.vcov
    sl = res.slopes().tidy().set_index("term")
    assert sl.index[0] == "base (rural=0, inland=0, poor=0)"
    assert {"rural", "inland", "poor", "rural & inland & poor"} <= set(sl.index)
    for term, parts in {
        "base (rural=0, inland=0, poor=0)": [],
        "rural": ["rural"],
        "rural & poor": ["rural", "poor"],
        "rural & inland & poor": ["rural", "inland", "poor"],
    }.items():
        names = ["edi_lag"] + [f"edi_lag:{p}" for p in parts]
        assert sl.loc[term, "estimate"] == pytest.approx(b[names].sum(), abs=1e-14)
        var = V.loc[names, names].to_numpy().sum()
        assert sl.loc[term, "std_error"] == pytest.approx(np.sqrt(var), rel=1e-12)
    assert res.slopes().df == res.coefficients.df


def test_equal_slopes_wald_equals_statsmodels_and_pyfixest():
    import pyfixest as pf
    import statsmodels.formula.api as smf

    hh, cp = simulate(n_hh=300, n_counties=25, seed=13)
    gp = growth_panel(hh, cp)
    res = consumption_growth(gp, weights=None)
    eq = res.equal_slopes().set_index("test")
    d = gp.data
    fml = (
        "dlog_consumption_pc ~ edi_lag + edi_lag:rural + edi_lag:inland + edi_lag:poor "
        "+ rural + inland + poor + C(wave)"
    )
    sm = smf.ols(fml, d).fit(cov_type="cluster", cov_kwds={"groups": d.county_id}, use_t=True)
    ft = sm.f_test("edi_lag:rural = 0, edi_lag:inland = 0, edi_lag:poor = 0")
    joint = eq.loc["all interactions = 0"]
    assert joint["statistic"] == pytest.approx(float(np.squeeze(ft.fvalue)), rel=1e-9)
    assert joint["p_value"] == pytest.approx(float(ft.pvalue), rel=1e-9)
    assert (joint["df_num"], joint["df_den"]) == (3, d.county_id.nunique() - 1)
    assert ft.df_denom == joint["df_den"]
    tt = sm.t_test("edi_lag:poor = 0")
    assert eq.loc["edi_lag:poor = 0", "statistic"] == pytest.approx(
        float(np.squeeze(tt.tvalue)), rel=1e-9
    )
    fit = pf.feols(fml.replace(" + C(wave)", "") + " | wave", d, vcov={"CRV1": "county_id"})
    names = list(fit.coef().index)
    R = np.zeros((3, len(names)))
    for i, t in enumerate(["edi_lag:rural", "edi_lag:inland", "edi_lag:poor"]):
        R[i, names.index(t)] = 1
    with pytest.warns(UserWarning):  # pyfixest switches to chi2 for R != I: W = q F
        w = fit.wald_test(R=R, distribution="F")
    assert joint["statistic"] * 3 == pytest.approx(float(w["statistic"]), rel=1e-9)


def test_split_samples_equal_separate_regressions():
    hh, cp = simulate(n_hh=300, n_counties=20, seed=14)
    gp = growth_panel(hh, cp)
    res = split_samples(gp, by="rural", fixed_effects=("wave",))
    t = res.tidy().set_index("term")
    sep = []
    for v in (0, 1):
        r = fit_ols(
            "dlog_consumption_pc ~ edi_lag",
            gp.data[gp.data.rural == v],
            fixed_effects=["wave"],
            design=SurveyDesign(weights="weight"),
            cluster="county_id",
        )
        sep.append(r)
        assert t.loc[f"edi_lag [rural={v}]", "estimate"] == pytest.approx(
            float(r.params["edi_lag"]), abs=1e-10
        )
        assert res.extra["separate_std_errors"][v] == pytest.approx(
            float(r.std_errors["edi_lag"]), rel=1e-12
        )
    assert t.loc["difference (1 - 0)", "estimate"] == pytest.approx(
        float(sep[1].params["edi_lag"] - sep[0].params["edi_lag"]), abs=1e-10
    )
    V = res.vcov.to_numpy()
    assert V[2, 2] == pytest.approx(V[0, 0] + V[1, 1] - 2 * V[0, 1], rel=1e-12)
    assert res.vcov_spec.n_clusters == gp.data.county_id.nunique()
    # without fixed effects: one intercept per subsample
    r0 = split_samples(gp, by="rural", fixed_effects=None).tidy().set_index("term")
    ref = fit_ols(
        "dlog_consumption_pc ~ edi_lag",
        gp.data[gp.data.rural == 1],
        design=SurveyDesign(weights="weight"),
        cluster="county_id",
    )
    assert r0.loc["edi_lag [rural=1]", "estimate"] == pytest.approx(
        float(ref.params["edi_lag"]), abs=1e-10
    )


def test_by_category_romano_wolf_same_draws():
    hh, cp = simulate(n_hh=120, n_counties=12, seed=15)
    cats = ("cons_durables", "cons_in_style", "cons_local_services", "cons_other")
    gp = growth_panel(hh, cp, consumption=cats)
    a = by_category(gp, groups=("rural",), reps=199, random_state=3, weights_type="webb")
    b = by_category(gp, groups=("rural",), reps=199, random_state=3, weights_type="webb")
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 8 and set(a.term) == {"edi_lag", "edi_lag:rural"}
    assert (a.p_value_romano_wolf >= a.p_value_wild - 1e-12).all()
    assert a.attrs["welfare_synthetic"] and a.attrs["reps"] == 199
    one = consumption_growth(gp, outcome="dlog_cons_in_style", groups=("rural",)).tidy()
    row = a[(a.outcome == "dlog_cons_in_style") & (a.term == "edi_lag")].iloc[0]
    assert row.estimate == pytest.approx(one.set_index("term").loc["edi_lag", "estimate"])
    c = by_category(gp, groups=("rural",), romano_wolf=False)
    assert "p_value_romano_wolf" not in c.columns and (c.p_value_holm >= c.p_value).all()


def test_synthetic_twin_counts_and_truth():
    hp = pytest.importorskip("welfare.datasets.household_panel").household_panel(0)
    gp = growth_panel(hp.data, hp.counties.data)
    c = dict(gp.counts)
    assert c["growth intervals (consecutive waves)"] == hp.truth["n_growth_obs"]
    assert c["movers (county changed; kept, start county used)"] == hp.truth["n_movers"]
    assert c["household-waves in data"] == hp.truth["n_rows"]
    t = consumption_growth(gp).tidy().set_index("term")
    for k, v in hp.truth["growth_beta"]["total"].items():
        assert abs(t.loc[k, "estimate"] - v) < 3 * t.loc[k, "std_error"], k
    assert isinstance(gp, GrowthPanel) and gp.data.attrs["welfare_synthetic"]


# ------------------------------------------------------------------------------ review: odd input
def test_growth_panel_odd_input_named_errors():
    """Text waves, text ``waves=``, infinite consumption or index, a column named twice."""
    hh, cp = simulate(n_hh=8, seed=21)
    with pytest.raises(ColumnTypeError, match="numeric survey years"):
        growth_panel(hh.assign(wave=hh.wave.astype(str)), cp)  # was a bare TypeError
    with pytest.raises(UnknownOptionError, match="numeric survey years"):
        growth_panel(hh, cp, waves=["2012", "2014", "2016"])
    with pytest.raises(ImpossibleValueError, match="consumption 'consumption_pc'.*1 infinite"):
        growth_panel(hh.assign(consumption_pc=hh.consumption_pc.where(hh.index != 4, np.inf)), cp)
    with pytest.raises(ImpossibleValueError, match="index 'edi'.*1 infinite"):
        growth_panel(hh, cp.assign(edi=cp.edi.where(cp.index != 0, -np.inf)))
    with pytest.raises(UnknownOptionError, match="distinct"):
        growth_panel(hh, cp, consumption=["consumption_pc", "consumption_pc"])  # counted twice
    with pytest.raises(UnknownOptionError, match="distinct"):
        growth_panel(hh, cp, index=["edi", "edi"])


def test_growth_panel_household_columns_named_year_or_index():
    """A household column ``year`` was renamed ``year_x``/``year_y`` by the merge; a household
    column named like the index (``edi``) made the county index disappear (KeyError)."""
    hh, cp = simulate(n_hh=10, seed=22)
    ref = growth_panel(hh, cp).data
    gp = growth_panel(hh.assign(year=hh.wave + 100, edi=-1.0), cp)
    d = gp.data
    assert "year_x" not in d.columns and "year_y" not in d.columns
    np.testing.assert_array_equal(d["year"], d["wave_start"] + 100)  # start-wave household value
    np.testing.assert_array_equal(d["edi_lag"], ref["edi_lag"])  # from the county panel
    assert (d["edi"] == -1.0).all()


def test_missing_start_county_counted_by_own_reason():
    hh, cp = simulate(n_hh=10, seed=23)
    bad = hh.assign(county_id=hh.county_id.where(~((hh.hh_id == 1003) & (hh.wave == 2014))))
    c = dict(growth_panel(bad, cp).counts)
    assert c["county missing at the start wave (no index)"] == 1  # the 2014->2016 interval
    assert c["index 'edi' missing for the start county-year"] == 0
    assert dict(growth_panel(hh, cp).counts)["county missing at the start wave (no index)"] == 0


def test_degenerate_fits_raise_named_errors():
    """No NaN results: a constant outcome, no variation left after the fixed effects, a
    constant index or two identical groups, an empty panel."""
    hh, cp = simulate(n_hh=60, seed=24)
    d = growth_panel(hh, cp).data
    with pytest.raises(OutcomeError, match="constant value 0.1"):
        consumption_growth(d.assign(dlog_consumption_pc=0.1))  # was NaN t and p
    with pytest.raises(VarianceError, match="positive standard errors|perfect fit"):
        consumption_growth(d.assign(dlog_consumption_pc=0.01 * d.wave))  # wave FE absorb it
    with pytest.raises(VarianceError, match="perfect fit"):  # was p = 1e-134 from noise SEs
        consumption_growth(d.assign(dlog_consumption_pc=0.5 * d.edi_lag + 0.01 * d.wave))
    with pytest.raises(VarianceError, match="perfect fit"):
        split_samples(d.assign(dlog_consumption_pc=0.5 * d.edi_lag))
    with pytest.warns(match="collinear"), pytest.raises(CollinearityError, match="edi_lag"):
        consumption_growth(d.assign(edi_lag=5.0))  # was a ValueError in .slopes()
    with pytest.warns(match="collinear"), pytest.raises(CollinearityError, match="edi_lag:poor"):
        consumption_growth(d.assign(rural=d.poor))
    with pytest.raises(EmptySampleError, match="no growth observations|found none"):
        consumption_growth(growth_panel(hh[hh.wave == 2012], cp))
    with pytest.raises(OutcomeError, match="constant value"):
        split_samples(d.assign(dlog_consumption_pc=0.0))
    with pytest.raises(EmptySampleError, match="subsample rural=1"):
        split_samples(d.assign(dlog_consumption_pc=d.dlog_consumption_pc.where(d.rural == 0)))
    with pytest.raises(DataError, match="_edi_lag__rural0"):
        split_samples(d.assign(_edi_lag__rural0=1.0))
    r = split_samples(d.assign(rural=d.rural.astype(float).where(d.index != 0)))
    assert r.n_obs == len(d) - 1
    assert any("1 row(s) with missing 'rural'" in n for n in r.notes)


def test_by_category_checks_options_and_row_order():
    hh, cp = simulate(n_hh=80, n_counties=12, seed=25)
    cats = ("cons_durables", "cons_other")
    gp = growth_panel(hh, cp, consumption=cats)
    outs = ["dlog_cons_durables", "dlog_cons_other"]
    for bad in ({"reps": "x"}, {"random_state": 1.5}, {"weights_type": "gauss"}, {"reps": 0}):
        with pytest.raises(UnknownOptionError):
            by_category(gp, outcomes=outs, groups=("rural",), romano_wolf=False, **bad)
    with pytest.raises(UnknownOptionError, match="distinct"):
        by_category(gp, outcomes=[outs[0], outs[0]], romano_wolf=False)  # was a ValueError
    kw = dict(outcomes=outs, groups=("rural",), reps=99, random_state=4, weights_type="webb")
    a = by_category(gp, **kw)
    shuffled = gp.data.sample(frac=1, random_state=1)
    b = by_category(shuffled.set_axis([f"r{i}" for i in range(len(shuffled))]), **kw)
    cols = ["estimate", "std_error", "p_value", "p_value_wild", "p_value_romano_wolf"]
    np.testing.assert_allclose(b[cols].to_numpy(), a[cols].to_numpy(), rtol=0, atol=1e-12)


def test_column_in_two_roles_refused():
    """groups=("rural", "rural") gave duplicated slope rows and a singular equal-slopes test;
    the outcome among the controls gave an IndexError."""
    hh, cp = simulate(n_hh=30, seed=26)
    gp = growth_panel(hh, cp)
    for kw in (
        {"groups": ("rural", "rural")},
        {"controls": ["dlog_consumption_pc"]},
        {"controls": ["edi_lag"]},
        {"groups": ("rural",), "controls": ["rural"]},
    ):
        with pytest.raises(UnknownOptionError, match="once among outcome, index, groups"):
            consumption_growth(gp, **kw)
    with pytest.raises(UnknownOptionError, match="once among"):
        split_samples(gp, controls=["edi_lag"])


def test_synthetic_county_panel_labels_the_growth_panel():
    """Real households with a synthetic county panel were labelled real (attrs of the
    household frame only)."""
    hh, cp = simulate(n_hh=10, seed=27)
    hh.attrs = {}
    cp.attrs = {"welfare_label": "SYNTHETIC county panel (test)", "welfare_synthetic": True}
    gp = growth_panel(hh, cp)
    assert gp.data.attrs == {
        "welfare_label": "SYNTHETIC county panel (test)",
        "welfare_synthetic": True,
    }
    assert consumption_growth(gp).coefficients.synthetic
    hh.attrs = {"welfare_label": "my survey", "welfare_synthetic": False}
    assert growth_panel(hh, cp).data.attrs["welfare_label"] == (
        "my survey with SYNTHETIC county panel (test)"
    )


def test_nullable_dtypes_kept_and_same_estimates():
    """Household columns kept their values but not their dtypes (a nullable boolean group with
    a missing value became ``object`` and was refused); ids and county as pandas strings."""
    hh, cp = simulate(n_hh=60, seed=28)
    h2 = hh.assign(
        consumption_pc=hh.consumption_pc.astype("Float64").where(hh.index != 6, pd.NA),
        rural=hh.rural.astype("boolean").where(hh.index != 9, pd.NA),
        weight=hh.weight.astype("Float64"),
        county_id=hh.county_id.astype(str).astype("string"),
        hh_id=hh.hh_id.astype(str).astype("string"),
    )
    c2 = cp.assign(
        edi=cp.edi.astype("Float64").where(cp.index != 0, pd.NA),
        county_id=cp.county_id.astype(str).astype("string"),
    )
    gp = growth_panel(h2, c2)
    assert gp.data["rural"].dtype == "boolean" and gp.data["hh_id"].dtype == "string"
    assert gp.data["county_id"].dtype == "string" and gp.data["weight"].dtype == "Float64"
    h3 = hh.assign(
        consumption_pc=hh.consumption_pc.where(hh.index != 6),
        rural=hh.rural.astype(float).where(hh.index != 9),
    )
    gp3 = growth_panel(h3, cp.assign(edi=cp.edi.where(cp.index != 0)))
    assert gp.counts == gp3.counts
    a, b = consumption_growth(gp), consumption_growth(gp3)
    assert a.coefficients.sample.dropped == b.coefficients.sample.dropped
    np.testing.assert_allclose(a.tidy().estimate, b.tidy().estimate, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.tidy().std_error, b.tidy().std_error, rtol=1e-10)


def test_growth_panel_outcome_and_index_must_be_generated_columns():
    """The growth frame carries start-wave LEVELS of other columns: regressing one of them (or
    the unlagged index) would report 'growth coefficients' in RMB, so it is refused."""
    hh, cp = simulate(n_hh=60, n_counties=8, seed=21)
    gp = growth_panel(hh, cp, consumption=("consumption_pc",))
    assert "cons_in_style" in gp.data  # a level, carried along
    with pytest.raises(UnknownOptionError, match="expected a growth column"):
        consumption_growth(gp, outcome="cons_in_style")
    with pytest.raises(UnknownOptionError, match="expected a lagged index column"):
        consumption_growth(gp, index="edi")
    with pytest.raises(UnknownOptionError, match="expected a growth column"):
        split_samples(gp, outcome="consumption_pc")
    with pytest.raises(UnknownOptionError, match="one column name"):
        split_samples(gp, by=["rural", "poor"])
    # by_category defaults to the categories this panel has (here: none besides the total)
    gp2 = growth_panel(hh, cp, consumption=("consumption_pc", "cons_durables"))
    out = by_category(gp2, groups=("rural",), reps=99, random_state=1)
    assert set(out["outcome"]) == {"dlog_cons_durables"}


def test_growth_results_with_vcov_keeps_fit_and_changes_variance():
    hh, cp = simulate(n_hh=200, n_counties=15, seed=22)
    fit = consumption_growth(growth_panel(hh, cp))
    hc = fit.with_vcov("HC1")
    assert hc.coefficients.vcov_spec.kind == "HC1" and fit.coefficients.vcov_spec.kind == "CRV1"
    pd.testing.assert_series_equal(hc.coefficients.params, fit.coefficients.params)
    direct = fit.coefficients.with_vcov("HC1")
    np.testing.assert_allclose(hc.slopes().vcov.to_numpy(), (
        hc.slopes().extra["L"] @ direct.vcov.to_numpy() @ hc.slopes().extra["L"].T))  # fmt: skip
    assert "GrowthResults(" in repr(fit) and len(repr(fit)) < 200
    assert fit.summary() == fit.coefficients.summary()
