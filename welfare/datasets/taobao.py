"""Synthetic twin of the Taobao Village Survey (2018 fieldwork, 2017 incomes).

SYNTHETIC DATA. The real survey microdata are not public; this generator reproduces the
published structure and calibration targets (80 villages in 8 provinces, about 1,400 sampled
households, an analysis sample of 1,073 with 453 e-households, e-households over-sampled, a raw
per-capita income gap of about +80%) from a documented data-generating process whose true
parameters are returned with the data. It demonstrates the pipeline and lets tests measure bias
and coverage; it is not evidence about China.

Data-generating process (one finite population, then a stratified two-stage sample)
----------------------------------------------------------------------------------
Villages v = 1..80, 10 per province, 2 per county; village factor z_v ~ N(0, 1).

Households in village v (M_v ~ U{250..900}):

* head_age ~ N(46, 11) rounded, clipped to [20, 80]; head_female ~ Bernoulli(0.12).
* head_edu from a latent e = -0.35 (age - 46)/10 + N(0, 1), cut at its population quantiles
  0.30, 0.70, 0.92 into primary or less / lower secondary / upper level / tertiary; the upper
  level splits into upper secondary (55%) and vocational (45%).
* head_urban_work ~ Bernoulli(logistic(-0.5 - 0.35 (age-46)/10 + 0.3 [edu >= lower secondary])).
* head_ecom_knowledge ~ Bernoulli(logistic(-0.7 - 0.45 (age-46)/10 + 0.35 edu_rank + 0.5 urban)).
* hh_size = 1 + Poisson(2.6) (<= 9); hh_labour ~ Binomial(hh_size, 0.6); land_mu ~ LogN(0.8, 0.7).

Participation (selection on observables and village effects; probit):

    D* = alpha_v + x'beta + eps,  eps ~ N(0, 1),  alpha_v = a0 + sigma_a z_v,  D = 1[D* > 0]

with x = ((age-46)/10, female, edu dummies, urban, knowledge) and ``beta`` in
``truth.participation_beta``. Because alpha_v is normal and independent of x, the pooled probit
without village effects is correctly specified with coefficients beta / sqrt(1 + sigma_a^2)
(``truth.participation_beta_marginal``).

Log per-capita income (RMB per person per year):

    log y = c0 + mu_v + x'gamma + 0.05 log(land) + 0.3 labour/size + tau_i D + u,
    u ~ N(0, sigma_u^2),   mu_v = sigma_mu (rho z_v + sqrt(1 - rho^2) eta_v),
    tau_i = tau0 + tau_know know_i + tau_urban urban_i + tau_age (age_i - 46)/10.

So the causal effect varies with observed characteristics (ATE != ATT), participation and
income share observed determinants and the village factor z_v (the raw gap exceeds the causal
effect), and a regression with village fixed effects and the covariates interacted with D
recovers the ATE. ``confounding`` (default 0) adds an unobserved household factor to both
equations (for sensitivity-analysis demonstrations); with it the truth is no longer identified.

Income sources: e-commerce share ~ Beta(5, 3) for e-households (0 otherwise), the rest split
into wages, farming and transfers by Dirichlet(6, 3, 1); sources add up to the total.
Consumption: log c = 2.2 + 0.75 log y + N(0, 0.3^2).

Sample: within each village, e-households and others are sampled separately (stratified by
e-shop ownership; e-households over-sampled), 591 and 809 households in all; design weight
w = (2,118 / 80) M_vh / n_vh. 327 sampled households (138 e-households, 189 others; missing
completely at random within the groups) have an item missing (income, education, urban work or
e-commerce knowledge), so the complete-case analysis sample has 1,073 households, 453 of them
e-households, as in the report.

E-shop workers module (finding F4)
----------------------------------
Drawn after every household draw, from a generator seeded by the household generator's last
draw, so the household data, their truth and the population are the same with or without it.

Every e-household of the finite population hires employees with probability
h_i = logistic(-0.65 + 0.8 (log y_i - 9.9)) (y_i its per-capita income; about 35%, so nearly two
thirds of the e-shops have no employees, as published), and then n_i = 1 + Poisson(0.9) workers
(almost all employers have fewer than five). For each worker:

* worker_female ~ Bernoulli(0.55);
* worker_age = 18 + round(Gamma(shape 2, scale 5)), capped at 60 (mean about 28, mode in the
  early twenties);
* months_worked = 12 with probability 0.85, otherwise uniform on 6..11 (seasonal help);
* full-year log wage (RMB 2017, nominal)

      log w = w0 + omega_v + 0.10 east + (-0.06) female + 0.02 (age - 18)
              - 0.0005 (age - 18)^2 + e,                       e ~ N(0, 0.30^2),
      omega_v = 0.12 (0.5 mu_v / sigma_mu + sqrt(0.75) xi_v),   xi_v ~ N(0, 1),

  (east: Zhejiang, Jiangsu, Guangdong, Fujian, Shandong, Hebei; 0.10 is about
  log(50,592 / 45,761), the NBS east/national ratio) and annual_wage = round(w months / 12),
  in whole RMB. w0 = 10.60 puts the population mean annual wage near RMB 49,000 (eastern
  provinces about 50,000), a little above the NBS 2017 average annual wage of urban private-unit
  employees (RMB 45,761; eastern region 50,592); the sd of the log annual wage is about 0.36.
  The population has about 8,000 workers; the sample about 390 workers of about 210 employers.

Sample: every worker of every sampled e-household is interviewed; a worker carries the
employer's design weight (pweights, PSU ``village_id``), so the weighted mean wage estimates the
population mean wage of e-shop workers (``truth.worker_wage_mean``).

Inclusion module (finding F7)
-----------------------------
Drawn after the workers module, from its own generator seeded by one more draw of the household
generator (made after the workers seed draw), so households, workers and their truth are the
same with or without it. It is generated for every household of the finite POPULATION (the
truth keys ``inclusion_*`` are exact population shares); the sampled households' rows form
``inclusion`` (linked to ``data`` by ``hh_id``; ``village_id, weight, e_household`` copied;
pweights, PSU ``village_id``).

* E-shop owner/operator (e-households only; missing for the others): often not the head but,
  e.g., a grown child. Young (20-29) with probability
  logistic(1.5 + 0.5 (head_age - 46)/10) (e-household heads are younger than average, so
  about three quarters of the operators are young); the age of a young operator is 20 + U{0..9},
  of the others 30 + round(Gamma(shape 2, scale 6)), capped at 70 (``owner_age``, years).
  ``owner_female`` ~ Bernoulli(logistic(0.3 xi_v + 0.2 (young - 0.75))), xi_v ~ N(0, 1) a village
  factor: about half of the operators are women (report: "about half of the entrepreneurs on
  Alibaba platforms are women"; three quarters of rural e-tailers are 20-29).
* Perceived social status (every household), two ordered questions with levels
  ``much lower < lower < same < higher < much higher`` (:data:`STATUS_LEVELS`):
  ``status_change_5y`` (now compared with five years ago) and ``status_expect_2y`` (in two
  years compared with now). Ordered probit latent variables

      s*_q = theta_q e_household + g_q1 (head_age - 46)/10 + g_q2 (log income_pc - 9.5) + u_q,
      (u_5y, u_2y) ~ N(0, [[1, 0.5], [0.5, 1]]),   category j if c_q,j-1 < s*_q <= c_q,j,

  with theta, g and the cutpoints c_q,1..c_q,4 in :data:`INCLUSION` (``truth.inclusion_theta``,
  ``inclusion_gamma``, ``inclusion_cutpoints``). Both regressors are never missing in the
  population (``income_pc`` is the population value); in the sample ``income_pc`` has item
  non-response (missing completely at random), so an ordered probit on the sample drops those
  rows, counted by reason in its estimation sample. About 85% of households (over 90% of
  e-households) report "same" or higher on each question.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from welfare._options import strict_keywords
from welfare.data.design import SurveyDesign
from welfare.data.readers import SurveyData
from welfare.data.schema import EDUCATION_LEVELS
from welfare.data.validate import validate_survey
from welfare.datasets._common import freeze as _freeze
from welfare.datasets._common import rng_from

__all__ = [
    "taobao_village_survey",
    "SyntheticSurvey",
    "SYNTHETIC_LABEL",
    "SYNTHETIC_WORKER_LABEL",
    "SYNTHETIC_INCLUSION_LABEL",
    "STATUS_LEVELS",
    "DEFAULT_SEED",
]

SYNTHETIC_LABEL = "SYNTHETIC twin of the Taobao Village Survey (welfare.datasets, not real data)"
SYNTHETIC_WORKER_LABEL = (
    "SYNTHETIC twin of the Taobao Village Survey, e-shop workers module "
    "(welfare.datasets, not real data)"
)
SYNTHETIC_INCLUSION_LABEL = (
    "SYNTHETIC twin of the Taobao Village Survey, inclusion module "
    "(welfare.datasets, not real data)"
)
DEFAULT_SEED = 20190601

PROVINCES = (
    "Zhejiang",
    "Jiangsu",
    "Guangdong",
    "Fujian",
    "Shandong",
    "Hebei",
    "Henan",
    "Jiangxi",
)

# ---------------------------------------------------------------- true parameters
A0 = -1.5
SIGMA_A = 0.3
BETA = {
    "age10": -0.30,
    "head_female": -0.05,
    "lower secondary": 0.15,
    "upper secondary": 0.30,
    "vocational": 0.55,
    "tertiary": 0.40,
    "head_urban_work": 0.35,
    "head_ecom_knowledge": 0.70,
}
C0 = 9.05
SIGMA_MU = 0.30
RHO = 0.6
SIGMA_U = 0.55
GAMMA = {
    "age10": -0.02,
    "head_female": -0.05,
    "lower secondary": 0.10,
    "upper secondary": 0.20,
    "vocational": 0.22,
    "tertiary": 0.40,
    "head_urban_work": 0.12,
    "head_ecom_knowledge": 0.05,
}
TAU = {"tau0": 0.26, "tau_know": 0.10, "tau_urban": 0.06, "tau_age": -0.04}
N_E_SAMPLED, N_O_SAMPLED = 591, 809
N_E_INCOMPLETE, N_O_INCOMPLETE = 138, 189
FRAME_VILLAGES = 2118
EAST_PROVINCES = ("Zhejiang", "Jiangsu", "Guangdong", "Fujian", "Shandong", "Hebei")
# e-shop workers module (finding F4)
WORKER = {
    "hire_a0": -0.65,
    "hire_log_income": 0.8,
    "hire_log_income_centre": 9.9,
    "extra_workers_poisson": 0.9,
    "female_p": 0.55,
    "age_gamma_shape": 2.0,
    "age_gamma_scale": 5.0,
    "full_year_p": 0.85,
    "w0": 10.60,
    "sigma_village": 0.12,
    "rho_village_income": 0.5,
    "east": 0.10,
    "female": -0.06,
    "age_minus_18": 0.02,
    "age_minus_18_sq": -0.0005,
    "sigma_e": 0.30,
}
WAGE_BENCHMARK_RMB_2017 = 45761  # NBS: urban private-unit employees, average annual wage 2017
WAGE_BENCHMARK_EAST_RMB_2017 = 50592  # same, eastern region
WORKER_COLUMNS = (
    "worker_id",
    "hh_id",
    "province",
    "county_id",
    "village_id",
    "weight",
    "worker_female",
    "worker_age",
    "months_worked",
    "annual_wage",
)
# inclusion module (finding F7)
STATUS_LEVELS = ("much lower", "lower", "same", "higher", "much higher")
STATUS_QUESTIONS = ("status_change_5y", "status_expect_2y")
INCLUSION = {
    "owner_young_a0": 1.5,
    "owner_young_head_age10": 0.5,
    "owner_young_age_min": 20,
    "owner_old_age_gamma_shape": 2.0,
    "owner_old_age_gamma_scale": 6.0,
    "owner_age_max": 70,
    "owner_female_village_sd": 0.3,
    "owner_female_young": 0.2,
    "log_income_centre": 9.5,
    "error_corr": 0.5,
    "theta": {"status_change_5y": 0.6, "status_expect_2y": 0.5},
    "gamma": {
        "status_change_5y": {"age10": -0.10, "log_income_c": 0.25},
        "status_expect_2y": {"age10": -0.15, "log_income_c": 0.20},
    },
    "cutpoints": {
        "status_change_5y": (-2.0, -1.0, 0.6, 1.8),
        "status_expect_2y": (-2.2, -1.2, 0.4, 1.6),
    },
}
INCLUSION_COLUMNS = (
    "hh_id",
    "village_id",
    "weight",
    "e_household",
    "owner_female",
    "owner_age",
    "status_change_5y",
    "status_expect_2y",
)
INCOME_COLUMNS = (
    "income_ecommerce",
    "income_wages",
    "income_farming",
    "income_transfers",
    "income_total",
    "income_pc",
)


@dataclass(frozen=True)
class SyntheticSurvey:
    """A synthetic survey with its truth.

    Attributes
    ----------
    survey : SurveyData
        Household frame (1,400 rows) with schema columns, design and the synthetic label;
        pass it (or ``survey.data``) to any estimator.
    truth : mapping
        True parameters (see :func:`taobao_village_survey`).
    population : pandas.DataFrame
        The finite population the sample was drawn from (with ``tau`` per household).
    seed : int
        Seed used.
    workers : pandas.DataFrame or None
        E-shop workers module: every worker of the sampled e-households (columns
        :data:`WORKER_COLUMNS`), linked to ``data`` by ``hh_id``, labelled
        :data:`SYNTHETIC_WORKER_LABEL`.
    population_workers : pandas.DataFrame or None
        The finite population of e-shop workers; ``population_row`` is the employer's row of
        ``population``.
    inclusion : pandas.DataFrame or None
        Inclusion module (finding F7): one row per sampled household (columns
        :data:`INCLUSION_COLUMNS`), linked to ``data`` by ``hh_id``, labelled
        :data:`SYNTHETIC_INCLUSION_LABEL`.
    population_inclusion : pandas.DataFrame or None
        The inclusion variables of every household of ``population`` (same row order).
    """

    survey: SurveyData
    truth: MappingProxyType
    population: pd.DataFrame = field(repr=False)
    seed: int = DEFAULT_SEED
    workers: pd.DataFrame | None = field(default=None, repr=False)
    population_workers: pd.DataFrame | None = field(default=None, repr=False)
    inclusion: pd.DataFrame | None = field(default=None, repr=False)
    population_inclusion: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def data(self) -> pd.DataFrame:
        """The sampled household frame (same object as ``survey.data``)."""
        return self.survey.data

    @property
    def design(self) -> SurveyDesign:
        """Design of the sample: pweights ``weight``, PSU ``village_id``."""
        return self.survey.design

    @property
    def label(self) -> str:
        """The synthetic label shown in every table."""
        return self.survey.label

    @property
    def worker_survey(self) -> SurveyData:
        """The workers module with its design (pweights ``weight``, PSU ``village_id``)."""
        if self.workers is None:
            raise AttributeError("this SyntheticSurvey has no workers module")
        return SurveyData(
            data=self.workers,
            design=SurveyDesign(weights="weight", weight_type="pweight", psu="village_id"),
            codebook=None,
            label=SYNTHETIC_WORKER_LABEL,
            synthetic=True,
        )

    @property
    def inclusion_survey(self) -> SurveyData:
        """The inclusion module with its design (pweights ``weight``, PSU ``village_id``)."""
        if self.inclusion is None:
            raise AttributeError("this SyntheticSurvey has no inclusion module")
        return SurveyData(
            data=self.inclusion,
            design=SurveyDesign(weights="weight", weight_type="pweight", psu="village_id"),
            codebook=None,
            label=SYNTHETIC_INCLUSION_LABEL,
            synthetic=True,
        )


def _edu_dummies(edu: np.ndarray) -> dict[str, np.ndarray]:
    return {lev: (edu == lev).astype(float) for lev in EDUCATION_LEVELS[1:]}


def _index(x: dict[str, np.ndarray], coefs: dict[str, float]) -> np.ndarray:
    return sum(coefs[k] * x[k] for k in coefs)


def _population(rng: np.random.Generator, confounding: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_v = 80
    vill = pd.DataFrame(
        {
            "village_id": np.arange(1, n_v + 1),
            "province": np.repeat(PROVINCES, n_v // len(PROVINCES)),
            "county_id": np.repeat(np.arange(1, n_v // 2 + 1), 2),
            "M": rng.integers(250, 901, n_v),
            "z": rng.normal(size=n_v),
            "eta": rng.normal(size=n_v),
        }
    )
    vill["alpha"] = A0 + SIGMA_A * vill["z"]
    vill["mu"] = SIGMA_MU * (RHO * vill["z"] + np.sqrt(1 - RHO**2) * vill["eta"])
    pop = vill.loc[vill.index.repeat(vill["M"])].reset_index(drop=True)
    n = len(pop)
    age = np.clip(np.round(rng.normal(46, 11, n)), 20, 80)
    age10 = (age - 46) / 10
    female = (rng.random(n) < 0.12).astype(float)
    e = -0.35 * age10 + rng.normal(size=n)
    q = np.quantile(e, [0.30, 0.70, 0.92])
    rank = np.searchsorted(q, e)  # 0..3
    upper_voc = rng.random(n) < 0.45
    edu = np.select(
        [rank == 0, rank == 1, (rank == 2) & ~upper_voc, (rank == 2) & upper_voc, rank == 3],
        list(EDUCATION_LEVELS),
        default="",
    )
    edu_rank = np.select([edu == lev for lev in EDUCATION_LEVELS], [0, 1, 2, 2, 3]).astype(float)
    urban = (rng.random(n) < special.expit(-0.5 - 0.35 * age10 + 0.3 * (edu_rank >= 1))).astype(
        float
    )
    know = (
        rng.random(n) < special.expit(-0.7 - 0.45 * age10 + 0.35 * edu_rank + 0.5 * urban)
    ).astype(float)
    size = np.minimum(1 + rng.poisson(2.6, n), 9)
    labour = rng.binomial(size, 0.6)
    land = np.exp(rng.normal(0.8, 0.7, n))
    x = {
        "age10": age10,
        "head_female": female,
        **_edu_dummies(edu),
        "head_urban_work": urban,
        "head_ecom_knowledge": know,
    }
    v_unobs = rng.normal(size=n)
    dstar = pop["alpha"].to_numpy() + _index(x, BETA) + confounding * v_unobs + rng.normal(size=n)
    d = (dstar > 0).astype(float)
    tau = TAU["tau0"] + TAU["tau_know"] * know + TAU["tau_urban"] * urban + TAU["tau_age"] * age10
    logy = (
        C0
        + pop["mu"].to_numpy()
        + _index(x, GAMMA)
        + 0.05 * np.log(land)
        + 0.3 * labour / size
        + tau * d
        + confounding * 0.3 * v_unobs
        + rng.normal(0, SIGMA_U, n)
    )
    pop = pop.assign(
        head_age=age,
        head_female=female,
        head_edu=edu,
        head_urban_work=urban,
        head_ecom_knowledge=know,
        hh_size=size.astype(float),
        hh_labour=labour.astype(float),
        land_mu=np.round(land, 2),
        e_household=d,
        tau=tau,
        income_pc=np.exp(logy),
        p_true=special.ndtr(pop["alpha"].to_numpy() + _index(x, BETA)),
    )
    return vill, pop


def _sources(rng, pop: pd.DataFrame) -> pd.DataFrame:
    n = len(pop)
    total = pop["income_pc"].to_numpy() * pop["hh_size"].to_numpy()
    ecom_share = np.where(pop["e_household"].to_numpy() == 1, rng.beta(5, 3, n), 0.0)
    rest = rng.dirichlet([6, 3, 1], n) * (1 - ecom_share)[:, None]
    out = pd.DataFrame(
        {
            "income_ecommerce": np.round(total * ecom_share, 2),
            "income_wages": np.round(total * rest[:, 0], 2),
            "income_farming": np.round(total * rest[:, 1], 2),
        }
    )
    out["income_transfers"] = np.round(total, 2) - out.sum(axis=1)
    out["income_total"] = out.sum(axis=1)
    return out


def _truth(vill, pop) -> dict[str, Any]:
    d = pop["e_household"].to_numpy() == 1
    scale = np.sqrt(1 + SIGMA_A**2)
    y = pop["income_pc"].to_numpy()
    # finite-population AMEs of the true (village-conditional) probit
    a = pop["alpha"].to_numpy()
    x = {
        "age10": (pop["head_age"].to_numpy() - 46) / 10,
        "head_female": pop["head_female"].to_numpy(),
        **_edu_dummies(pop["head_edu"].to_numpy()),
        "head_urban_work": pop["head_urban_work"].to_numpy(),
        "head_ecom_knowledge": pop["head_ecom_knowledge"].to_numpy(),
    }
    idx = a + _index(x, BETA)
    ame = {"head_age": float(np.mean(stats.norm.pdf(idx)) * BETA["age10"] / 10)}
    for k in ("head_female", "head_urban_work", "head_ecom_knowledge"):
        base = idx - BETA[k] * x[k]
        ame[k] = float(np.mean(special.ndtr(base + BETA[k]) - special.ndtr(base)))
    edu_part = sum(BETA[lev] * x[lev] for lev in EDUCATION_LEVELS[1:])
    for lev in EDUCATION_LEVELS[1:]:
        base = idx - edu_part
        ame[f"head_edu[{lev}]"] = float(
            np.mean(special.ndtr(base + BETA[lev]) - special.ndtr(base))
        )
    return {
        "label": SYNTHETIC_LABEL,
        "participation_model": "probit with village effects alpha_v = a0 + sigma_a z_v",
        "participation_a0": A0,
        "participation_sigma_a": SIGMA_A,
        "participation_beta": {
            ("head_age_per_10y" if k == "age10" else k): v for k, v in BETA.items()
        },
        "participation_beta_marginal": {
            "Intercept": (A0 - 4.6 * BETA["age10"]) / scale,
            "head_age": BETA["age10"] / 10 / scale,
            **{
                k: v / scale
                for k, v in BETA.items()
                if k not in ("age10",) and k not in EDUCATION_LEVELS
            },
            **{f"head_edu[{lev}]": BETA[lev] / scale for lev in EDUCATION_LEVELS[1:]},
        },
        "participation_ame": ame,
        "income_gamma": {("head_age_per_10y" if k == "age10" else k): v for k, v in GAMMA.items()},
        "income_log_land": 0.05,
        "income_labour_share": 0.3,
        "income_sigma_u": SIGMA_U,
        "tau": dict(TAU),
        "ate_log": float(pop["tau"].mean()),
        "att_log": float(pop.loc[d, "tau"].mean()),
        "atu_log": float(pop.loc[~d, "tau"].mean()),
        "population_households": int(len(pop)),
        "weights_represent": (
            "households of the 2,118-village frame: each simulated village stands for "
            "2,118/80 villages, so the weights sum to about 26.5 x population_households"
        ),
        "population_share_e_households": float(d.mean()),
        "population_raw_gap_percent": float(y[d].mean() / y[~d].mean() - 1),
        "population_raw_gap_log_points": float(np.log(y[d].mean() / y[~d].mean())),
        "village_share_e_min": float(pop.groupby("village_id")["e_household"].mean().min()),
    }


def _worker_population(rng: np.random.Generator, vill: pd.DataFrame, pop: pd.DataFrame):
    """E-shop workers of every e-household of the population (see the module docstring)."""
    w = WORKER
    xi = rng.normal(size=len(vill))
    omega = w["sigma_village"] * (
        w["rho_village_income"] * vill["mu"].to_numpy() / SIGMA_MU
        + np.sqrt(1 - w["rho_village_income"] ** 2) * xi
    )
    omega = pd.Series(omega, index=vill["village_id"].to_numpy())
    emp = pop.index[pop["e_household"].to_numpy() == 1].to_numpy()
    logy = np.log(pop.loc[emp, "income_pc"].to_numpy())
    hires = rng.random(len(emp)) < special.expit(
        w["hire_a0"] + w["hire_log_income"] * (logy - w["hire_log_income_centre"])
    )
    n_workers = np.where(hires, 1 + rng.poisson(w["extra_workers_poisson"], len(emp)), 0)
    rows = np.repeat(emp, n_workers)
    m = len(rows)
    female = (rng.random(m) < w["female_p"]).astype(float)
    age = np.minimum(18 + np.round(rng.gamma(w["age_gamma_shape"], w["age_gamma_scale"], m)), 60.0)
    months = np.where(rng.random(m) < w["full_year_p"], 12, rng.integers(6, 12, m))
    village = pop.loc[rows, "village_id"].to_numpy()
    east = pop.loc[rows, "province"].isin(EAST_PROVINCES).to_numpy().astype(float)
    a18 = age - 18
    logw = (
        w["w0"]
        + omega.loc[village].to_numpy()
        + w["east"] * east
        + w["female"] * female
        + w["age_minus_18"] * a18
        + w["age_minus_18_sq"] * a18**2
        + rng.normal(0, w["sigma_e"], m)
    )
    out = pd.DataFrame(
        {
            "population_row": rows,
            "province": pop.loc[rows, "province"].to_numpy(),
            "county_id": pop.loc[rows, "county_id"].to_numpy(),
            "village_id": village,
            "worker_female": female,
            "worker_age": age,
            "months_worked": months.astype(np.int64),
            "annual_wage": np.round(np.exp(logw) * months / 12),
        }
    )
    out.attrs = {"welfare_label": SYNTHETIC_WORKER_LABEL, "welfare_synthetic": True}
    return out


def _worker_truth(pw: pd.DataFrame, pop: pd.DataFrame) -> dict[str, Any]:
    wage = pw["annual_wage"].to_numpy()
    east = pw["province"].isin(EAST_PROVINCES).to_numpy()
    n_emp = int((pop["e_household"] == 1).sum())
    per_emp = pw.groupby("population_row").size()
    return {
        "worker_label": SYNTHETIC_WORKER_LABEL,
        "worker_population": int(len(pw)),
        "worker_wage_mean": float(wage.mean()),
        "worker_wage_median": float(np.median(wage)),
        "worker_wage_mean_east": float(wage[east].mean()),
        "worker_wage_sd_log": float(np.log(wage).std()),
        "worker_share_above_benchmark": float(np.mean(wage >= WAGE_BENCHMARK_RMB_2017)),
        "worker_share_above_benchmark_east": float(
            np.mean(wage[east] >= WAGE_BENCHMARK_EAST_RMB_2017)
        ),
        "worker_share_female": float(pw["worker_female"].mean()),
        "worker_share_full_year": float(np.mean(pw["months_worked"].to_numpy() == 12)),
        "worker_wage_benchmark_rmb_2017": WAGE_BENCHMARK_RMB_2017,
        "worker_wage_benchmark_east_rmb_2017": WAGE_BENCHMARK_EAST_RMB_2017,
        "worker_wage_units": "RMB per year, 2017, nominal, whole RMB (months_worked / 12 of w)",
        "worker_share_employers_no_employees": float(1 - len(per_emp) / n_emp),
        "worker_share_employers_one_to_four": float((per_emp.to_numpy() < 5).sum() / n_emp),
        "worker_dgp": dict(WORKER),
        "worker_east_provinces": list(EAST_PROVINCES),
    }


def _inclusion_population(
    rng: np.random.Generator, vill: pd.DataFrame, pop: pd.DataFrame
) -> pd.DataFrame:
    """Inclusion variables of every household of the population (see the module docstring)."""
    c = INCLUSION
    n = len(pop)
    xi = pd.Series(rng.normal(size=len(vill)), index=vill["village_id"].to_numpy())
    e = pop["e_household"].to_numpy() == 1
    age10 = (pop["head_age"].to_numpy() - 46) / 10
    young = rng.random(n) < special.expit(c["owner_young_a0"] + c["owner_young_head_age10"] * age10)
    age_young = c["owner_young_age_min"] + rng.integers(0, 10, n)
    age_old = np.minimum(
        30 + np.round(rng.gamma(c["owner_old_age_gamma_shape"], c["owner_old_age_gamma_scale"], n)),
        c["owner_age_max"],
    )
    owner_age = np.where(young, age_young, age_old).astype(float)
    p_female = special.expit(
        c["owner_female_village_sd"] * xi.loc[pop["village_id"].to_numpy()].to_numpy()
        + c["owner_female_young"] * (young - 0.75)
    )
    owner_female = (rng.random(n) < p_female).astype(float)
    log_income_c = np.log(pop["income_pc"].to_numpy()) - c["log_income_centre"]
    r = c["error_corr"]
    u = rng.normal(size=(n, 2))
    u[:, 1] = r * u[:, 0] + np.sqrt(1 - r**2) * u[:, 1]
    out = pd.DataFrame(
        {
            "village_id": pop["village_id"].to_numpy(),
            "e_household": pop["e_household"].to_numpy(),
            "owner_female": np.where(e, owner_female, np.nan),
            "owner_age": np.where(e, owner_age, np.nan),
        },
        index=pop.index,
    )
    for k, q in enumerate(STATUS_QUESTIONS):
        g = c["gamma"][q]
        index = c["theta"][q] * e + g["age10"] * age10 + g["log_income_c"] * log_income_c
        cat = np.searchsorted(np.asarray(c["cutpoints"][q]), index + u[:, k])  # 0..4
        out[q] = pd.Categorical.from_codes(cat, categories=list(STATUS_LEVELS), ordered=True)
    out.attrs = {"welfare_label": SYNTHETIC_INCLUSION_LABEL, "welfare_synthetic": True}
    return out


def _inclusion_truth(pi: pd.DataFrame) -> dict[str, Any]:
    e = pi["e_household"].to_numpy() == 1
    groups = {"all": np.ones(len(pi), dtype=bool), "e_household=1": e, "e_household=0": ~e}
    age = pi.loc[e, "owner_age"].to_numpy()
    shares: dict[str, Any] = {}
    same_or_higher: dict[str, Any] = {}
    for q in STATUS_QUESTIONS:
        codes = pi[q].cat.codes.to_numpy()
        shares[q] = {
            g: {lev: float(np.mean(codes[m] == j)) for j, lev in enumerate(STATUS_LEVELS)}
            for g, m in groups.items()
        }
        same_or_higher[q] = {g: float(np.mean(codes[m] >= 2)) for g, m in groups.items()}
    c = INCLUSION
    return {
        "inclusion_label": SYNTHETIC_INCLUSION_LABEL,
        "inclusion_share_owner_female": float(pi.loc[e, "owner_female"].mean()),
        "inclusion_share_owner_age_20_29": float(np.mean((age >= 20) & (age <= 29))),
        "inclusion_owners": int(e.sum()),
        "inclusion_status_levels": list(STATUS_LEVELS),
        "inclusion_status_model": (
            "ordered probit: s* = theta e_household + g_age10 (head_age - 46)/10 + "
            "g_log_income_c (log income_pc - 9.5) + u, u ~ N(0, 1); category j if "
            "cut_{j-1} < s* <= cut_j"
        ),
        "inclusion_theta": dict(c["theta"]),
        "inclusion_gamma": {q: dict(v) for q, v in c["gamma"].items()},
        "inclusion_cutpoints": {q: list(v) for q, v in c["cutpoints"].items()},
        "inclusion_log_income_centre": c["log_income_centre"],
        "inclusion_error_corr": c["error_corr"],
        "inclusion_status_shares": shares,
        "inclusion_share_same_or_higher": same_or_higher,
        "inclusion_dgp": {k: v for k, v in c.items() if k not in ("theta", "gamma", "cutpoints")},
    }


@strict_keywords
def taobao_village_survey(
    random_state: int | np.random.Generator = DEFAULT_SEED, *, confounding: float = 0.0
) -> SyntheticSurvey:
    """Generate the synthetic twin of the Taobao Village Survey with its true parameters.

    Parameters
    ----------
    random_state : int or numpy.random.Generator, default 20190601
        Seed; the same seed gives identical data.
    confounding : float, default 0.0
        Loading of an unobserved household factor in participation (and 0.3 times it in log
        income). 0 means selection on observables.

    Returns
    -------
    SyntheticSurvey
        ``survey.data`` has 1,400 rows: ``hh_id, province, county_id, village_id, weight,
        sampled_as, e_household, head_age, head_female, head_edu, head_urban_work,
        head_ecom_knowledge, hh_size, hh_labour, land_mu, income_ecommerce, income_wages,
        income_farming, income_transfers, income_total, income_pc, consumption_pc``
        (money in RMB per year; ``income_pc`` and ``consumption_pc`` per person). ``truth``
        keys: ``participation_beta``, ``participation_beta_marginal`` (pooled-probit
        coefficients in the formula's term names), ``participation_ame`` (finite-population
        AMEs), ``income_gamma``, ``tau``, ``ate_log``, ``att_log``, ``atu_log``,
        ``population_share_e_households``, ``population_raw_gap_percent``, ...

        ``workers`` (e-shop workers module, finding F4) has one row per worker of a sampled
        e-household: ``worker_id`` (1..m), ``hh_id`` (the employer, a row of ``data``),
        ``province, county_id, village_id``, ``weight`` (the employer's design weight;
        pweights, PSU ``village_id``; :attr:`SyntheticSurvey.worker_survey` carries that
        design), ``worker_female`` (0/1), ``worker_age`` (years), ``months_worked`` (months
        employed in 2017, 1..12, mostly 12) and ``annual_wage`` (RMB 2017, nominal, whole RMB,
        earned in the months worked); labelled :data:`SYNTHETIC_WORKER_LABEL`.
        ``population_workers`` holds all e-shop workers of the population (``population_row``
        is the employer's row of ``population``). Worker ``truth`` keys: ``worker_wage_mean`` and
        ``worker_wage_median`` (population mean and median annual wage),
        ``worker_share_above_benchmark`` (share with ``annual_wage >= 45761``),
        ``worker_wage_benchmark_rmb_2017`` (45,761), ``worker_wage_benchmark_east_rmb_2017``
        (50,592), ``worker_population`` (count), ``worker_wage_mean_east``,
        ``worker_share_above_benchmark_east``, ``worker_wage_sd_log``,
        ``worker_share_employers_no_employees``, ``worker_dgp`` (the parameters), ...

        ``inclusion`` (inclusion module, finding F7) has one row per sampled household, in
        ``hh_id`` order: ``hh_id, village_id, weight, e_household`` (copied from ``data``;
        :attr:`SyntheticSurvey.inclusion_survey` carries the design, pweights ``weight``, PSU
        ``village_id``), ``owner_female`` (0/1) and ``owner_age`` (years) of the e-shop
        owner/operator (e-households only; NaN for the others), and ``status_change_5y``,
        ``status_expect_2y`` (ordered categoricals with levels :data:`STATUS_LEVELS`, every
        household); labelled :data:`SYNTHETIC_INCLUSION_LABEL`. ``population_inclusion`` holds
        the same variables for every household of ``population`` (same row order). Inclusion
        ``truth`` keys (exact population values): ``inclusion_share_owner_female`` (women among
        e-shop operators, about 0.5), ``inclusion_share_owner_age_20_29`` (about 0.75),
        ``inclusion_share_same_or_higher`` ({question: {"all", "e_household=1",
        "e_household=0": share "same" or higher}}), ``inclusion_status_shares`` (every level),
        and the ordered-probit parameters ``inclusion_theta`` ({question: effect of
        e_household}), ``inclusion_gamma`` ({question: {"age10", "log_income_c"}}),
        ``inclusion_cutpoints`` ({question: [cut1..cut4]}), ``inclusion_log_income_centre``
        (9.5), ``inclusion_error_corr``, ``inclusion_dgp``.

    Notes
    -----
    See the module docstring for the data-generating process. Every table built from it is
    labelled with :data:`SYNTHETIC_LABEL`. The workers module is drawn from its own generator
    after every household draw, so ``data``, ``population`` and the household ``truth`` keys do
    not depend on it (a Generator passed as ``random_state`` gives one more draw to it). The
    inclusion module is drawn in the same way after the workers module (one more draw), so
    households, workers and their truth do not depend on it.
    """
    seed, rng = rng_from(random_state)
    vill, pop = _population(rng, confounding)
    truth = _truth(vill, pop)
    # ---- stratified sample within villages: e-households over-sampled
    n_v = len(vill)
    n_e = np.full(n_v, N_E_SAMPLED // n_v)
    n_e[rng.choice(n_v, N_E_SAMPLED - n_e.sum(), replace=False)] += 1
    n_o = np.full(n_v, N_O_SAMPLED // n_v)
    n_o[rng.choice(n_v, N_O_SAMPLED - n_o.sum(), replace=False)] += 1
    parts = []
    for i, vid in enumerate(vill["village_id"]):
        vp = pop[pop["village_id"] == vid]
        for flag, k in ((1.0, n_e[i]), (0.0, n_o[i])):
            grp = vp[vp["e_household"] == flag]
            take = grp.iloc[np.sort(rng.choice(len(grp), size=min(k, len(grp)), replace=False))]
            take = take.assign(weight=FRAME_VILLAGES / n_v * len(grp) / len(take))
            parts.append(take)
    pop_rows = np.concatenate([p.index.to_numpy() for p in parts])
    s = pd.concat(parts, ignore_index=True)
    s = pd.concat([s, _sources(rng, s)], axis=1)
    s["_population_row"] = pop_rows
    s["consumption_pc"] = np.round(
        np.exp(2.2 + 0.75 * np.log(s["income_pc"]) + rng.normal(0, 0.3, len(s))), 2
    )
    s["income_pc"] = np.round(s["income_total"] / s["hh_size"], 2)
    s["sampled_as"] = np.where(s["e_household"] == 1, "e-household", "other")
    # ---- item non-response, completely at random within the two sampling groups
    items = ["income", "head_edu", "head_urban_work", "head_ecom_knowledge"]
    probs = [0.55, 0.20, 0.15, 0.10]
    for flag, k in ((1.0, N_E_INCOMPLETE), (0.0, N_O_INCOMPLETE)):
        rows = rng.choice(
            np.flatnonzero(s["e_household"].to_numpy() == flag), size=k, replace=False
        )
        which = rng.choice(len(items), size=k, p=probs)
        for r, j in zip(rows, which, strict=True):
            if items[j] == "income":
                s.loc[r, list(INCOME_COLUMNS)] = np.nan
            else:
                s.loc[r, items[j]] = np.nan if items[j] != "head_edu" else None
    s = s.sample(frac=1.0, random_state=rng.integers(2**31)).reset_index(drop=True)
    s.insert(0, "hh_id", np.arange(1, len(s) + 1))
    s["head_edu"] = pd.Categorical(s["head_edu"], categories=list(EDUCATION_LEVELS))
    cols = [
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
        *INCOME_COLUMNS,
        "consumption_pc",
    ]
    data = s[cols].copy()
    data.attrs = {"welfare_label": SYNTHETIC_LABEL, "welfare_synthetic": True}
    validate_survey(data)
    design = SurveyDesign(weights="weight", weight_type="pweight", psu="village_id")
    design.check(data)
    survey = SurveyData(
        data=data,
        design=design,
        codebook=None,
        label=SYNTHETIC_LABEL,
        synthetic=True,
        sha256=None,
        report=None,
    )
    truth["seed"] = seed
    truth["confounding"] = confounding
    # ---- e-shop workers module: its own generator, seeded after every household draw, so the
    # household data above are the same with or without it
    rng_w = np.random.default_rng(rng.integers(2**63))
    pw = _worker_population(rng_w, vill, pop)
    truth.update(_worker_truth(pw, pop))
    employers = s.loc[s["e_household"] == 1, ["hh_id", "weight", "_population_row"]]
    workers = (
        pw.rename(columns={"population_row": "_population_row"})
        .reset_index(names="_order")
        .merge(employers, on="_population_row", how="inner", validate="many_to_one")
        .sort_values(["hh_id", "_order"], kind="stable")
        .reset_index(drop=True)
    )
    workers.insert(0, "worker_id", np.arange(1, len(workers) + 1))
    workers = workers[list(WORKER_COLUMNS)].copy()
    workers.attrs = {"welfare_label": SYNTHETIC_WORKER_LABEL, "welfare_synthetic": True}
    SurveyDesign(weights="weight", weight_type="pweight", psu="village_id").check(workers)
    # ---- inclusion module (F7): its own generator, seeded by one more household-generator draw
    # after the workers seed, so households and workers above are unchanged
    rng_i = np.random.default_rng(rng.integers(2**63))
    pi = _inclusion_population(rng_i, vill, pop)
    truth.update(_inclusion_truth(pi))
    link = s[["hh_id", "_population_row"]].sort_values("hh_id")
    rows = link["_population_row"].to_numpy()
    inclusion = pd.DataFrame(
        {
            "hh_id": link["hh_id"].to_numpy(),
            "village_id": data.set_index("hh_id").loc[link["hh_id"], "village_id"].to_numpy(),
            "weight": data.set_index("hh_id").loc[link["hh_id"], "weight"].to_numpy(),
            "e_household": data.set_index("hh_id").loc[link["hh_id"], "e_household"].to_numpy(),
        }
    )
    for col in ("owner_female", "owner_age", *STATUS_QUESTIONS):
        inclusion[col] = pi[col].iloc[rows].reset_index(drop=True)
    inclusion = inclusion[list(INCLUSION_COLUMNS)].copy()
    inclusion.attrs = {"welfare_label": SYNTHETIC_INCLUSION_LABEL, "welfare_synthetic": True}
    SurveyDesign(weights="weight", weight_type="pweight", psu="village_id").check(inclusion)
    return SyntheticSurvey(
        survey=survey,
        truth=_freeze(truth),
        population=pop.drop(columns=["z", "eta", "alpha", "mu"]),
        seed=seed if seed is not None else -1,
        workers=workers,
        population_workers=pw,
        inclusion=inclusion,
        population_inclusion=pi,
    )
