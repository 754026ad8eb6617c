"""Inequality (F3, F4, F8): weighted indices with standard errors, decompositions, Lorenz curves."""

from welfare.inequality._prepare import IncomeDomainError
from welfare.inequality.curves import concentration_share, lorenz_curve
from welfare.inequality.decompose import (
    IdentityError,
    decomposition_frame,
    ge_decomposition,
    gini_by_source,
    shapley_by_source,
)
from welfare.inequality.indices import DEFAULT_INDICES, gini, inequality, quantiles
from welfare.inequality.large import ge_decomposition_dask, gini_dask
from welfare.inequality.oaxaca import oaxaca
from welfare.inequality.rif import rif, rif_regression
from welfare.inequality.rif_decomposition import rif_decomposition

__all__ = [
    "inequality",
    "gini",
    "quantiles",
    "DEFAULT_INDICES",
    "IncomeDomainError",
    "IdentityError",
    "ge_decomposition",
    "decomposition_frame",
    "gini_by_source",
    "shapley_by_source",
    "lorenz_curve",
    "concentration_share",
    "ge_decomposition_dask",
    "gini_dask",
    "oaxaca",
    "rif",
    "rif_regression",
    "rif_decomposition",
]
