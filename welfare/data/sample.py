"""The estimation sample: one mask built from every column an estimator touches.

Rows are never dropped silently: each dropped row is attributed to the first reason that
applies, in the order outcome, treatment, regressors, weights, PSU/cluster, strata, fixed
effects, and the counts are stored with the results (fault kind K05). The sample depends only on
the columns, never on the variance option.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from welfare.errors import (
    EmptySampleError,
    ImpossibleValueError,
    MissingColumnError,
    UnknownOptionError,
)

__all__ = ["EstimationSample", "build_sample", "require_columns"]


@dataclass(frozen=True)
class EstimationSample:
    """Which rows an estimator used and why the others were left out.

    Attributes
    ----------
    mask : numpy.ndarray of bool, shape (n_rows,)
        True for rows in the estimation sample (read-only).
    n_rows : int
        Rows in the input data.
    dropped : tuple of (str, int)
        Rows left out, by reason, in the order the reasons were checked.
    """

    mask: np.ndarray
    n_rows: int
    dropped: tuple[tuple[str, int], ...] = field(default_factory=tuple)

    def __reduce__(self):
        """Pickle support that keeps the mask read-only under every pickle protocol."""
        return (_rebuild_sample, (np.array(self.mask), self.n_rows, self.dropped))

    @property
    def n_obs(self) -> int:
        """Rows in the estimation sample."""
        return int(self.mask.sum())

    @property
    def n_dropped(self) -> int:
        """Rows left out, all reasons."""
        return self.n_rows - self.n_obs

    def extend(self, reason: str, keep: np.ndarray) -> EstimationSample:
        """Return a new sample that also drops rows where ``keep`` is False, counted as ``reason``."""
        keep = np.asarray(keep, dtype=bool)
        newly = self.mask & ~keep
        mask = self.mask & keep
        mask.setflags(write=False)
        dropped = self.dropped
        if newly.any():
            reasons = [r for r, _ in dropped]
            if reason in reasons:  # a reason applied again (e.g. repeated trimming) is one row
                dropped = tuple(
                    (r, n + int(newly.sum())) if r == reason else (r, n) for r, n in dropped
                )
            else:
                dropped = dropped + ((reason, int(newly.sum())),)
        return EstimationSample(mask=mask, n_rows=self.n_rows, dropped=dropped)

    def report(self) -> pd.DataFrame:
        """Table of rows used and left out by reason."""
        rows = [("rows in data", self.n_rows)]
        rows += [(f"dropped: {r}", n) for r, n in self.dropped]
        rows.append(("estimation sample", self.n_obs))
        return pd.DataFrame(rows, columns=["step", "rows"])

    def describe(self) -> str:
        """One-line summary for table notes."""
        if not self.dropped:
            return f"N = {self.n_obs} (no rows dropped)"
        reasons = "; ".join(f"{r}: {n}" for r, n in self.dropped)
        return f"N = {self.n_obs} of {self.n_rows} rows ({reasons})"


def require_columns(data: pd.DataFrame, columns: Sequence[str], role: str = "column") -> None:
    """Raise :class:`MissingColumnError` naming the columns of ``columns`` not in ``data``."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data: expected a pandas DataFrame, found {type(data).__name__}")
    if isinstance(columns, str):
        raise UnknownOptionError(
            f"{role}: expected a list of column names, found the string {columns!r} "
            f"(write [{columns!r}])"
        )
    missing = [c for c in columns if c not in data.columns]
    if missing:
        cols = [str(d) for d in data.columns]
        hints = []
        for c in missing:
            close = [d for d in cols if str(c).lower() in d.lower()][:1]
            close = close or difflib.get_close_matches(str(c), cols, n=1, cutoff=0.6)
            if close:
                hints.append(f"{c!r}: did you mean {close[0]!r}?")
        hint = f" ({'; '.join(hints)})" if hints else ""
        raise MissingColumnError(
            f"{role} {missing} not found in the data{hint}; available columns: "
            f"{list(data.columns)[:30]}"
        )


def build_sample(
    data: pd.DataFrame,
    roles: Sequence[tuple[str, Sequence[str]]],
    min_obs: int = 2,
) -> EstimationSample:
    """Build the estimation sample from named roles.

    Parameters
    ----------
    data : pandas.DataFrame, shape (n_rows, n_columns)
        Input data; not modified.
    roles : sequence of (role, columns)
        E.g. ``[("outcome", ["y"]), ("regressor", ["x1", "x2"]), ("PSU", ["village_id"])]``.
        A row missing any listed column is dropped, counted under the first role/column that
        is missing.
    min_obs : int, default 2
        Fewest rows allowed in the sample.

    Returns
    -------
    EstimationSample

    Raises
    ------
    MissingColumnError
        A listed column is not in ``data``.
    ImpossibleValueError
        A numeric column holds +/- infinity (never treated as missing).
    EmptySampleError
        Fewer than ``min_obs`` rows remain.
    """
    all_cols = [c for _, cols in roles for c in cols]
    require_columns(data, all_cols)
    n = len(data)
    mask = np.ones(n, dtype=bool)
    mask.setflags(write=False)
    sample = EstimationSample(mask=mask, n_rows=n)
    seen: set[str] = set()
    for role, cols in roles:
        for c in cols:
            if c in seen:
                continue
            seen.add(c)
            col = data[c]
            if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                vals = col.to_numpy(dtype=float, na_value=np.nan)
                if np.isinf(vals).any():
                    raise ImpossibleValueError(
                        f"{role} {c!r}: expected finite numbers or missing values, found "
                        f"{int(np.isinf(vals).sum())} infinite value(s)"
                    )
            sample = sample.extend(f"missing {role} {c!r}", col.notna().to_numpy())
    if sample.n_obs < min_obs:
        raise EmptySampleError(
            f"expected at least {min_obs} rows in the estimation sample, found {sample.n_obs} "
            f"({sample.describe()})"
        )
    return sample


def _rebuild_sample(mask: np.ndarray, n_rows: int, dropped) -> EstimationSample:
    """Inverse of :meth:`EstimationSample.__reduce__`."""
    mask = np.array(mask, dtype=bool)
    mask.setflags(write=False)
    return EstimationSample(mask, n_rows, tuple(tuple(d) for d in dropped))
