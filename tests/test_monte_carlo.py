"""Monte Carlo coverage on the synthetic twin (slow: python -m pytest -m slow)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import twin_ate
from welfare.datasets import taobao_village_survey
from welfare.participation import probit
from welfare.replicate.context import TWIN_SPEC
from welfare.replicate.runner import analysis_sample

F1 = "e_household ~ head_age + head_female + C(head_edu) + head_urban_work + head_ecom_knowledge"
REPS = 100


def _one(seed: int) -> dict[str, bool]:
    twin = taobao_village_survey(seed)
    sub, _ = analysis_sample(twin.survey, TWIN_SPEC)
    covered = {}
    ame = probit(F1, sub).ame().tidy().set_index("term")
    for term, truth in twin.truth["participation_ame"].items():
        covered[f"AME {term}"] = ame.loc[term, "conf_low"] <= truth <= ame.loc[term, "conf_high"]
    ate = twin_ate(sub).tidy().set_index("term").loc["e_household"]
    covered["ATE (log points)"] = ate.conf_low <= twin.truth["ate_log"] <= ate.conf_high
    return covered


@pytest.mark.slow
def test_95_percent_intervals_cover_the_truth():
    runs = [_one(1000 + r) for r in range(REPS)]
    rates = {k: np.mean([r[k] for r in runs]) for k in runs[0]}
    print("coverage of 95% CIs over", REPS, "twins:", {k: round(v, 2) for k, v in rates.items()})
    # binomial SD at 0.95 with 100 draws is 0.022: accept within about 3 SD
    for k, v in rates.items():
        assert 0.88 <= v <= 1.0, (k, v)


# ---------------------------------------------------------------- matching and weighting
def _ps_draw(rng, n):
    import pandas as pd

    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    p = 1 / (1 + np.exp(-(-0.3 + 0.8 * x1 - 0.6 * x2)))
    d = (rng.uniform(size=n) < p).astype(float)
    y = 1 + 2 * x1 + x2 + d * (1 + 1.5 * x1) + rng.normal(size=n)
    return pd.DataFrame({"y": y, "d": d, "x1": x1, "x2": x2})


@pytest.mark.slow
def test_ps_matching_ai2016_variance_tracks_the_sampling_variance():
    """Abadie-Imbens (2016) for ATE, ATT and ATC: the adjusted SE is near the Monte Carlo SD,
    the unadjusted one (score treated as known) is not."""
    from welfare.premium import ps_match

    rng = np.random.default_rng(1)
    draws = {e: [] for e in ("ATE", "ATT", "ATC")}
    for _ in range(200):
        df = _ps_draw(rng, 1000)
        for e in draws:
            r = ps_match(df, outcome="y", treatment="d", propensity=["x1", "x2"], estimand=e,
                         scale="levels")  # fmt: skip
            draws[e].append(
                (r.params.iloc[0], r.std_errors.iloc[0], np.sqrt(r.extra["variance_unadjusted"]))
            )
    for e, v in draws.items():
        a = np.array(v)
        sd, adj, unadj = a[:, 0].std(ddof=1), a[:, 1].mean(), a[:, 2].mean()
        print(e, f"MC sd {sd:.4f}, mean adjusted SE {adj:.4f}, unadjusted {unadj:.4f}")
        assert 0.85 <= adj / sd <= 1.15, (e, adj / sd)
        assert abs(adj / sd - 1) < abs(unadj / sd - 1), e


@pytest.mark.slow
def test_clustered_variances_cover_in_a_village_design():
    """50 villages x 20 households, village effect (ICC 0.3) in the outcome, true ATT 1."""
    import pandas as pd

    from welfare.premium import aipw, nn_match, ps_match

    rng = np.random.default_rng(2)
    G, m = 50, 20
    hits = {"PS matching": [], "NN matching": [], "AIPW": []}
    for _ in range(200):
        v = np.repeat(np.arange(G), m)
        x = rng.normal(size=G * m) + 0.5 * rng.normal(size=G)[v]
        d = (rng.uniform(size=G * m) < 1 / (1 + np.exp(0.3 - 0.8 * x))).astype(float)
        y = 1 + x + d + np.sqrt(0.3) * rng.normal(size=G)[v] + np.sqrt(0.7) * rng.normal(size=G * m)
        df = pd.DataFrame({"y": y, "d": d, "x": x, "v": v})
        kw = {
            "outcome": "y",
            "treatment": "d",
            "scale": "levels",
            "estimand": "ATT",
            "cluster": "v",
        }
        for name, r in (
            ("PS matching", ps_match(df, propensity=["x"], **kw)),
            ("NN matching", nn_match(df, covariates=["x"], bias_adjust=True, **kw)),
            ("AIPW", aipw(df, covariates=["x"], propensity=["x"], **kw)),
        ):
            t = r.tidy().iloc[0]
            hits[name].append(t.conf_low <= 1.0 <= t.conf_high)
    rates = {k: float(np.mean(v)) for k, v in hits.items()}
    print("coverage of 95% CIs, clustered design:", rates)
    assert 0.91 <= rates["AIPW"] <= 0.99
    # the matching variance clusters its first term only; it is conservative here
    assert rates["PS matching"] >= 0.92 and rates["NN matching"] >= 0.92
