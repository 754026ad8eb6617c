"""Results objects, the tidy schema and covariance estimators."""

from welfare.inference.results import TIDY_COLUMNS, Results
from welfare.inference.vcov import VcovSpec, meat, sandwich

__all__ = ["Results", "TIDY_COLUMNS", "VcovSpec", "meat", "sandwich"]
