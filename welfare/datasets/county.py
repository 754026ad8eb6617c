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

The F6 columns (county characteristics and online indices, last section) are drawn after all
of the above from ``numpy.random.default_rng(rng.integers(2**63))``, so the F8 columns and
truth are the same for a given seed as before they were added.

Concentration (finding F8; the report's definitions as read here)
-----------------------------------------------------------------
Poverty counties are ranked by online sales summed over 2013-2016; the top quarter (208 of
832) is compared on sales, packages and stores, each summed over 2013-2016. For purchases the
ranking is by purchases. The central-and-eastern shares use population and sales summed over
2013-2016. Targets: 90% of sales and packages, 70% of stores, 60% of purchases; central and
eastern poverty counties 46% of the population and 77% of sales.

County characteristics and online indices (finding F6)
------------------------------------------------------
The report's claim: e-commerce (online business and online shopping) is more developed with
higher GDP per capita, a smaller secondary sector, larger household savings, a more developed
financial sector and Taobao Villages; online shopping also rises with population density and
fixed-asset investment and falls with the primary-sector share. All parameters are in
``DGP["characteristics"]`` and ``DGP["indices"]`` (``truth["dgp"]``). Below, q_i is the county
e-commerce potential score above, dt = t - 2013, u ~ N(0, 1) a county term and v ~ N(0, 1) a
county-year term, all independent; region r, province p, cell c = (poverty status, region).

* area_km2 (constant) = round(pop_i,2013 / exp(log dens_i), 1), log dens_i = log d_r +
  0.2 q_i + 0.7 u_i, d_r = 550 / 350 / 110 persons per km2 (east / central / west);
  ``pop_density_it = population_it / area_km2`` (persons per km2).
* gdp_pc (RMB per person) = round(exp(log g_c + k_p + 0.2 q_i + 0.2 u_i + gamma_i dt +
  0.03 v_it)), g_c = 28,000 / 19,000 / 17,000 for eastern / central / western poverty counties
  and 52,000 / 33,000 / 29,000 for the others (2013 medians), k_p ~ N(0, 0.15^2) by province,
  growth gamma_i ~ N(0.07, 0.015^2) a year.
* Sector shares, with x_it = log gdp_pc_it - log 30,000: primary = expit(a_pov - 0.6 x_it -
  0.04 dt + 0.35 u_i + 0.05 v_it), a_pov = logit 0.22 (poverty counties) or logit 0.13;
  secondary = (1 - primary) expit(0.3 x_it - 0.04 dt + 0.4 u_i + 0.05 v_it); both rounded to
  multiples of 2^-24 and tertiary = 1 - primary - secondary, so the three add to 1 exactly.
* savings_deposits (household savings deposits, RMB million) = 10^-6 population x
  exp(log gdp_pc + log 0.65 + 0.02 dt + 0.3 u_i + 0.03 v_it).
* loans (loans of financial institutions, RMB million) = 10^-6 gdp_pc population x
  exp(log 0.55 + 0.3 x_it + 0.03 dt + 0.3 u_i + 0.04 v_it) (loans/GDP about 0.5-0.65).
* fixed_asset_investment (RMB million) = 10^-6 population exp(log gdp_pc + log 0.75 +
  0.35 u_i + 0.08 v_it).
* taobao_villages (count): county rate lambda_i proportional to exp(l_c + 1.0 q_i + 1.6 u_i),
  l_c = 0 / -1.5 / -2.5 for eastern / central / western non-poverty counties and -1.5 / -2.5 /
  -4 for poverty counties, scaled so that the expected 2016 total is 1,311; 2016 counts are
  Poisson(lambda_i) and earlier years binomial thinnings (2015 ~ Bin(N_2016, 780/1,311), 2014 ~
  Bin(N_2015, 212/780), 2013 ~ Bin(N_2014, 20/212)), so a county's count never falls and the
  national totals follow AliResearch's 20 (2013), 212, 780, 1,311 (2016) in expectation
  (2013 and 2016 in reference/calibration.toml ``taobao_village_counts``; 2014-2015 from
  AliResearch's annual Taobao Village reports). About 80% are in eastern non-poverty counties.

The F6 regressors X_it are computed from these stored columns by
:func:`welfare.county.county_regressors` (``log_gdp_pc``, ``secondary_share``,
``primary_share``, ``log_savings_pc``, ``loans_to_gdp``, ``log_fai_pc``, ``log_pop_density``,
``taobao_village`` = 1[taobao_villages > 0]); they are not columns of the panel. The four index
components are structurally linear in them,

    y_j,it = a_j + rho_j,r + k_j,p + l_j,t + (X_it - X0)' b_j + c_j,i + e_j,it,

province terms k_j,p ~ N(0, sd_p^2), county terms c_j,i ~ N(0, sd_c^2) and idiosyncratic
e_j,it ~ N(0, sd_e^2), all drawn independently of X (X0: fixed centring constants in
``DGP["indices"]["centre"]``):

===================  ===========  ======  ======  =====  ======  ======  =====  ======  =====
component j          a_j          gdp     second  prim   saving  loans   fai    dens    TV
===================  ===========  ======  ======  =====  ======  ======  =====  ======  =====
1 log sellers/10k    log 30        0.55   -1.4    0      0.3     0.35    0      0       0.55
2 logit large sell.  logit 0.10    0.3    -1.0    0      0.2     0.3     0      0       0.4
3 log buyers/10k     log 900       0.18   -0.25   -0.4   0.1     0.1     0.06   0.05    0.08
4 logit large buy.   logit 0.15    0.25   -0.4    -0.6   0.3     0.15    0.10   0.06    0.10
===================  ===========  ======  ======  =====  ======  ======  =====  ======  =====

with year terms l_j,t = (0, 0.25, 0.5, 0.7), (0, 0.05, 0.10, 0.15), (0, 0.15, 0.30, 0.42),
(0, 0.05, 0.10, 0.15); region terms rho_j,r (east, central, west) = (0.2, 0, -0.15),
(0.1, 0, -0.1), (0.05, 0, -0.05), (0.1, 0, -0.1); (sd_p, sd_c, sd_e) = (0.15, 0.3, 0.08),
(0.1, 0.35, 0.10), (0.05, 0.1, 0.03), (0.1, 0.2, 0.06). Then online_sellers = max(1,
round(10^-4 population exp(y_1))), online_buyers = round(10^-4 population exp(y_3)),
large_seller_share = expit(y_2), large_buyer_share = expit(y_4). ``online_sellers`` is the
count of active online seller accounts located in the county (the index's seller count); it is
a different measure from ``online_stores`` above (the store count of the poverty-county
statistics used by F8) and is not calibrated to it.

``obi``, ``osi`` and ``edi`` are computed by :func:`welfare.county.online_indices` (reference
year 2013): z_j = (y_j - m_j) / s_j with the reference-year mean m_j and sd s_j (ddof = 1),
OBI = 50 + 10 (z_1 + z_2) / 2, OSI = 50 + 10 (z_3 + z_4) / 2, EDI = (OBI + OSI) / 2. Because
province and year terms are absorbed and c, e are independent of X, the coefficient of OBI on
X_it in the regression with province and year fixed effects is exactly

    beta_OBI = 10/2 (b_1 / s_1 + b_2 / s_2),   beta_OSI = 10/2 (b_3 / s_3 + b_4 / s_4),

beta_EDI = (beta_OBI + beta_OSI) / 2, with the realised s_j (``truth["f6_beta"]``; the only
departure from exactness is the rounding of the seller and buyer counts to integers: an error
of at most 0.5 / count in the log, under 2% at the smallest seller counts (27 to 54 on seeds
0-3 and the default), mean zero and unrelated to X). The coefficients are zero for OBI on
primary share, investment and density; every other claimed sign holds and is significant at 1%
with county-clustered standard errors on the default seed (|t| > 7). Over seeds 0-39 the
95% intervals of :func:`welfare.county.county_determinants` cover the truth 96.7% of the time
(640 intervals; ``tests/test_county_determinants.py``, slow).
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
    "F6_COLUMNS",
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

_F8_COLUMNS = (
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
# finding F6 (county characteristics and online indices), appended after the F8 columns
F6_COLUMNS = (
    "area_km2",
    "pop_density",
    "gdp_pc",
    "primary_share",
    "secondary_share",
    "tertiary_share",
    "savings_deposits",
    "loans",
    "fixed_asset_investment",
    "taobao_villages",
    "online_sellers",
    "online_buyers",
    "large_seller_share",
    "large_buyer_share",
    "obi",
    "osi",
    "edi",
)
COUNTY_PANEL_COLUMNS = _F8_COLUMNS + F6_COLUMNS

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
    # ---- finding F6: county characteristics (drawn after all the draws above)
    "characteristics": {
        "density": {
            "log_median": {"east": np.log(550.0), "central": np.log(350.0), "west": np.log(110.0)},
            "score_loading": 0.2,
            "sd_county": 0.7,
        },
        "gdp_pc": {
            "log_median_2013": {
                (1, "east"): np.log(28_000.0),
                (1, "central"): np.log(19_000.0),
                (1, "west"): np.log(17_000.0),
                (0, "east"): np.log(52_000.0),
                (0, "central"): np.log(33_000.0),
                (0, "west"): np.log(29_000.0),
            },
            "sd_province": 0.15,
            "score_loading": 0.2,
            "sd_county": 0.2,
            "growth_mean": 0.07,
            "growth_sd": 0.015,
            "sd_year": 0.03,
        },
        "primary_share": {
            "logit_median": {1: float(special.logit(0.22)), 0: float(special.logit(0.13))},
            "gdp_loading": -0.6,
            "gdp_centre": np.log(30_000.0),
            "trend": -0.04,
            "sd_county": 0.35,
            "sd_year": 0.05,
        },
        "secondary_share": {
            "logit_median_of_nonprimary": 0.0,
            "gdp_loading": 0.3,
            "trend": -0.04,
            "sd_county": 0.4,
            "sd_year": 0.05,
        },
        "share_grid": 2.0**-24,
        "savings": {"ratio_to_gdp": 0.65, "trend": 0.02, "sd_county": 0.3, "sd_year": 0.03},
        "loans": {
            "ratio_median": 0.55,
            "gdp_loading": 0.3,
            "trend": 0.03,
            "sd_county": 0.3,
            "sd_year": 0.04,
        },
        "fixed_asset_investment": {"ratio_to_gdp": 0.75, "sd_county": 0.35, "sd_year": 0.08},
        "taobao_villages": {
            "national": {2013: 20, 2014: 212, 2015: 780, 2016: 1311},
            "log_rate": {
                (1, "east"): -1.5,
                (1, "central"): -2.5,
                (1, "west"): -4.0,
                (0, "east"): 0.0,
                (0, "central"): -1.5,
                (0, "west"): -2.5,
            },
            "score_loading": 1.0,
            "sd_county": 1.6,
        },
    },
    # ---- finding F6: index components, structurally linear in the regressors
    "indices": {
        "reference_year": 2013,
        "regressors": [
            "log_gdp_pc",
            "secondary_share",
            "primary_share",
            "log_savings_pc",
            "loans_to_gdp",
            "log_fai_pc",
            "log_pop_density",
            "taobao_village",
        ],
        "centre": {
            "log_gdp_pc": np.log(30_000.0),
            "secondary_share": 0.45,
            "primary_share": 0.15,
            "log_savings_pc": np.log(20_000.0),
            "loans_to_gdp": 0.6,
            "log_fai_pc": np.log(22_000.0),
            "log_pop_density": np.log(250.0),
            "taobao_village": 0.0,
        },
        "components": {
            "sellers": {
                "intercept": np.log(30.0),
                "b": {
                    "log_gdp_pc": 0.55,
                    "secondary_share": -1.4,
                    "primary_share": 0.0,
                    "log_savings_pc": 0.3,
                    "loans_to_gdp": 0.35,
                    "log_fai_pc": 0.0,
                    "log_pop_density": 0.0,
                    "taobao_village": 0.55,
                },
                "year": {2013: 0.0, 2014: 0.25, 2015: 0.5, 2016: 0.7},
                "region": {"east": 0.2, "central": 0.0, "west": -0.15},
                "sd_province": 0.15,
                "sd_county": 0.3,
                "sd_idiosyncratic": 0.08,
            },
            "large_seller_share": {
                "intercept": float(special.logit(0.10)),
                "b": {
                    "log_gdp_pc": 0.3,
                    "secondary_share": -1.0,
                    "primary_share": 0.0,
                    "log_savings_pc": 0.2,
                    "loans_to_gdp": 0.3,
                    "log_fai_pc": 0.0,
                    "log_pop_density": 0.0,
                    "taobao_village": 0.4,
                },
                "year": {2013: 0.0, 2014: 0.05, 2015: 0.10, 2016: 0.15},
                "region": {"east": 0.1, "central": 0.0, "west": -0.1},
                "sd_province": 0.1,
                "sd_county": 0.35,
                "sd_idiosyncratic": 0.10,
            },
            "buyers": {
                "intercept": np.log(900.0),
                "b": {
                    "log_gdp_pc": 0.18,
                    "secondary_share": -0.25,
                    "primary_share": -0.4,
                    "log_savings_pc": 0.1,
                    "loans_to_gdp": 0.1,
                    "log_fai_pc": 0.06,
                    "log_pop_density": 0.05,
                    "taobao_village": 0.08,
                },
                "year": {2013: 0.0, 2014: 0.15, 2015: 0.30, 2016: 0.42},
                "region": {"east": 0.05, "central": 0.0, "west": -0.05},
                "sd_province": 0.05,
                "sd_county": 0.1,
                "sd_idiosyncratic": 0.03,
            },
            "large_buyer_share": {
                "intercept": float(special.logit(0.15)),
                "b": {
                    "log_gdp_pc": 0.25,
                    "secondary_share": -0.4,
                    "primary_share": -0.6,
                    "log_savings_pc": 0.3,
                    "loans_to_gdp": 0.15,
                    "log_fai_pc": 0.10,
                    "log_pop_density": 0.06,
                    "taobao_village": 0.10,
                },
                "year": {2013: 0.0, 2014: 0.05, 2015: 0.10, 2016: 0.15},
                "region": {"east": 0.1, "central": 0.0, "west": -0.1},
                "sd_province": 0.1,
                "sd_county": 0.2,
                "sd_idiosyncratic": 0.06,
            },
        },
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
        .reset_index(drop=True)[list(_F8_COLUMNS)]
    )
    levels = {
        "poverty_sales_path_rmb_million": sales_path,
        "poverty_purchases_path_rmb_million": purch_path,
        "poverty_stores_path": store_path,
    }
    # finding F6: every further draw comes from a generator seeded after all the draws above,
    # so the F8 columns and truth are unchanged for a given seed
    rng_f6 = np.random.default_rng(rng.integers(2**63))
    data, f6 = _f6_block(data, c, rng_f6)
    return data, levels, f6


def _f6_block(
    data: pd.DataFrame, c: pd.DataFrame, rng: np.random.Generator
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """County characteristics, Taobao Villages, index components and indices (finding F6).

    ``data`` is the F8 panel sorted by county and year (so reshaping a column to (n, 4) gives
    counties by years); ``c`` the county frame in county_id order. Draw order: density,
    GDP per capita (province, county, growth, year), primary share, secondary share, savings,
    loans, investment (county then year each), Taobao Villages (county term, 2016 Poisson
    counts, thinning to 2015, 2014, 2013), then per index component (sellers, large-seller
    share, buyers, large-buyer share): province, county and idiosyncratic terms.
    """
    # imported here: welfare.county -> welfare.inference -> welfare.datasets would be circular
    from welfare.county.determinants import county_regressors, index_reference, online_indices

    C = DGP["characteristics"]
    n, n_t = len(c), len(YEARS)
    dt = np.arange(n_t, dtype=float)[None, :]
    q = c["score"].to_numpy()[:, None]
    region = c["region"].to_numpy()
    prov_names = [p[0] for p in PROVINCES]
    prov = pd.Categorical(c["province"], categories=prov_names).codes
    pov = c["poverty_county"].to_numpy()
    pop = data["population"].to_numpy(dtype=float).reshape(n, n_t)

    def year_noise(sd: float) -> np.ndarray:
        return rng.normal(0.0, sd, (n, n_t))

    # density and area (area constant; density moves with population)
    D = C["density"]
    log_dens = (
        np.array([D["log_median"][r] for r in region])
        + D["score_loading"] * q[:, 0]
        + D["sd_county"] * rng.normal(size=n)
    )
    area = np.round(pop[:, 0] / np.exp(log_dens), 1)
    # GDP per capita
    G = C["gdp_pc"]
    prov_gdp = rng.normal(0.0, G["sd_province"], len(prov_names))
    county_gdp = G["sd_county"] * rng.normal(size=n)
    growth = rng.normal(G["growth_mean"], G["growth_sd"], n)
    log_gdp = (
        _cell(c, G["log_median_2013"])[:, None]
        + prov_gdp[prov][:, None]
        + G["score_loading"] * q
        + county_gdp[:, None]
        + growth[:, None] * dt
        + year_noise(G["sd_year"])
    )
    gdp_pc = np.round(np.exp(log_gdp))
    gdp_dev = np.log(gdp_pc) - C["primary_share"]["gdp_centre"]
    # sector shares on a 2^-24 grid: primary + secondary + tertiary == 1 exactly
    Pr, Se, grid = C["primary_share"], C["secondary_share"], C["share_grid"]
    lp = (
        np.array([Pr["logit_median"][int(v)] for v in pov])[:, None]
        + Pr["gdp_loading"] * gdp_dev
        + Pr["trend"] * dt
        + Pr["sd_county"] * rng.normal(size=n)[:, None]
        + year_noise(Pr["sd_year"])
    )
    ls = (
        Se["logit_median_of_nonprimary"]
        + Se["gdp_loading"] * gdp_dev
        + Se["trend"] * dt
        + Se["sd_county"] * rng.normal(size=n)[:, None]
        + year_noise(Se["sd_year"])
    )
    primary = np.round(special.expit(lp) / grid) * grid
    secondary = np.round((1 - primary) * special.expit(ls) / grid) * grid
    tertiary = 1.0 - primary - secondary
    # savings, loans, fixed-asset investment (RMB million)
    Sv, Ln, Fa = C["savings"], C["loans"], C["fixed_asset_investment"]
    log_sav_pc = (
        np.log(gdp_pc)
        + np.log(Sv["ratio_to_gdp"])
        + Sv["trend"] * dt
        + Sv["sd_county"] * rng.normal(size=n)[:, None]
        + year_noise(Sv["sd_year"])
    )
    savings = np.round(np.exp(log_sav_pc) * pop / 1e6, 4)
    log_ratio = (
        np.log(Ln["ratio_median"])
        + Ln["gdp_loading"] * gdp_dev
        + Ln["trend"] * dt
        + Ln["sd_county"] * rng.normal(size=n)[:, None]
        + year_noise(Ln["sd_year"])
    )
    loans = np.round(np.exp(log_ratio) * gdp_pc * pop / 1e6, 4)
    log_fai_pc = (
        np.log(gdp_pc)
        + np.log(Fa["ratio_to_gdp"])
        + Fa["sd_county"] * rng.normal(size=n)[:, None]
        + year_noise(Fa["sd_year"])
    )
    fai = np.round(np.exp(log_fai_pc) * pop / 1e6, 4)
    # Taobao Villages: 2016 Poisson counts, thinned backwards (counts never fall)
    TV = C["taobao_villages"]
    eta = (
        _cell(c, TV["log_rate"])
        + TV["score_loading"] * q[:, 0]
        + TV["sd_county"] * rng.normal(size=n)
    )
    nat = TV["national"]
    lam = np.exp(eta) * nat[YEARS[-1]] / np.exp(eta).sum()
    tv = np.zeros((n, n_t), dtype=np.int64)
    tv[:, -1] = rng.poisson(lam)
    for j in range(n_t - 2, -1, -1):
        tv[:, j] = rng.binomial(tv[:, j + 1], nat[YEARS[j]] / nat[YEARS[j + 1]])
    out = data.assign(
        area_km2=np.repeat(area, n_t),
        pop_density=np.round(pop / area[:, None], 4).ravel(),
        gdp_pc=gdp_pc.ravel(),
        primary_share=primary.ravel(),
        secondary_share=secondary.ravel(),
        tertiary_share=tertiary.ravel(),
        savings_deposits=savings.ravel(),
        loans=loans.ravel(),
        fixed_asset_investment=fai.ravel(),
        taobao_villages=tv.ravel(),
    )
    # index components, linear in the regressors computed from the stored columns
    Ix = DGP["indices"]
    X = county_regressors(out)[Ix["regressors"]].to_numpy(dtype=float)
    Xc = X - np.array([Ix["centre"][r] for r in Ix["regressors"]])
    year_idx = np.tile(np.arange(n_t), n)
    region_rows = np.repeat(region, n_t)
    prov_rows = np.repeat(prov, n_t)
    comp = {}
    for name, P in Ix["components"].items():
        k_p = rng.normal(0.0, P["sd_province"], len(prov_names))
        c_i = rng.normal(0.0, P["sd_county"], n)
        e_it = rng.normal(0.0, P["sd_idiosyncratic"], n * n_t)
        comp[name] = (
            P["intercept"]
            + np.array([P["region"][r] for r in region_rows])
            + k_p[prov_rows]
            + np.array([P["year"][t] for t in YEARS])[year_idx]
            + Xc @ np.array([P["b"][r] for r in Ix["regressors"]])
            + np.repeat(c_i, n_t)
            + e_it
        )
    pop_rows = pop.ravel()
    out["online_sellers"] = np.maximum(
        1, np.round(np.exp(comp["sellers"]) * pop_rows / 1e4)
    ).astype(np.int64)
    out["online_buyers"] = np.round(np.exp(comp["buyers"]) * pop_rows / 1e4).astype(np.int64)
    out["large_seller_share"] = special.expit(comp["large_seller_share"])
    out["large_buyer_share"] = special.expit(comp["large_buyer_share"])
    idx = online_indices(out, reference_year=Ix["reference_year"])
    out = pd.concat([out, idx], axis=1)[list(COUNTY_PANEL_COLUMNS)]
    ref = index_reference(out, reference_year=Ix["reference_year"])
    return out, _f6_truth(out, ref)


def _f6_truth(data: pd.DataFrame, ref: pd.DataFrame) -> dict[str, Any]:
    """Return the exact F6 coefficients beta = 5 (b_1/s_1 + b_2/s_2) with the realised reference sds."""
    Ix = DGP["indices"]
    b = {k: v["b"] for k, v in Ix["components"].items()}
    s = ref["sd"]
    beta = {
        "obi": {
            r: 5.0
            * (
                b["sellers"][r] / s["sellers"]
                + b["large_seller_share"][r] / s["large_seller_share"]
            )
            for r in Ix["regressors"]
        },
        "osi": {
            r: 5.0
            * (b["buyers"][r] / s["buyers"] + b["large_buyer_share"][r] / s["large_buyer_share"])
            for r in Ix["regressors"]
        },
    }
    beta["edi"] = {r: (beta["obi"][r] + beta["osi"][r]) / 2 for r in Ix["regressors"]}
    signs = {k: {r: int(np.sign(v)) for r, v in d.items()} for k, d in beta.items()}
    tv = data.groupby("year")["taobao_villages"].sum()
    has = data.assign(_has=data["taobao_villages"] > 0).groupby("year")["_has"].sum()
    east_np = (data["region"] == "east") & (data["poverty_county"] == 0)
    return {
        "f6_regressors": list(Ix["regressors"]),
        "f6_beta": {k: {r: float(v) for r, v in d.items()} for k, d in beta.items()},
        "f6_signs": signs,
        "f6_reference": {
            comp: {"mean": float(ref.loc[comp, "mean"]), "sd": float(ref.loc[comp, "sd"])}
            for comp in ref.index
        },
        "realised_taobao_villages": {int(t): int(v) for t, v in tv.items()},
        "realised_counties_with_taobao_villages": {int(t): int(v) for t, v in has.items()},
        "realised_taobao_villages_east_nonpoverty_share": float(
            data.loc[east_np & (data["year"] == YEARS[-1]), "taobao_villages"].sum()
            / tv.loc[YEARS[-1]]
        ),
    }


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

        Finding F6 columns (appended; see the module docstring, "County characteristics and
        online indices"): ``area_km2`` (km2, constant), ``pop_density`` (persons per km2),
        ``gdp_pc`` (RMB per person), ``primary_share``, ``secondary_share``,
        ``tertiary_share`` (of GDP; add to 1 exactly), ``savings_deposits`` (household
        deposits, RMB million), ``loans`` (RMB million), ``fixed_asset_investment`` (RMB
        million), ``taobao_villages`` (count), ``online_sellers`` (active online seller
        accounts, count; not the F8 ``online_stores``), ``online_buyers`` (residents who
        bought online, count), ``large_seller_share`` and ``large_buyer_share`` (in (0, 1)),
        ``obi``, ``osi``, ``edi`` (index points, :func:`welfare.county.online_indices`).
        F6 truth keys: ``f6_beta`` (``[index][regressor]``, the exact coefficients of
        ``obi``/``osi``/``edi`` on the regressors of :func:`welfare.county.county_regressors`
        with province and year fixed effects), ``f6_signs`` (their signs, -1/0/1),
        ``f6_regressors``, ``f6_reference`` (m_j, s_j of the four components),
        ``realised_taobao_villages`` and ``realised_counties_with_taobao_villages`` by year,
        ``realised_taobao_villages_east_nonpoverty_share`` (2016).

    Notes
    -----
    See the module docstring for the data-generating process. The counties are the whole
    population (a census), so the ``realised_*`` values are the exact truth for a descriptive
    estimator on ``data``. Every table built from it is labelled with
    :data:`SYNTHETIC_COUNTY_LABEL`.
    """
    seed, rng = rng_from(random_state)
    data, levels, f6 = _panel(rng)
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
        **f6,
        "dgp": _jsonable(DGP),
        "levels": levels,
        "definitions": {
            "top_quarter": (
                "poverty counties ranked by online_sales summed over 2013-2016 (purchases: by "
                "online_purchases); the top len // 4 counties; shares of the 2013-2016 sums"
            ),
            "central_east": "region in (east, central); shares of the 2013-2016 sums",
            "f6_beta": (
                "coefficients of obi/osi/edi on the F6 regressors (welfare.county."
                "county_regressors) with province and year fixed effects: 5 (b_1/s_1 + b_2/s_2) "
                "for obi, 5 (b_3/s_3 + b_4/s_4) for osi, their mean for edi"
            ),
        },
        "units": {
            "population": "persons",
            "online_sales": "RMB million (nominal)",
            "online_purchases": "RMB million (nominal)",
            "online_stores": "count",
            "packages_sent": "count",
            "area_km2": "km2",
            "pop_density": "persons per km2",
            "gdp_pc": "RMB per person (nominal)",
            "primary_share": "share of GDP",
            "secondary_share": "share of GDP",
            "tertiary_share": "share of GDP",
            "savings_deposits": "RMB million (household savings deposits)",
            "loans": "RMB million (loans of financial institutions)",
            "fixed_asset_investment": "RMB million",
            "taobao_villages": "count",
            "online_sellers": "count of active online seller accounts",
            "online_buyers": "count of residents who bought online",
            "large_seller_share": "share of sellers above the size threshold",
            "large_buyer_share": "share of buyers above the spending threshold",
            "obi": "index points (reference-year county mean 50)",
            "osi": "index points (reference-year county mean 50)",
            "edi": "index points, (obi + osi) / 2",
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
