"""Inclusion descriptives (finding F7): design-weighted shares and weighted ordered probit.

:func:`proportions` and :func:`share_in_range` estimate population shares (women among e-shop
operators, operators aged 20-29, households whose social status is "same" or higher) with
linearised design standard errors and logit intervals; :func:`ordered_probit` models the
ordered status answers with sampling weights and design-based variances.
"""

from welfare.inclusion.ordered import OrderedResults, ordered_probit
from welfare.inclusion.shares import ProportionResults, proportions, share_in_range

__all__ = [
    "proportions",
    "share_in_range",
    "ProportionResults",
    "ordered_probit",
    "OrderedResults",
]
