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
"""

from __future__ import annotations

import numbers
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
from welfare.errors import UnknownOptionError

__all__ = ["taobao_village_survey", "SyntheticSurvey", "SYNTHETIC_LABEL", "DEFAULT_SEED"]

SYNTHETIC_LABEL = "SYNTHETIC twin of the Taobao Village Survey (welfare.datasets, not real data)"
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
    """

    survey: SurveyData
    truth: MappingProxyType
    population: pd.DataFrame = field(repr=False)
    seed: int = DEFAULT_SEED

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


def _freeze(obj):
    """Read-only view, recursively (truth values cannot be changed by accident)."""
    if isinstance(obj, dict):
        return MappingProxyType({k: _freeze(v) for k, v in obj.items()})
    return obj


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

    Notes
    -----
    See the module docstring for the data-generating process. Every table built from it is
    labelled with :data:`SYNTHETIC_LABEL`.
    """
    if isinstance(random_state, bool) or not isinstance(
        random_state, numbers.Integral | np.random.Generator
    ):
        raise UnknownOptionError(
            f"random_state: expected a non-negative integer or numpy Generator, found "
            f"{random_state!r}"
        )
    if isinstance(random_state, numbers.Integral) and random_state < 0:
        raise UnknownOptionError(f"random_state: expected an integer >= 0, found {random_state}")
    seed = int(random_state) if isinstance(random_state, numbers.Integral) else None
    rng = np.random.default_rng(seed if seed is not None else random_state)
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
    s = pd.concat(parts, ignore_index=True)
    s = pd.concat([s, _sources(rng, s)], axis=1)
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
    return SyntheticSurvey(
        survey=survey,
        truth=_freeze(truth),
        population=pop.drop(columns=["z", "eta", "alpha", "mu"]),
        seed=seed if seed is not None else -1,
    )
