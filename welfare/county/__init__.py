"""County-panel analyses: determinants of e-commerce development (finding F6).

:func:`online_indices` builds the Online Business/Shopping indices from their components,
:func:`county_regressors` derives the F6 regressors, and :func:`county_determinants` fits the
panel regression with province and year effects and county-clustered standard errors.
"""

from welfare.county.determinants import (
    F6_REGRESSORS,
    INDEX_COMPONENTS,
    REGRESSOR_DEFINITIONS,
    county_determinants,
    county_regressors,
    index_reference,
    initial_gdp_regression,
    online_indices,
)

__all__ = [
    "F6_REGRESSORS",
    "INDEX_COMPONENTS",
    "REGRESSOR_DEFINITIONS",
    "county_determinants",
    "county_regressors",
    "index_reference",
    "initial_gdp_regression",
    "online_indices",
]
