"""Results objects, the tidy schema and covariance estimators."""

from welfare.inference.results import TIDY_COLUMNS, Results
from welfare.inference.vcov import VcovSpec, meat, sandwich

__all__ = ["Results", "TIDY_COLUMNS", "VcovSpec", "meat", "sandwich"]

# wild cluster bootstrap and multiple testing (finding F5)
from welfare.inference.multiple import bonferroni, holm, romano_wolf  # noqa: E402
from welfare.inference.wild import (  # noqa: E402
    WildBootstrapResult,
    WildBootstrapT,
    wild_bootstrap_t,
    wild_cluster_bootstrap,
)

__all__ += [
    "WildBootstrapResult",
    "WildBootstrapT",
    "bonferroni",
    "holm",
    "romano_wolf",
    "wild_bootstrap_t",
    "wild_cluster_bootstrap",
]
