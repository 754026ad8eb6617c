"""Synthetic twins with known truth (clearly labelled SYNTHETIC) and public example loaders."""

from welfare.datasets.county import (
    SYNTHETIC_COUNTY_LABEL,
    SyntheticCountyPanel,
    county_panel,
)
from welfare.datasets.household_panel import (
    SYNTHETIC_HOUSEHOLD_PANEL_LABEL,
    SyntheticHouseholdPanel,
    household_panel,
)
from welfare.datasets.taobao import (
    DEFAULT_SEED,
    STATUS_LEVELS,
    SYNTHETIC_INCLUSION_LABEL,
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
    "SYNTHETIC_INCLUSION_LABEL",
    "STATUS_LEVELS",
    "county_panel",
    "SyntheticCountyPanel",
    "SYNTHETIC_COUNTY_LABEL",
    "household_panel",
    "SyntheticHouseholdPanel",
    "SYNTHETIC_HOUSEHOLD_PANEL_LABEL",
    "DEFAULT_SEED",
]
