"""Synthetic county panel: online sales, stores, packages and purchases of Chinese counties.

SYNTHETIC DATA. The county-level Alibaba indices and sales records behind the report are not
public; this generator reproduces the published structure and calibration targets (about 2,000
counties over four years, 832 poverty-stricken counties, the concentration of their online
sales and their aggregate sales and purchases) from a documented data-generating process whose
parameters are returned with the data. It demonstrates the pipeline (findings F6 and F8); it is
not evidence about China.

The counties are the whole population (a census, no sampling and no weights): the ``realised_*``
values in ``truth`` are computed exactly on the generated data, so they are the exact estimand
of a descriptive estimator (a concentration share, a Lorenz curve, a Gini), which must
reproduce them without error; the published values are the targets they are calibrated to.

Counties and provinces
----------------------
31 provinces in the three NBS regions (east 11, central 8, west 12; ``inland`` = central or
west), 2,000 counties (east 545, central 609, west 846), of which 832 are poverty-stricken
(east 50, central 214, west 568; per province roughly as in the official list). County ids run
by province, poverty counties mixed in at random positions.

Persistent county terms
-----------------------
Within each cell c = (poverty status, region) the county "e-commerce potential" scores q_i are
the normal scores Phi^-1((k - 0.5) / n_c), k = 1..n_c, in random order (a fixed-quantile draw:
which county gets which score is random, the set of scores is not, so the published sales
concentration is reproduced on every seed, within about 0.5 percentage points, rather than only
on average). Log sales potential

    s_i = b_c + sigma_p q_i,

sigma_p = 1.71 for poverty counties (1.50 for the others) and b_c = 2.25 / 1.95 / 0 for eastern
/ central / western poverty counties (5.2 / 3.6 / 2.4 for the others): solved so that the top
quarter of poverty counties holds 90% of their sales and the central and eastern ones 77%
(``truth["dgp"]`` holds every parameter).

Population (persons, not 10,000s), in year t = 2013..2016:

    log pop_i = m_c + 0.5 (0.3 q_i + sqrt(1 - 0.3^2) u_i),   u_i ~ N(0, 1),
    pop_it = round(pop_i exp(g_i (t - 2013))),                g_i ~ N(0.004, 0.006^2),

with medians exp(m_c) of 380,000 (central and eastern poverty counties), 209,000 (western
poverty counties), 520,000 / 450,000 / 300,000 (other eastern / central / western counties),
so the central and eastern poverty counties hold about 46% of the poverty-county population.

Yearly outcomes (e ~ independent N(0, sd^2) year noise; every exp(noise) has mean one)
-------------------------------------------------------------------------------------
* online_sales_it (RMB million) = exp(c_pt + s_i + e_it);
* online_stores_it (count) = max(1, round(exp(k_pt + theta s_i + nu_i + e_it))),
  theta = 0.61, nu_i ~ N(0, 0.5^2): stores rise less than proportionally with sales, so the
  top quarter by sales holds about 70% of the stores;
* packages_sent_it (count) = round(10^6 online_sales_it / 100 exp(pi_i + e_it)),
  pi_i ~ N(0, 0.15^2): about RMB 100 of sales per package, so packages are as concentrated
  as sales;
* online_purchases_it (RMB million) = exp(d_pt + log pop_i + beta_c + gamma s_i + omega_i +
  e_it), gamma = 0.15, omega_i ~ N(0, 0.5^2), beta_c = 0.1 for eastern poverty counties, 0
  for the other poverty counties, 0.9 / 0.5 / 0.4 for the others: purchases scale with
  population and only a little with the sales potential, so a quarter of the poverty counties
  makes about 60% of their purchases.
  Year noise sd: sales 0.15, stores 0.10, packages 0.05, purchases 0.10.

The year levels c_pt, k_pt and d_pt of poverty counties are set so that, given the persistent
county terms, the expected poverty-county aggregate equals the published figure in 2013 and
2016 (online sales RMB 8.4 bn and 29 bn, purchases RMB 67.5 bn and 205.2 bn), with geometric
interpolation in 2014-2015 (stores: 150,000 in 2013 growing 35% a year, not published).
Non-poverty counties have higher levels (b_c, beta_c) and slower growth (25% a year for sales,
stores and purchases), so poverty counties make a small share of all online sales (about 3% in
2013, 5% in 2016) and of purchases (about 11-18%).

Calibration over seeds 0-29: top-quarter shares 0.898-0.903 (sales), 0.895-0.908 (packages),
0.67-0.73 (stores), 0.58-0.63 (purchases); central and eastern shares 0.44-0.47 (population),
0.763-0.776 (sales); poverty-county aggregates within 4% of the published ones.

Extending the panel: the F6 covariates (GDP per capita, sector shares, savings, loans,
investment, density, Taobao villages, online business and shopping indices) belong in this
same generator; draw their randomness after the existing draws (for example from
``numpy.random.default_rng(rng.integers(2**63))`` at the end, as the Taobao twin's workers
module does) so that the existing columns and truth stay as they are for a given seed.

Concentration (finding F8; the report's definitions as read here)
-----------------------------------------------------------------
Poverty counties are ranked by online sales summed over 2013-2016; the top quarter (208 of
832) is compared on sales, packages and stores, each summed over 2013-2016. For purchases the
ranking is by purchases. The central-and-eastern shares use population and sales summed over
2013-2016. Targets: 90% of sales and packages, 70% of stores, 60% of purchases; central and
eastern poverty counties 46% of the population and 77% of sales.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from welfare._options import strict_keywords
from welfare.datasets._common import freeze, rng_from
from welfare.datasets.taobao import DEFAULT_SEED

__all__ = [
    "county_panel",
    "SyntheticCountyPanel",
    "SYNTHETIC_COUNTY_LABEL",
    "COUNTY_PANEL_COLUMNS",
]

SYNTHETIC_COUNTY_LABEL = "SYNTHETIC county panel (welfare.datasets, not real data)"

YEARS = (2013, 2014, 2015, 2016)
REGIONS = ("east", "central", "west")

# province, region, poverty counties, other counties (2,000 in all, 832 poverty-stricken)
PROVINCES = (
    ("Beijing", "east", 0, 10),
    ("Tianjin", "east", 0, 10),
    ("Hebei", "east", 45, 85),
    ("Liaoning", "east", 0, 45),
    ("Shanghai", "east", 0, 5),
    ("Jiangsu", "east", 0, 60),
    ("Zhejiang", "east", 0, 60),
    ("Fujian", "east", 0, 55),
    ("Shandong", "east", 0, 90),
    ("Guangdong", "east", 0, 65),
    ("Hainan", "east", 5, 10),
    ("Shanxi", "central", 36, 60),
    ("Jilin", "central", 8, 35),
    ("Heilongjiang", "central", 20, 45),
    ("Anhui", "central", 20, 45),
    ("Jiangxi", "central", 24, 50),
    ("Henan", "central", 38, 70),
    ("Hubei", "central", 28, 40),
    ("Hunan", "central", 40, 50),
    ("Inner Mongolia", "west", 31, 40),
    ("Guangxi", "west", 33, 35),
    ("Chongqing", "west", 14, 20),
    ("Sichuan", "west", 66, 60),
    ("Guizhou", "west", 66, 10),
    ("Yunnan", "west", 88, 25),
    ("Tibet", "west", 74, 0),
    ("Shaanxi", "west", 56, 25),
    ("Gansu", "west", 58, 10),
    ("Qinghai", "west", 42, 0),
    ("Ningxia", "west", 8, 10),
    ("Xinjiang", "west", 32, 43),
)

COUNTY_PANEL_COLUMNS = (
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
)

# ---------------------------------------------------------------- published targets
PUBLISHED = {
    "top_quarter_sales_share": 0.90,
    "top_quarter_packages_share": 0.90,
    "top_quarter_stores_share": 0.70,
    "top_quarter_purchases_share": 0.60,
    "central_east_population_share": 0.46,
    "central_east_sales_share": 0.77,
    "poverty_sales_rmb_bn": {2013: 8.4, 2016: 29.0},
    "poverty_purchases_rmb_bn": {2013: 67.5, 2016: 205.2},
}

# ---------------------------------------------------------------- true parameters
# cells are keyed (poverty_county, region)
DGP: dict[str, Any] = {
    "population": {
        "log_median": {
            (1, "east"): np.log(380_000),
            (1, "central"): np.log(380_000),
            (1, "west"): np.log(209_000),
            (0, "east"): np.log(520_000),
            (0, "central"): np.log(450_000),
            (0, "west"): np.log(300_000),
        },
        "sd_log": 0.5,
        "corr_score": 0.3,
        "growth_mean": 0.004,
        "growth_sd": 0.006,
    },
    "sales": {
        "b": {
            (1, "east"): 2.25,
            (1, "central"): 1.95,
            (1, "west"): 0.0,
            (0, "east"): 5.2,
            (0, "central"): 3.6,
            (0, "west"): 2.4,
        },
        "sigma": {1: 1.71, 0: 1.5},
        "sd_year": 0.15,
        "growth_nonpoverty": 1.25,
    },
    "stores": {
        "theta": 0.61,
        "sd_county": 0.5,
        "sd_year": 0.10,
        "poverty_total_2013": 150_000,
        "growth_poverty": 1.35,
        "growth_nonpoverty": 1.25,
    },
    "packages": {"rmb_per_package": 100.0, "sd_county": 0.15, "sd_year": 0.05},
    "purchases": {
        "beta": {
            (1, "east"): 0.1,
            (1, "central"): 0.0,
            (1, "west"): 0.0,
            (0, "east"): 0.9,
            (0, "central"): 0.5,
            (0, "west"): 0.4,
        },
        "gamma": 0.15,
        "sd_county": 0.5,
        "sd_year": 0.10,
        "growth_nonpoverty": 1.25,
    },
}


@dataclass(frozen=True)
class SyntheticCountyPanel:
    """A synthetic county panel (a census of counties) with its truth.

    Attributes
    ----------
    data : pandas.DataFrame
        Long panel, one row per county and year (columns :data:`COUNTY_PANEL_COLUMNS`),
        sorted by ``county_id`` and ``year``; ``data.attrs`` carries the synthetic label.
    truth : mapping
        Published targets, the data-generating parameters (``dgp``) and the ``realised_*``
        values computed exactly on ``data`` (see :func:`county_panel`).
    label : str
        :data:`SYNTHETIC_COUNTY_LABEL`, shown in every table.
    seed : int
        Seed used (-1 when a Generator was passed).
    """

    data: pd.DataFrame = field(repr=False)
    truth: MappingProxyType
    label: str = SYNTHETIC_COUNTY_LABEL
    seed: int = DEFAULT_SEED


def _jsonable(obj):
    """DGP dict with tuple keys written as ``"poverty=1,east"`` strings."""
    if isinstance(obj, dict):
        return {
            (f"poverty={k[0]},{k[1]}" if isinstance(k, tuple) else k): _jsonable(v)
            for k, v in obj.items()
        }
    if isinstance(obj, np.floating):
        return float(obj)
    return obj


def _geometric_path(first: float, last: float) -> dict[int, float]:
    g = (last / first) ** (1 / (len(YEARS) - 1))
    return {t: first * g ** (t - YEARS[0]) for t in YEARS}


def _counties(rng: np.random.Generator) -> pd.DataFrame:
    """County frame: ids, province, region, poverty status, normal scores within cells."""
    rows = []
    for prov, region, n_pov, n_other in PROVINCES:
        status = np.r_[np.ones(n_pov, dtype=np.int64), np.zeros(n_other, dtype=np.int64)]
        rows.append(
            pd.DataFrame(
                {"province": prov, "region": region, "poverty_county": rng.permutation(status)}
            )
        )
    c = pd.concat(rows, ignore_index=True)
    c.insert(0, "county_id", np.arange(1, len(c) + 1))
    c["inland"] = (c["region"] != "east").astype(np.int64)
    c["score"] = np.nan
    for (_, _), idx in c.groupby(["poverty_county", "region"]).groups.items():
        n = len(idx)
        scores = special.ndtri((np.arange(1, n + 1) - 0.5) / n)
        c.loc[idx, "score"] = rng.permutation(scores)
    return c


def _cell(c: pd.DataFrame, table: dict) -> np.ndarray:
    keys = zip(c["poverty_county"].to_numpy(), c["region"].to_numpy(), strict=True)
    return np.array([table[(int(p), r)] for p, r in keys], dtype=float)


def _top_quarter_share(rank_by: np.ndarray, value: np.ndarray) -> float:
    """Share of ``value`` held by the top quarter of units ranked by ``rank_by`` (descending)."""
    k = len(rank_by) // 4
    order = np.argsort(-rank_by, kind="stable")
    return float(value[order[:k]].sum() / value.sum())


def _gini(x: np.ndarray) -> float:
    x = np.sort(np.asarray(x, dtype=float))
    n = len(x)
    return float(2 * np.sum(np.arange(1, n + 1) * x) / (n * x.sum()) - (n + 1) / n)


def _panel(rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, Any]]:
    c = _counties(rng)
    n = len(c)
    pov = c["poverty_county"].to_numpy() == 1
    q = c["score"].to_numpy()
    P = DGP["population"]
    log_pop = _cell(c, P["log_median"]) + P["sd_log"] * (
        P["corr_score"] * q + np.sqrt(1 - P["corr_score"] ** 2) * rng.normal(size=n)
    )
    g_pop = rng.normal(P["growth_mean"], P["growth_sd"], n)
    S = DGP["sales"]
    s = _cell(c, S["b"]) + np.where(pov, S["sigma"][1], S["sigma"][0]) * q
    T = DGP["stores"]
    nu = rng.normal(0, T["sd_county"], n)
    K = DGP["packages"]
    pi = rng.normal(0, K["sd_county"], n)
    U = DGP["purchases"]
    omega = rng.normal(0, U["sd_county"], n)
    # year levels: expected poverty aggregates (given the county terms) = the published path
    sales_path = _geometric_path(8_400.0, 29_000.0)  # RMB million
    purch_path = _geometric_path(67_500.0, 205_200.0)
    store_path = {t: T["poverty_total_2013"] * T["growth_poverty"] ** (t - 2013) for t in YEARS}
    base_sales = np.log(np.exp(s[pov]).sum())
    base_stores = np.log(np.exp(T["theta"] * s[pov] + nu[pov]).sum())
    purch_county = log_pop + _cell(c, U["beta"]) + U["gamma"] * s + omega
    base_purch = np.log(np.exp(purch_county[pov]).sum())

    def noise(sd: float) -> np.ndarray:
        return rng.normal(-(sd**2) / 2, sd, n)

    frames = []
    for t in YEARS:
        dt = t - YEARS[0]
        # poverty counties follow the published path; the others grow at their own rate
        c_t = np.log(sales_path[t]) - base_sales
        c_t = np.where(pov, c_t, c_t - np.log(sales_path[t] / sales_path[YEARS[0]]))
        c_t = np.where(pov, c_t, c_t + dt * np.log(S["growth_nonpoverty"]))
        sales = np.exp(c_t + s + noise(S["sd_year"]))
        k_t = np.log(store_path[t]) - base_stores
        k_t = np.where(pov, k_t, k_t - dt * np.log(T["growth_poverty"] / T["growth_nonpoverty"]))
        stores = np.maximum(1, np.round(np.exp(k_t + T["theta"] * s + nu + noise(T["sd_year"]))))
        packages = np.round(sales * 1e6 / K["rmb_per_package"] * np.exp(pi + noise(K["sd_year"])))
        d_t = np.log(purch_path[t]) - base_purch
        d_t = np.where(pov, d_t, d_t - np.log(purch_path[t] / purch_path[YEARS[0]]))
        d_t = np.where(pov, d_t, d_t + dt * np.log(U["growth_nonpoverty"]))
        purchases = np.exp(d_t + purch_county + noise(U["sd_year"]))
        frames.append(
            c.assign(
                year=t,
                population=np.round(np.exp(log_pop + g_pop * dt)).astype(np.int64),
                online_sales=np.round(sales, 4),
                online_stores=stores.astype(np.int64),
                packages_sent=packages.astype(np.int64),
                online_purchases=np.round(purchases, 4),
            )
        )
    data = (
        pd.concat(frames, ignore_index=True)
        .sort_values(["county_id", "year"], kind="stable")
        .reset_index(drop=True)[list(COUNTY_PANEL_COLUMNS)]
    )
    levels = {
        "poverty_sales_path_rmb_million": sales_path,
        "poverty_purchases_path_rmb_million": purch_path,
        "poverty_stores_path": store_path,
    }
    return data, levels


def _realised(data: pd.DataFrame) -> dict[str, Any]:
    """Exact finite-population values on the generated panel (a census)."""
    pov = data[data["poverty_county"] == 1]
    tot = pov.groupby("county_id")[
        ["population", "online_sales", "online_stores", "packages_sent", "online_purchases"]
    ].sum()
    region = pov.groupby("county_id")["region"].first().loc[tot.index]
    ce = (region != "west").to_numpy()
    sales = tot["online_sales"].to_numpy()
    by_year = data.groupby(["poverty_county", "year"])[["online_sales", "online_purchases"]].sum()
    national = data.groupby("year")[["online_sales", "online_purchases"]].sum()
    return {
        "realised_top_quarter_sales_share": _top_quarter_share(sales, sales),
        "realised_top_quarter_packages_share": _top_quarter_share(
            sales, tot["packages_sent"].to_numpy()
        ),
        "realised_top_quarter_stores_share": _top_quarter_share(
            sales, tot["online_stores"].to_numpy()
        ),
        "realised_top_quarter_purchases_share": _top_quarter_share(
            tot["online_purchases"].to_numpy(), tot["online_purchases"].to_numpy()
        ),
        "realised_central_east_population_share": float(
            tot["population"].to_numpy()[ce].sum() / tot["population"].sum()
        ),
        "realised_central_east_sales_share": float(sales[ce].sum() / sales.sum()),
        "realised_gini_sales_poverty": _gini(sales),
        "realised_poverty_sales_rmb_bn": {
            int(t): float(by_year.loc[(1, t), "online_sales"] / 1000) for t in YEARS
        },
        "realised_poverty_purchases_rmb_bn": {
            int(t): float(by_year.loc[(1, t), "online_purchases"] / 1000) for t in YEARS
        },
        "realised_poverty_share_of_sales": {
            int(t): float(by_year.loc[(1, t), "online_sales"] / national.loc[t, "online_sales"])
            for t in YEARS
        },
        "realised_poverty_share_of_purchases": {
            int(t): float(
                by_year.loc[(1, t), "online_purchases"] / national.loc[t, "online_purchases"]
            )
            for t in YEARS
        },
    }


@strict_keywords
def county_panel(
    random_state: int | np.random.Generator = DEFAULT_SEED,
) -> SyntheticCountyPanel:
    """Generate the synthetic county panel (2,000 counties x 2013-2016) with its truth.

    Parameters
    ----------
    random_state : int or numpy.random.Generator, default 20190601
        Seed; the same seed gives identical data.

    Returns
    -------
    SyntheticCountyPanel
        ``data`` has 8,000 rows (one per county and year): ``county_id`` (1..2000),
        ``province`` (31), ``region`` (``"east"``, ``"central"``, ``"west"``), ``inland``
        (1 for central and west), ``poverty_county`` (1 for the 832 poverty-stricken
        counties), ``year`` (2013..2016), ``population`` (persons), ``online_sales`` (RMB
        million, sales of online sellers located in the county), ``online_stores`` (count),
        ``packages_sent`` (count) and ``online_purchases`` (RMB million, online purchases by
        the county's residents). ``truth`` keys: the published targets
        (``top_quarter_sales_share`` 0.90, ``top_quarter_packages_share`` 0.90,
        ``top_quarter_stores_share`` 0.70, ``top_quarter_purchases_share`` 0.60,
        ``central_east_population_share`` 0.46, ``central_east_sales_share`` 0.77,
        ``poverty_sales_rmb_bn`` and ``poverty_purchases_rmb_bn`` for 2013 and 2016), the
        same quantities computed exactly on ``data`` (``realised_top_quarter_sales_share``,
        ..., ``realised_poverty_sales_rmb_bn`` and ``realised_poverty_purchases_rmb_bn`` by
        year, ``realised_poverty_share_of_sales`` and ``..._of_purchases`` by year,
        ``realised_gini_sales_poverty``), ``dgp`` (all parameters; cell keys written
        ``"poverty=1,east"``), ``levels`` (the year paths), ``definitions``, ``units``,
        ``n_counties``, ``n_poverty_counties``, ``top_quarter_n``, ``years``, ``seed``.

    Notes
    -----
    See the module docstring for the data-generating process. The counties are the whole
    population (a census), so the ``realised_*`` values are the exact truth for a descriptive
    estimator on ``data``. Every table built from it is labelled with
    :data:`SYNTHETIC_COUNTY_LABEL`.
    """
    seed, rng = rng_from(random_state)
    data, levels = _panel(rng)
    data.attrs = {"welfare_label": SYNTHETIC_COUNTY_LABEL, "welfare_synthetic": True}
    n_pov = int(data.loc[data["poverty_county"] == 1, "county_id"].nunique())
    truth: dict[str, Any] = {
        "label": SYNTHETIC_COUNTY_LABEL,
        "census": (
            "all counties of the synthetic population are in data (no sampling, no weights): "
            "realised_* values are exact finite-population truths"
        ),
        **PUBLISHED,
        **_realised(data),
        "dgp": _jsonable(DGP),
        "levels": levels,
        "definitions": {
            "top_quarter": (
                "poverty counties ranked by online_sales summed over 2013-2016 (purchases: by "
                "online_purchases); the top len // 4 counties; shares of the 2013-2016 sums"
            ),
            "central_east": "region in (east, central); shares of the 2013-2016 sums",
        },
        "units": {
            "population": "persons",
            "online_sales": "RMB million (nominal)",
            "online_purchases": "RMB million (nominal)",
            "online_stores": "count",
            "packages_sent": "count",
        },
        "n_counties": int(data["county_id"].nunique()),
        "n_poverty_counties": n_pov,
        "top_quarter_n": n_pov // 4,
        "years": list(YEARS),
        "seed": seed,
    }
    return SyntheticCountyPanel(
        data=data,
        truth=freeze(truth),
        label=SYNTHETIC_COUNTY_LABEL,
        seed=seed if seed is not None else -1,
    )
