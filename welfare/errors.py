"""Exception and warning classes of ``welfare``.

Every error message says what was expected and what was found. All errors derive from
:class:`WelfareError`, so ``except WelfareError`` catches everything the package raises on
purpose; most also derive from the matching built-in (``ValueError``, ``TypeError``,
``KeyError``) so that generic handlers keep working.
"""

from __future__ import annotations


class WelfareError(Exception):
    """Base class of every error raised on purpose by ``welfare``."""


class UnknownOptionError(WelfareError, TypeError):
    """An unknown keyword argument or an option value outside the allowed set."""


class DataError(WelfareError, ValueError):
    """Input data that cannot be used as given."""


class MissingColumnError(DataError, KeyError):
    """A column the call needs is not in the data."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class ColumnTypeError(DataError):
    """A column has the wrong type (for example text where numbers are expected)."""


class DuplicateIdError(DataError):
    """Identifiers that must be unique are repeated."""


class InvalidWeightError(DataError):
    """Weights that are missing, zero, negative or not finite."""


class ImpossibleValueError(DataError):
    """Values outside their admissible range (negative household size, age 250, ...)."""


class CodebookError(WelfareError, ValueError):
    """A codebook that is malformed or does not fit the file it describes."""


class TreatmentError(DataError):
    """A participation/treatment variable that is not binary 0/1 or has no variation."""


class OutcomeError(DataError):
    """An outcome that cannot be analysed as asked (e.g. logs of zero or negative incomes)."""


class EmptySampleError(DataError):
    """No (or too few) observations are left in the estimation sample or in a group."""


class CollinearityError(DataError):
    """Regressors that are linearly dependent (a constant or collinear column)."""


class OverlapError(DataError):
    """Propensity scores at or near 0 or 1, or units without a match within the caliper."""


class PerfectPredictionError(WelfareError, ValueError):
    """A regressor predicts a binary outcome perfectly (complete or quasi-complete separation)."""


class ConvergenceError(WelfareError, RuntimeError):
    """An iterative estimator did not converge."""


class VarianceError(WelfareError, ValueError):
    """A variance estimator that does not fit the data or the weights (e.g. iid with pweights)."""


class DesignError(WelfareError, ValueError):
    """A survey design that is inconsistent (e.g. a stratum with a single PSU)."""


class ReplicationError(WelfareError, RuntimeError):
    """A replication run that cannot proceed."""


class WelfareWarning(UserWarning):
    """Base class of warnings issued by ``welfare``."""


class SyntheticDataWarning(WelfareWarning):
    """Results computed on a synthetic twin are being shown without its label."""


class PanelStructureError(DataError):
    """A panel whose waves, years or unit links do not fit (e.g. unequal wave spacing).

    Also a wave or index year that is absent, or a county id without county data.
    """
