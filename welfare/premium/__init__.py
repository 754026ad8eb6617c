"""Income premium (F2): raw gap, OLS with fixed effects, weighting and matching."""

from welfare.premium.balance import balance, implied_weights, propensity_overlap
from welfare.premium.dml import DMLResults, dml_irm, dml_plr, make_folds
from welfare.premium.gap import raw_gap
from welfare.premium.heterogeneity import blp, causal_forest, gate
from welfare.premium.matching import nn_match, ps_match
from welfare.premium.ols import ols_premium
from welfare.premium.weighting import TreatmentEffectResults, aipw, ipw, ipwra, ra

__all__ = [
    "raw_gap",
    "ols_premium",
    "ipw",
    "ra",
    "aipw",
    "ipwra",
    "ps_match",
    "nn_match",
    "balance",
    "implied_weights",
    "propensity_overlap",
    "TreatmentEffectResults",
    "dml_plr",
    "dml_irm",
    "make_folds",
    "gate",
    "blp",
    "causal_forest",
    "DMLResults",
]
