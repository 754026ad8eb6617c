"""Income premium (F2): raw gap and OLS with fixed effects."""

from welfare.premium.gap import raw_gap
from welfare.premium.ols import ols_premium

__all__ = ["raw_gap", "ols_premium"]
