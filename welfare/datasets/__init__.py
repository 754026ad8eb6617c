"""Synthetic twins with known truth (clearly labelled SYNTHETIC) and public example loaders."""

from welfare.datasets.taobao import (
    DEFAULT_SEED,
    SYNTHETIC_LABEL,
    SyntheticSurvey,
    taobao_village_survey,
)

__all__ = ["taobao_village_survey", "SyntheticSurvey", "SYNTHETIC_LABEL", "DEFAULT_SEED"]
