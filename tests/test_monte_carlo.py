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
