"""Synthetic CFPS-like household panel: consumption growth and county e-commerce (finding F5).

SYNTHETIC DATA. Luo, Wang & Zhang (2019) matched China Family Panel Studies (CFPS) households
with Alibaba county e-commerce indices and found faster consumption growth where e-commerce is
more developed, more so for rural, inland and poor households. The matched data are not public;
this generator draws a clearly labelled synthetic twin with the CFPS structure (biennial waves
2012, 2014, 2016; households nested in sampled counties; design weights; attrition and movers)
from a documented data-generating process whose true parameters are returned with the data. It
demonstrates the pipeline and lets tests measure bias and coverage; it is not evidence about
China. Every magnitude below (slopes, variances, shares) is invented for the twin, except the
calibration targets of the online-purchase rates (CFPS 2015: 15% of rural and 33% of urban
households bought online).

County sample
-------------
Counties come from a :class:`~welfare.datasets.county.SyntheticCountyPanel` (default
``county_panel(random_state)``), which carries the county-year e-commerce development index
``edi`` (2013-2016). 160 counties are drawn without replacement, stratified by region and
poverty status so that there are enough inland and poverty counties:

==========  ===============  ===========
region      poverty county   sampled
==========  ===============  ===========
east        no               45
east        yes              10
central     no               30
central     yes              25
west        no               20
west        yes              30
==========  ===============  ===========

(105 inland counties, 65 poverty counties.) Within a stratum h, counties are drawn with
probability proportional to their 2013 population (systematic PPS in random order, as CFPS's
county stage is PPS; a county whose probability would exceed one is taken with certainty), so
pi_c = n_h pop_c / sum_h pop. Each sampled county contributes n_c ~ U{20..30} households (about
25 per county, about 4,000 in all), drawn at random among its households.

Weights: ``weight`` is the sampling (probability) weight of the household, the number of
households of the synthetic population it represents:

    weight_i = (population_c,2013 / 3.1) / (pi_c n_c),

with population_c,2013 / 3.1 the households of its (baseline) county at 3.1 persons per
household and n_c the households sampled there. A sampled county's weights add up to
(pop_c / 3.1) / pi_c, which is the same for every non-certainty county of the stratum, so the
weights of a stratum add up exactly to the households of that stratum in the county panel (poverty counties, over-sampled, have smaller weights). The weight
is constant within a household (the baseline weight; CFPS also provides panel weights, the twin
has no selective attrition, so baseline weights suffice).

Households (household-constant characteristics)
-----------------------------------------------
With L(x) = 1 / (1 + exp(-x)), pov_c the county's poverty status and edi_c,2013 its index:

* rural_i ~ Bernoulli(L(-0.55 + 0.45 inland_c + 0.90 pov_c)) (about 50% overall);
* poor_i ~ Bernoulli(L(-2.90 + 1.20 rural_i + 0.50 inland_c + 0.50 pov_c)) (baseline poverty,
  about 17%, higher among rural and inland households);
* hh_size_i = min(10, 1 + Poisson(2.0 + 0.6 rural_i)) persons.

Base-year (2012) consumption, RMB per person per year (nominal):

    log c_i,2012 = log 15,000 - 0.40 rural_i + 0.15 east_c - 0.40 poor_i - 0.10 pov_c
                   + 0.01 (edi_c,2013 - 50) + a_c + u_i,
    a_c ~ N(0, 0.15^2) (county),   u_i ~ N(0, 0.45^2),

so the mean of consumption_pc in 2012 is about RMB 14,000 (rural households lower, the east
higher). Category k (durables, in-style goods, local services) starts at the share s_k
exp(v_ik) of the total, s_k = 0.10 / 0.09 / 0.11, v_ik ~ N(-0.15^2/2, 0.15^2):
log c_ik,2012 = log c_i,2012 + log s_k + v_ik.

Growth (the exact truth)
------------------------
For waves w in {2014, 2016} and each outcome k in {total, durables, in_style, local_services},
with D_iw the lagged index, the ``edi`` of the household's county at the START of the interval
(its wave w - 2 county) in year w - 1 (2013 for w = 2014, 2015 for w = 2016):

    g_ikw = log c_ikw - log c_ik,w-2
          = mu_ik + lambda_kw + (b0_k + br_k rural_i + bin_k inland_i + bp_k poor_i) D_iw + e_ikw,

    mu_ik  = m_r,k rural_i + m_in,k inland_i + m_p,k poor_i + sd_drift,k z_ik,
    e_ikw  = sd_county,k a_kc + sd_county_wave,k v_kcw + sd_hh,k eps_ikw,

with z, a, v, eps standard normal and independent of each other and of the index (c is the
start county). The slopes (``truth["growth_beta"]``) are in log points of consumption growth
over the two-year interval per index point; e.g. 0.004 means that 10 more index points go with
4 log points (about 4%) faster consumption growth between two waves. The household drift
mu_ik = m_k'x_i + sd_drift,k z_ik depends only on household-constant characteristics that are
regressors in the pooled regression (its mean part; m_k = -50 (br_k, bin_k, bp_k) +
(0.02, 0.01, 0.02), so groups grow at similar rates at an index of 50) and on z_ik, which is
independent of the index; so pooled OLS of g on the index, its interactions with rural, inland
and poor and their main effects, with wave fixed effects, and household fixed-effects
estimators (which absorb mu_ik) are both consistent. The county terms a_kc and v_kcw make
errors correlated within counties: standard errors must be clustered by county (the start
county of the interval). The category shocks are correlated with those of the total (the same
z, a, v, eps enter with correlation 0.7: x_k = 0.7 x_total + sqrt(1 - 0.7^2) x_k,own), as
category spending moves with total spending.

Parameters (``truth["dgp"]["growth"]``): slopes (b0, br, bin, bp) per index point over two
years; wave effects lambda_2014, lambda_2016; sd_drift; sd_county; sd_county_wave; sd_hh:

==============  ======================================  ============  =====================
outcome         b0, br, bin, bp                          lambda        sds
==============  ======================================  ============  =====================
total           0.0020, 0.0030, 0.0040, 0.0040           0.03, 0.01    0.05, 0.015, 0.02, 0.20
durables        0.0020, 0.0025, 0.0030, 0.0030           0.03, 0.01    0.06, 0.02, 0.03, 0.30
in_style        0.0040, 0.0040, 0.0050, 0.0050           0.01, -0.01   0.06, 0.02, 0.03, 0.30
local_services  0.0005, 0.0010, 0.0010, 0.0010           0.10, 0.08    0.06, 0.02, 0.03, 0.25
==============  ======================================  ============  =====================

In-style goods are the most responsive and local services the least (for every rural x inland
x poor group); these magnitudes are invented for the twin. On the default seed (4,040 households,
7,709 two-year intervals, 160 county clusters) the county-clustered standard errors (pweights,
wave fixed effects) of the total slopes are 0.00064 (b0), 0.00046 (br), 0.00075 (bin) and
0.00072 (bp), so each interaction is significant at 5%. Over household seeds 0-399 (default
county panel) the 95% intervals cover the four total slopes in 93.8%, 92.2%, 94.0% and 94.8%
of the draws. Two-year growth of mean consumption is about 20% (nominal).

``cons_other`` = total - (durables + in_style + local_services) is the residual category; its
growth follows from the others and has no parameter of its own: ``truth["growth_beta"]["other"]``
is ``None`` ("not defined"). The three categories are small (about 30% of the total together),
so ``cons_other`` stays positive; the generator checks it and raises
:class:`~welfare.errors.ImpossibleValueError` otherwise (never observed: the smallest share of
``cons_other`` over household seeds 0-299 is 0.146; each draw's minimum is in
``truth["dgp"]["notes"]``).

Units and rounding: all consumption columns are RMB per person per year (nominal). The four
parts are rounded to 0.01 and ``consumption_pc`` is the rounded sum of the rounded parts, so
parts add up exactly to 0.01 and ``log consumption_pc`` differs from the DGP value by less than
1e-5.

Online purchases
----------------
online_buyer_iw ~ Bernoulli(L(alpha_rural(i) + delta_w + 0.35 (E_iw - 50) / 10 - 0.40 poor_i)),
with E_iw the ``edi`` of the household's wave-w county in year max(w - 1, 2013), delta_w =
-0.80 / 0 / +0.50 for 2012 / 2014 / 2016 and the intercepts alpha_rural, alpha_urban solved (on
the sampled households) so that the weighted expected share of buyers in wave 2014 (the survey
year nearest 2015) is 15% for rural and 33% for urban households (the CFPS 2015 figures).
Purchasing online does not enter the consumption DGP (a descriptive column).

Panel irregularities (counted in truth)
---------------------------------------
Disjoint random sets of households: 3% are movers (they move once, before wave 2014 or 2016 at
random, to another sampled county of the same region, so ``inland`` is household-constant; the
lagged index of an interval is that of its start county, the county terms of its errors too);
6% miss exactly one of the later waves (2014 or 2016 at random; a household missing 2014 has no
two-year interval); 12 households appear in only one wave (2012, 2014 or 2016 at random).
Everything is drawn for every household and wave first, then rows are removed, so the truth
is the same for the observed rows.

Source: Luo, X., Wang, C. & Zhang, X. (2019), "E-commerce development and household
consumption growth in China", World Bank Policy Research Working Paper 8810,
doi:10.1596/1813-9450-8810 (the real study; the twin only mimics its structure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from welfare._options import strict_keywords
from welfare.datasets._common import freeze, rng_from
from welfare.datasets.county import SyntheticCountyPanel, county_panel
from welfare.datasets.taobao import DEFAULT_SEED
from welfare.errors import (
    ColumnTypeError,
    EmptySampleError,
    ImpossibleValueError,
    MissingColumnError,
    UnknownOptionError,
)

__all__ = [
    "household_panel",
    "SyntheticHouseholdPanel",
    "SYNTHETIC_HOUSEHOLD_PANEL_LABEL",
    "HOUSEHOLD_PANEL_COLUMNS",
    "CATEGORIES",
]

SYNTHETIC_HOUSEHOLD_PANEL_LABEL = (
    "SYNTHETIC CFPS-like household panel (welfare.datasets, not real data)"
)

WAVES = (2012, 2014, 2016)
# outcome key -> column
CATEGORIES = {
    "total": "consumption_pc",
    "durables": "cons_durables",
    "in_style": "cons_in_style",
    "local_services": "cons_local_services",
    "other": "cons_other",
}
HOUSEHOLD_PANEL_COLUMNS = (
    "hh_id",
    "wave",
    "county_id",
    "province",
    "region",
    "inland",
    "rural",
    "poor",
    "hh_size",
    "weight",
    "consumption_pc",
    "cons_durables",
    "cons_in_style",
    "cons_local_services",
    "cons_other",
    "online_buyer",
)
_COUNTY_COLUMNS = (
    "county_id",
    "year",
    "edi",
    "province",
    "region",
    "inland",
    "poverty_county",
    "population",
)
INDEX_CENTRE = 50.0
_GROWTH_KEYS = ("total", "durables", "in_style", "local_services")


def _growth(b0, br, bin_, bp, lam2014, lam2016, sd_drift, sd_county, sd_cw, sd_hh):
    return {
        "beta": {"edi_lag": b0, "edi_lag:rural": br, "edi_lag:inland": bin_, "edi_lag:poor": bp},
        # mean drift by group: -50 x slope (equal growth at edi 50) + a small genuine difference
        "main": {
            "rural": -INDEX_CENTRE * br + 0.02,
            "inland": -INDEX_CENTRE * bin_ + 0.01,
            "poor": -INDEX_CENTRE * bp + 0.02,
        },
        "wave_effect": {2014: lam2014, 2016: lam2016},
        "sd_drift": sd_drift,
        "sd_county": sd_county,
        "sd_county_wave": sd_cw,
        "sd_household": sd_hh,
    }


DGP: dict[str, Any] = {
    "sample": {
        # (poverty_county, region): counties sampled
        "counties": {
            (0, "east"): 45,
            (1, "east"): 10,
            (0, "central"): 30,
            (1, "central"): 25,
            (0, "west"): 20,
            (1, "west"): 30,
        },
        "households_per_county": (20, 30),
        "persons_per_household_frame": 3.1,
    },
    "rural": {"a0": -0.55, "inland": 0.45, "poverty_county": 0.90},
    "poor": {"a0": -2.90, "rural": 1.20, "inland": 0.50, "poverty_county": 0.50},
    "hh_size": {"poisson_mean": 2.0, "rural": 0.6, "max": 10},
    "level_2012": {
        "log_c0": float(np.log(15_000.0)),
        "rural": -0.40,
        "east": 0.15,
        "poor": -0.40,
        "poverty_county": -0.10,
        "edi_2013_minus_50": 0.01,
        "sd_county": 0.15,
        "sd_household": 0.45,
    },
    "shares_2012": {"durables": 0.10, "in_style": 0.09, "local_services": 0.11, "sd_log": 0.15},
    "growth": {
        "total": _growth(0.0020, 0.0030, 0.0040, 0.0040, 0.03, 0.01, 0.05, 0.015, 0.02, 0.20),
        "durables": _growth(0.0020, 0.0025, 0.0030, 0.0030, 0.03, 0.01, 0.06, 0.02, 0.03, 0.30),
        "in_style": _growth(0.0040, 0.0040, 0.0050, 0.0050, 0.01, -0.01, 0.06, 0.02, 0.03, 0.30),
        "local_services": _growth(
            0.0005, 0.0010, 0.0010, 0.0010, 0.10, 0.08, 0.06, 0.02, 0.03, 0.25
        ),
    },
    "category_shock_correlation": 0.7,
    "online": {
        "target_2014": {"rural": 0.15, "urban": 0.33},
        "edi_per_10_points": 0.35,
        "poor": -0.40,
        "wave_shift": {2012: -0.80, 2014: 0.0, 2016: 0.50},
    },
    "irregularities": {"mover_share": 0.03, "missing_wave_share": 0.06, "n_single_wave": 12},
    "index_centre": INDEX_CENTRE,
}


@dataclass(frozen=True)
class SyntheticHouseholdPanel:
    """A synthetic CFPS-like household panel with its truth and the county panel it uses.

    Attributes
    ----------
    data : pandas.DataFrame
        Long panel, one row per household and observed wave (columns
        :data:`HOUSEHOLD_PANEL_COLUMNS`), sorted by ``hh_id`` and ``wave``; ``data.attrs``
        carries the synthetic label.
    truth : mapping
        True growth slopes, counts of the panel irregularities, the calibration targets and
        every data-generating parameter (see :func:`household_panel`).
    label : str
        :data:`SYNTHETIC_HOUSEHOLD_PANEL_LABEL`, shown in every table.
    seed : int
        Seed used (-1 when a Generator was passed).
    counties : SyntheticCountyPanel
        The county panel whose ``edi`` the households are matched to (merge on
        ``county_id`` and ``year``).
    """

    data: pd.DataFrame = field(repr=False)
    truth: MappingProxyType
    label: str = SYNTHETIC_HOUSEHOLD_PANEL_LABEL
    seed: int = DEFAULT_SEED
    counties: SyntheticCountyPanel | None = field(default=None, repr=False)


def _jsonable(obj):
    """DGP dict with tuple keys written as ``"poverty=1,east"`` strings, numbers as floats."""
    if isinstance(obj, dict):
        return {
            (f"poverty={k[0]},{k[1]}" if isinstance(k, tuple) else k): _jsonable(v)
            for k, v in obj.items()
        }
    if isinstance(obj, tuple):
        return list(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    return obj


def _check_counties(counties) -> pd.DataFrame:
    """Return the county-year frame, checked for the columns and years the generator needs."""
    if not isinstance(counties, SyntheticCountyPanel):
        raise UnknownOptionError(
            f"counties: expected a SyntheticCountyPanel (welfare.datasets.county_panel()), "
            f"found {type(counties).__name__}"
        )
    d = counties.data
    missing = [c for c in _COUNTY_COLUMNS if c not in d.columns]
    if missing:
        raise MissingColumnError(
            f"counties.data: expected columns {list(_COUNTY_COLUMNS)}, missing {missing} "
            "(the e-commerce development index 'edi' is read from the county panel)"
        )
    if not pd.api.types.is_numeric_dtype(d["edi"]):
        raise ColumnTypeError(f"counties.data['edi']: expected numbers, found {d['edi'].dtype}")
    if d.duplicated(["county_id", "year"]).any():
        raise ImpossibleValueError(
            "counties.data: expected one row per county_id and year, found "
            f"{int(d.duplicated(['county_id', 'year']).sum())} duplicated pair(s)"
        )
    years = set(d["year"].unique().tolist())
    need = {2013, 2015}
    if not need <= years:
        raise MissingColumnError(
            f"counties.data: expected the years 2013 and 2015 (lagged index of waves 2014, "
            f"2016), found years {sorted(years)}"
        )
    sub = d[d["year"].isin([2013, 2015])]
    per_county = sub.groupby("county_id")["year"].nunique()
    if (per_county < 2).any() or not np.isfinite(sub["edi"].to_numpy(dtype=float)).all():
        raise ImpossibleValueError(
            "counties.data: expected a finite edi for every county in 2013 and 2015, found "
            f"{int((per_county < 2).sum())} county(ies) without both years and "
            f"{int((~np.isfinite(sub['edi'].to_numpy(dtype=float))).sum())} non-finite value(s)"
        )
    return d


def _pps_systematic(size: np.ndarray, n: int, rng: np.random.Generator):
    """Systematic PPS sample of ``n`` units (random order); certainty units taken first.

    Returns the selected positions and the inclusion probabilities of all units.
    """
    pi = np.zeros(len(size))
    certain = np.zeros(len(size), dtype=bool)
    while True:
        rest = ~certain
        pi[rest] = (n - certain.sum()) * size[rest] / size[rest].sum()
        over = rest & (pi >= 1)
        if not over.any():
            break
        certain |= over
        pi[certain] = 1.0
    rest_idx = rng.permutation(np.flatnonzero(~certain))
    n_rest = n - int(certain.sum())
    cum = np.cumsum(pi[rest_idx])
    picks = rng.random() + np.arange(n_rest)
    chosen = rest_idx[np.minimum(np.searchsorted(cum, picks, side="right"), len(cum) - 1)]
    return np.sort(np.r_[np.flatnonzero(certain), chosen]), pi


def _sample_counties(base: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Stratified PPS sample of counties (region x poverty status), inclusion probabilities."""
    parts = []
    for (pov, region), n_h in DGP["sample"]["counties"].items():
        cell = base[(base["poverty_county"] == pov) & (base["region"] == region)]
        if len(cell) < n_h:
            raise EmptySampleError(
                f"counties: expected at least {n_h} counties with poverty_county={pov}, "
                f"region={region!r} to sample from, found {len(cell)}"
            )
        take, pi = _pps_systematic(cell["population"].to_numpy(dtype=float), n_h, rng)
        parts.append(cell.iloc[take].assign(county_pi=pi[take]))
    return pd.concat(parts).sort_values("county_id", kind="stable").reset_index(drop=True)


def _logistic(x):
    return special.expit(x)


def _generate(cdata: pd.DataFrame, rng: np.random.Generator):
    edi = cdata.set_index(["county_id", "year"])["edi"].astype(float)
    base = cdata[cdata["year"] == 2013].sort_values("county_id").reset_index(drop=True)
    sc = _sample_counties(base, rng)
    n_cty = len(sc)
    lo, hi = DGP["sample"]["households_per_county"]
    n_c = rng.integers(lo, hi + 1, size=n_cty)
    ci = np.repeat(np.arange(n_cty), n_c)  # index into sc of the baseline county
    n = len(ci)
    inland = sc["inland"].to_numpy()[ci].astype(np.int64)
    pov_c = sc["poverty_county"].to_numpy()[ci].astype(np.int64)
    east = (sc["region"].to_numpy()[ci] == "east").astype(np.int64)
    edi13_c = edi.loc[list(zip(sc["county_id"], [2013] * n_cty, strict=True))].to_numpy()
    # households
    R, P, H = DGP["rural"], DGP["poor"], DGP["hh_size"]
    rural = (
        rng.random(n) < _logistic(R["a0"] + R["inland"] * inland + R["poverty_county"] * pov_c)
    ).astype(np.int64)
    poor = (
        rng.random(n)
        < _logistic(
            P["a0"] + P["rural"] * rural + P["inland"] * inland + P["poverty_county"] * pov_c
        )
    ).astype(np.int64)
    hh_size = np.minimum(H["max"], 1 + rng.poisson(H["poisson_mean"] + H["rural"] * rural))
    hh_frame = sc["population"].to_numpy() / DGP["sample"]["persons_per_household_frame"]
    weight = (hh_frame / (sc["county_pi"].to_numpy() * n_c))[ci]
    # irregularities: disjoint sets of movers, missing-one-wave and single-wave households
    irr = DGP["irregularities"]
    n_move = int(round(irr["mover_share"] * n))
    n_miss = int(round(irr["missing_wave_share"] * n))
    n_single = int(irr["n_single_wave"])
    perm = rng.permutation(n)
    movers = np.sort(perm[:n_move])
    missers = np.sort(perm[n_move : n_move + n_miss])
    singles = np.sort(perm[n_move + n_miss : n_move + n_miss + n_single])
    # county of residence by wave (index into sc)
    cw = np.tile(ci[:, None], (1, len(WAVES)))
    move_at = rng.integers(1, len(WAVES), size=n_move)  # 1: before 2014, 2: before 2016
    region_s = sc["region"].to_numpy()
    for h, j in zip(movers, move_at, strict=True):
        cand = np.flatnonzero((region_s == region_s[ci[h]]) & (np.arange(n_cty) != ci[h]))
        cw[h, j:] = rng.choice(cand)
    observed = np.ones((n, len(WAVES)), dtype=bool)
    miss_wave = rng.integers(1, len(WAVES), size=n_miss)
    observed[missers, miss_wave] = False
    single_wave = rng.integers(0, len(WAVES), size=n_single)
    observed[singles, :] = False
    observed[singles, single_wave] = True
    # lagged index of each interval: start county's edi in year w - 1
    cid = sc["county_id"].to_numpy()
    edi_lag = np.column_stack(
        [
            edi.loc[list(zip(cid[cw[:, j - 1]], [WAVES[j] - 1] * n, strict=True))].to_numpy()
            for j in range(1, len(WAVES))
        ]
    )
    # base-year levels
    L = DGP["level_2012"]
    a_c = rng.normal(0, L["sd_county"], n_cty)
    log_c = {
        "total": L["log_c0"]
        + L["rural"] * rural
        + L["east"] * east
        + L["poor"] * poor
        + L["poverty_county"] * pov_c
        + L["edi_2013_minus_50"] * (edi13_c[ci] - INDEX_CENTRE)
        + a_c[ci]
        + rng.normal(0, L["sd_household"], n)
    }
    S = DGP["shares_2012"]
    for k in ("durables", "in_style", "local_services"):
        v = rng.normal(-(S["sd_log"] ** 2) / 2, S["sd_log"], n)
        log_c[k] = log_c["total"] + np.log(S[k]) + v
    # growth: common standard-normal shocks of the total, mixed into the categories
    rho = DGP["category_shock_correlation"]
    n_int = len(WAVES) - 1

    def shocks():
        return {
            "z": rng.normal(size=n),
            "a": rng.normal(size=n_cty),
            "v": rng.normal(size=(n_cty, n_int)),
            "eps": rng.normal(size=(n, n_int)),
        }

    common = shocks()
    paths = {}
    x = {"rural": rural, "inland": inland, "poor": poor}
    for k in _GROWTH_KEYS:
        G = DGP["growth"][k]
        if k == "total":
            s = common
        else:
            own = shocks()
            s = {q: rho * common[q] + np.sqrt(1 - rho**2) * own[q] for q in common}
        mu = sum(G["main"][t] * x[t] for t in x) + G["sd_drift"] * s["z"]
        b = G["beta"]
        slope = b["edi_lag"] + sum(b[f"edi_lag:{t}"] * x[t] for t in x)
        lc = np.empty((n, len(WAVES)))
        lc[:, 0] = log_c[k]
        for j in range(1, len(WAVES)):
            start = cw[:, j - 1]
            e = (
                G["sd_county"] * s["a"][start]
                + G["sd_county_wave"] * s["v"][start, j - 1]
                + G["sd_household"] * s["eps"][:, j - 1]
            )
            g = mu + G["wave_effect"][WAVES[j]] + slope * edi_lag[:, j - 1] + e
            lc[:, j] = lc[:, j - 1] + g
        paths[k] = np.exp(lc)
    parts = {k: np.round(paths[k], 2) for k in ("durables", "in_style", "local_services")}
    other = paths["total"] - (paths["durables"] + paths["in_style"] + paths["local_services"])
    other_share = other / paths["total"]
    if not (other_share > 0).all():
        bad = int((other_share <= 0).sum())
        raise ImpossibleValueError(
            f"household_panel: expected positive residual consumption (cons_other) for every "
            f"household and wave, found {bad} non-positive value(s); try another seed"
        )
    parts["other"] = np.round(other, 2)
    total = np.round(
        parts["durables"] + parts["in_style"] + parts["local_services"] + parts["other"], 2
    )
    # online buyers
    O = DGP["online"]
    e_now = np.column_stack(
        [
            edi.loc[list(zip(cid[cw[:, j]], [max(w - 1, 2013)] * n, strict=True))].to_numpy()
            for j, w in enumerate(WAVES)
        ]
    )
    lin = (
        np.array([O["wave_shift"][w] for w in WAVES])[None, :]
        + O["edi_per_10_points"] * (e_now - INDEX_CENTRE) / 10
        + O["poor"] * poor[:, None]
    )
    alpha = {}
    j14 = WAVES.index(2014)
    for name, grp in (("rural", rural == 1), ("urban", rural == 0)):
        m = grp & observed[:, j14]
        w_, l_ = weight[m], lin[m, j14]
        target = O["target_2014"][name]
        alpha[name] = float(
            optimize.brentq(
                lambda a, w_=w_, l_=l_, t=target: np.sum(w_ * _logistic(a + l_)) / np.sum(w_) - t,
                -20.0,
                20.0,
                xtol=1e-12,
            )
        )
    intercept = np.where(rural == 1, alpha["rural"], alpha["urban"])[:, None]
    buyer = (rng.random((n, len(WAVES))) < _logistic(intercept + lin)).astype(np.int64)
    # long frame
    hh_id = np.arange(1, n + 1)
    cw_flat = cw.reshape(-1)
    long = pd.DataFrame(
        {
            "hh_id": np.repeat(hh_id, len(WAVES)),
            "wave": np.tile(np.array(WAVES, dtype=np.int64), n),
            "county_id": cid[cw_flat].astype(np.int64),
            "province": sc["province"].to_numpy()[cw_flat],
            "region": region_s[cw_flat],
            "inland": sc["inland"].to_numpy()[cw_flat].astype(np.int64),
            "rural": np.repeat(rural, len(WAVES)),
            "poor": np.repeat(poor, len(WAVES)),
            "hh_size": np.repeat(hh_size, len(WAVES)).astype(np.int64),
            "weight": np.repeat(weight, len(WAVES)),
            "consumption_pc": total.reshape(-1),
            "cons_durables": parts["durables"].reshape(-1),
            "cons_in_style": parts["in_style"].reshape(-1),
            "cons_local_services": parts["local_services"].reshape(-1),
            "cons_other": parts["other"].reshape(-1),
            "online_buyer": buyer.reshape(-1),
        }
    )
    data = long[observed.reshape(-1)].reset_index(drop=True)[list(HOUSEHOLD_PANEL_COLUMNS)]
    info = {
        "n_sampled_households": n,
        "movers": movers,
        "missers": missers,
        "miss_wave": miss_wave,
        "singles": singles,
        "online_intercept": alpha,
        "min_other_share": float(other_share.min()),
        "sampled_counties": sc,
    }
    return data, info


def _group_slopes(beta: dict[str, float]) -> dict[str, float]:
    out = {}
    for r in (0, 1):
        for i in (0, 1):
            for p in (0, 1):
                out[f"rural={r},inland={i},poor={p}"] = (
                    beta["edi_lag"]
                    + r * beta["edi_lag:rural"]
                    + i * beta["edi_lag:inland"]
                    + p * beta["edi_lag:poor"]
                )
    return out


def _weighted_share(d: pd.DataFrame, mask) -> float:
    s = d[mask]
    return float((s["weight"] * s["online_buyer"]).sum() / s["weight"].sum())


@strict_keywords
def household_panel(
    random_state: int | np.random.Generator = DEFAULT_SEED,
    *,
    counties: SyntheticCountyPanel | None = None,
) -> SyntheticHouseholdPanel:
    """Generate the synthetic CFPS-like household panel (waves 2012, 2014, 2016) with its truth.

    The growth of log consumption per person between consecutive waves w - 2 and w is

        g_iw = mu_i + lambda_w + (b0 + b_r rural_i + b_in inland_i + b_p poor_i) edi_c,w-1 + e_iw,

    with edi_c,w-1 the e-commerce development index of the household's start county (its wave
    w - 2 county) in year w - 1, the household drift mu_i independent of the index given the
    household's rural/inland/poor status, and e_iw with county components (cluster by county).
    The same structure, with their own parameters, holds for durables, in-style goods and local
    services; ``cons_other`` is the residual. See the module docstring for every equation.

    Parameters
    ----------
    random_state : int or numpy.random.Generator, default 20190601
        Seed; the same seed (and county panel) gives identical data. With ``counties=None``
        an integer seed also seeds the county panel; a Generator is used first by the county
        panel, then by the households.
    counties : SyntheticCountyPanel, optional
        County panel whose ``edi`` (and ``province``, ``region``, ``inland``,
        ``poverty_county``, ``population``) is used, with one row per ``county_id`` and
        ``year`` including 2013 and 2015. Default ``county_panel(random_state)``.

    Returns
    -------
    SyntheticHouseholdPanel
        ``data``: about 4,000 households x 3 waves minus the missing rows (about 11,800
        rows), columns ``hh_id, wave, county_id, province, region, inland, rural, poor,
        hh_size`` (persons), ``weight`` (pweight: households of the synthetic population
        represented, constant per household), ``consumption_pc`` (RMB per person per year,
        nominal, the rounded sum of the four parts), ``cons_durables, cons_in_style,
        cons_local_services, cons_other`` (same units) and ``online_buyer`` (0/1, bought online
        in the past year). ``county_id`` is the county of residence at that wave (ids of
        ``counties``); the index is merged from ``counties.data`` by (county_id, year).

        ``truth`` keys: ``growth_beta`` (per outcome ``total``, ``durables``, ``in_style``,
        ``local_services``: ``{"edi_lag", "edi_lag:rural", "edi_lag:inland",
        "edi_lag:poor"}``, log points of two-year growth per index point; ``other`` is
        ``None``), ``growth_main`` (the true coefficients of ``rural``, ``inland``, ``poor``
        in the pooled regression with wave fixed effects), ``wave_effects`` (lambda_w),
        ``group_slopes`` (per outcome, the slope of each ``"rural=r,inland=i,poor=p"``
        group), ``index`` (``"edi"``), ``index_lag_rule``, ``waves``, ``n_households``,
        ``n_counties``, ``n_rows``, ``n_movers``, ``n_missing_wave`` (and
        ``n_missing_wave_by_wave``), ``n_single_wave``, ``n_growth_obs`` (consecutive-wave
        pairs), ``online_buyer_share_2014`` (calibration targets ``{"rural": 0.15, "urban":
        0.33}``), ``realised_online_buyer_share_2014`` (weighted shares in ``data``),
        ``units``, ``definitions``, ``dgp`` (every parameter), ``seed``, ``label``.

    Raises
    ------
    UnknownOptionError
        ``random_state`` is not a non-negative integer or a Generator; ``counties`` is not a
        SyntheticCountyPanel; an unknown keyword.
    MissingColumnError
        ``counties.data`` lacks ``edi`` (or another column listed above) or the years 2013
        and 2015.
    ColumnTypeError, ImpossibleValueError
        A non-numeric ``edi``; duplicated county-years or a missing/non-finite index.
    EmptySampleError
        A region x poverty cell of ``counties`` has fewer counties than the sample allocation.

    Notes
    -----
    Source of the design: Luo, Wang & Zhang (2019), World Bank Policy Research Working Paper
    8810, doi:10.1596/1813-9450-8810. The magnitudes are invented for the twin. Every table
    built from it is labelled with :data:`SYNTHETIC_HOUSEHOLD_PANEL_LABEL`.
    """
    seed, rng = rng_from(random_state)
    if counties is None:
        counties = county_panel(seed if seed is not None else rng)
    cdata = _check_counties(counties)
    # households draw from their own stream (an integer seed also seeds the county panel)
    hh_rng = np.random.default_rng(rng.integers(2**63))
    data, info = _generate(cdata, hh_rng)
    data.attrs = {"welfare_label": SYNTHETIC_HOUSEHOLD_PANEL_LABEL, "welfare_synthetic": True}

    counts = data.groupby("hh_id").agg(
        n_waves=("wave", "size"), n_counties=("county_id", "nunique")
    )
    rows = data.sort_values(["hh_id", "wave"])
    prev = rows.groupby("hh_id")["wave"].shift(1)
    n_growth = int(((rows["wave"] - prev) == 2).sum())
    missing_by_wave = {int(w): int((info["miss_wave"] == WAVES.index(w)).sum()) for w in WAVES[1:]}
    beta = {k: dict(DGP["growth"][k]["beta"]) for k in _GROWTH_KEYS}
    d14 = data["wave"] == 2014
    truth: dict[str, Any] = {
        "label": SYNTHETIC_HOUSEHOLD_PANEL_LABEL,
        "growth_beta": {**beta, "other": None},
        "growth_main": {k: dict(DGP["growth"][k]["main"]) for k in _GROWTH_KEYS},
        "wave_effects": {k: dict(DGP["growth"][k]["wave_effect"]) for k in _GROWTH_KEYS},
        "group_slopes": {**{k: _group_slopes(beta[k]) for k in _GROWTH_KEYS}, "other": None},
        "index": "edi",
        "index_lag_rule": (
            "the growth between waves w-2 and w (w = 2014, 2016) is matched to edi of the "
            "household's county at wave w-2 (the start county; movers keep the index of the "
            "county they left) in year w-1 (2013 for w = 2014, 2015 for w = 2016); only "
            "consecutive waves form an interval"
        ),
        "cluster_rule": "errors are correlated within the start county of the interval",
        "waves": list(WAVES),
        "n_households": int(data["hh_id"].nunique()),
        "n_counties": int(data["county_id"].nunique()),
        "n_sampled_counties": int(len(info["sampled_counties"])),
        "n_rows": int(len(data)),
        "n_movers": int((counts["n_counties"] > 1).sum()),
        "n_missing_wave": int(len(info["missers"])),
        "n_missing_wave_by_wave": missing_by_wave,
        "n_single_wave": int((counts["n_waves"] == 1).sum()),
        "n_growth_obs": n_growth,
        "online_buyer_share_2014": dict(DGP["online"]["target_2014"]),
        "realised_online_buyer_share_2014": {
            "rural": _weighted_share(data, d14 & (data["rural"] == 1)),
            "urban": _weighted_share(data, d14 & (data["rural"] == 0)),
        },
        "units": {
            "consumption": "RMB per person per year (nominal); parts add up to consumption_pc",
            "growth_beta": "log points of consumption growth over the 2-year interval per "
            "index point",
            "weight": "households of the synthetic population represented (pweight)",
            "hh_size": "persons",
        },
        "definitions": {
            "other": "not defined: cons_other is the residual total - (durables + in_style + "
            "local_services) and has no growth parameter of its own",
            "online_buyer_share_2014": "calibration targets (CFPS 2015); the realised weighted "
            "shares in data are realised_online_buyer_share_2014",
            "n_missing_wave": "households observed in 2012 that miss exactly one of 2014, 2016",
            "n_single_wave": "households with exactly one observed wave",
            "n_movers": "households whose county_id changes between waves",
        },
        "dgp": {
            **_jsonable(DGP),
            "online_intercept": info["online_intercept"],
            "notes": {
                "min_other_share": info["min_other_share"],
                "category_mixing": "category shocks = rho * total shocks + sqrt(1-rho^2) * own",
            },
        },
        "seed": seed,
    }
    return SyntheticHouseholdPanel(
        data=data,
        truth=freeze(truth),
        label=SYNTHETIC_HOUSEHOLD_PANEL_LABEL,
        seed=seed if seed is not None else -1,
        counties=counties,
    )
