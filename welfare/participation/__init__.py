"""Participation (F1): probit and logit with average marginal effects; LPM with fixed effects."""

from welfare.participation.binary import BinaryChoiceResults, logit, lpm, probit
from welfare.participation.margins import average_marginal_effects

__all__ = ["probit", "logit", "lpm", "average_marginal_effects", "BinaryChoiceResults"]
