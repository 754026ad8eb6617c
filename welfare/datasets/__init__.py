"""Synthetic twins with known truth (clearly labelled SYNTHETIC) and public example loaders."""

from welfare.datasets.county import (
    SYNTHETIC_COUNTY_LABEL,
    SyntheticCountyPanel,
    county_panel,
)
from welfare.datasets.taobao import (
    DEFAULT_SEED,
    SYNTHETIC_LABEL,
    SYNTHETIC_WORKER_LABEL,
    SyntheticSurvey,
    taobao_village_survey,
)

__all__ = [
    "taobao_village_survey",
    "SyntheticSurvey",
    "SYNTHETIC_LABEL",
    "SYNTHETIC_WORKER_LABEL",
    "county_panel",
    "SyntheticCountyPanel",
    "SYNTHETIC_COUNTY_LABEL",
    "DEFAULT_SEED",
]
