"""Immutable results with one tidy schema for every estimator.

Every estimator returns a :class:`Results`. Its :meth:`Results.tidy` table has the columns
``term, estimate, std_error, statistic, p_value, conf_low, conf_high`` and its metadata
(:meth:`Results.metadata`) the keys ``estimator, estimand, vcov, n_obs, n_clusters, df`` plus
the rest of the inference details. Tables, figures and the replication report are drawn from
these two only. A different variance gives a new object (:meth:`Results.with_vcov`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from welfare.data.sample import EstimationSample
from welfare.errors import UnknownOptionError
from welfare.inference.vcov import VcovSpec

__all__ = ["Results", "TIDY_COLUMNS"]

TIDY_COLUMNS = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


class Results:
    """Estimates, their covariance and everything needed to read them.

    Parameters
    ----------
    terms : sequence of str, length k
        Names of the estimated quantities.
    estimates : array_like, shape (k,)
    vcov : array_like, shape (k, k)
    vcov_spec : VcovSpec
        Variance type, clusters, df, small-sample factor.
    estimator : str
        E.g. ``"probit"``, ``"OLS with fixed effects"``.
    estimand : str
        E.g. ``"coefficients"``, ``"AME"``, ``"raw gap"``.
    sample : EstimationSample
        Rows used and dropped by reason.
    n_obs : int
        Observations (sum of weights for frequency weights).
    weights : str
        Description of the weights (``"pweights 'weight'"`` or ``"unweighted"``).
    data_label : str
        Label of the data (``"SYNTHETIC twin ..."`` for the embedded default).
    synthetic : bool
        True when computed on synthetic data; shown in every table.
    extra : mapping, optional
        Further statistics (log-likelihood, R-squared, ...).
    notes : sequence of str, optional
        Further notes for tables.
    refit : callable, optional
        ``refit(vcov) -> Results`` used by :meth:`with_vcov`.
    """

    __slots__ = (
        "_terms",
        "_est",
        "_vcov",
        "vcov_spec",
        "estimator",
        "estimand",
        "sample",
        "n_obs",
        "weights",
        "data_label",
        "synthetic",
        "_extra",
        "notes",
        "_refit",
        "formula",
    )

    def __init__(
        self,
        *,
        terms,
        estimates,
        vcov,
        vcov_spec: VcovSpec,
        estimator: str,
        estimand: str,
        sample: EstimationSample,
        n_obs: int,
        weights: str = "unweighted",
        data_label: str = "",
        synthetic: bool = False,
        extra: Mapping[str, Any] | None = None,
        notes=(),
        refit: Callable[[str], Results] | None = None,
        formula: str | None = None,
    ) -> None:
        est = _readonly(estimates).reshape(-1)
        v = _readonly(vcov).reshape(len(est), len(est))
        setter = object.__setattr__
        setter(self, "_terms", tuple(str(t) for t in terms))
        if len(self._terms) != len(est):
            raise ValueError(f"expected {len(est)} term names, found {len(self._terms)}")
        setter(self, "_est", est)
        setter(self, "_vcov", v)
        setter(self, "vcov_spec", vcov_spec)
        setter(self, "estimator", estimator)
        setter(self, "estimand", estimand)
        setter(self, "sample", sample)
        setter(self, "n_obs", int(n_obs))
        setter(self, "weights", weights)
        setter(self, "data_label", data_label)
        setter(self, "synthetic", bool(synthetic))
        setter(self, "_extra", MappingProxyType(dict(extra or {})))
        setter(self, "notes", tuple(notes))
        setter(self, "_refit", refit)
        setter(self, "formula", formula)

    def __setattr__(self, name, value):
        raise AttributeError(f"Results are immutable; cannot set {name!r}")

    def replace(self, **changes) -> Results:
        """Return a new (plain) Results with the given fields changed, the others copied.

        Parameters
        ----------
        **changes
            Any of the constructor's keywords (``notes``, ``weights``, ``sample``, ``extra``,
            ``estimator``, ``refit``, ...).

        Returns
        -------
        Results

        Raises
        ------
        TypeError
            A keyword that is not a constructor field.
        """
        fields = {
            "terms": self.terms,
            "estimates": self.params.to_numpy(),
            "vcov": self.vcov.to_numpy(),
            "vcov_spec": self.vcov_spec,
            "estimator": self.estimator,
            "estimand": self.estimand,
            "sample": self.sample,
            "n_obs": self.n_obs,
            "weights": self.weights,
            "data_label": self.data_label,
            "synthetic": self.synthetic,
            "extra": dict(self.extra),
            "notes": self.notes,
            "refit": self._refit,
            "formula": self.formula,
        }
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise TypeError(f"replace: expected fields among {sorted(fields)}, found {unknown}")
        return Results(**(fields | changes))

    def __reduce__(self):
        """Pickle support: rebuild the immutable slots and a subclass's instance attributes.

        Read-only arrays stay read-only and mapping proxies stay proxies.

        The standard :mod:`pickle` handles a Results without a ``refit`` closure;
        ``cloudpickle`` (used by joblib's workers) handles every Results.
        """
        state = {}
        for klass in type(self).__mro__:
            for name in getattr(klass, "__slots__", ()):
                if name != "__dict__" and hasattr(self, name) and name not in state:
                    state[name] = _Frozen.wrap(getattr(self, name))
        for name, value in getattr(self, "__dict__", {}).items():  # subclasses without slots
            state.setdefault(name, _Frozen.wrap(value))
        return (_rebuild_results, (type(self), state))

    # ---------------------------------------------------------------- accessors
    @property
    def terms(self) -> tuple[str, ...]:
        """Names of the estimated quantities."""
        return self._terms

    @property
    def params(self) -> pd.Series:
        """Estimates, shape (k,) (a copy)."""
        return pd.Series(self._est.copy(), index=list(self._terms), name="estimate")

    @property
    def vcov(self) -> pd.DataFrame:
        """Covariance matrix, shape (k, k) (a copy)."""
        return pd.DataFrame(self._vcov.copy(), index=list(self._terms), columns=list(self._terms))

    @property
    def std_errors(self) -> pd.Series:
        """Standard errors, shape (k,)."""
        return pd.Series(np.sqrt(np.diag(self._vcov)), index=list(self._terms), name="std_error")

    @property
    def extra(self) -> Mapping[str, Any]:
        """Further statistics (read-only mapping)."""
        return self._extra

    @property
    def df(self) -> int | None:
        """Degrees of freedom of the t reference (None: normal reference)."""
        return self.vcov_spec.df

    def critical_value(self, alpha: float = 0.05) -> float:
        """Two-sided critical value of the reference distribution."""
        if self.df is None:
            return float(stats.norm.ppf(1 - alpha / 2))
        return float(stats.t.ppf(1 - alpha / 2, self.df))

    def tidy(self, alpha: float = 0.05) -> pd.DataFrame:
        """Return the tidy table: ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``.

        Parameters
        ----------
        alpha : float, default 0.05
            1 - confidence level of the intervals, in (0, 1).

        Raises
        ------
        UnknownOptionError
            ``alpha`` not a number strictly between 0 and 1 (e.g. ``True``, ``1.5``, NaN).
        """
        if (
            isinstance(alpha, bool)
            or not isinstance(alpha, numbers.Real)
            or not (0 < float(alpha) < 1)
        ):
            raise UnknownOptionError(
                f"alpha: expected a number strictly between 0 and 1, found {alpha!r}"
            )
        se = np.sqrt(np.diag(self._vcov))
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = self._est / se
        if self.df is None:
            p = 2 * stats.norm.sf(np.abs(stat))
        else:
            p = 2 * stats.t.sf(np.abs(stat), self.df)
        c = self.critical_value(alpha)
        return pd.DataFrame(
            {
                "term": list(self._terms),
                "estimate": self._est,
                "std_error": se,
                "statistic": stat,
                "p_value": p,
                "conf_low": self._est - c * se,
                "conf_high": self._est + c * se,
            }
        )

    def metadata(self) -> dict[str, Any]:
        """Inference metadata that travels with the estimates into every table."""
        s = self.vcov_spec
        return {
            "estimator": self.estimator,
            "estimand": self.estimand,
            "vcov": s.kind,
            "cluster": s.cluster,
            "strata": s.strata,
            "n_obs": self.n_obs,
            "n_clusters": s.n_clusters,
            "df": s.df,
            "reference": "z" if s.df is None else "t",
            "small_sample": s.small_sample,
            "weights": self.weights,
            "data": self.data_label,
            "synthetic": self.synthetic,
            "sample": self.sample.describe(),
        }

    def with_vcov(self, vcov: str) -> Results:
        """Return a new Results with another variance on the same estimation sample.

        Raises
        ------
        NotImplementedError
            For results that cannot be re-computed (derived quantities).
        """
        if self._refit is None:
            raise NotImplementedError(
                f"{self.estimator} ({self.estimand}): another variance needs a new fit"
            )
        return self._refit(vcov)

    def note_lines(self) -> list[str]:
        """Lines for a table's notes."""
        lines = []
        if self.synthetic:
            lines.append(f"SYNTHETIC DATA: {self.data_label} - not evidence about any population.")
        elif self.data_label:
            lines.append(f"Data: {self.data_label}.")
        lines.append(f"{self.estimator}; estimand: {self.estimand}; weights: {self.weights}.")
        lines.append(self.vcov_spec.describe() + ".")
        lines.append(self.sample.describe() + ".")
        lines.extend(self.notes)
        return lines

    def summary(self, alpha: float = 0.05, digits: int = 4) -> str:
        """Return a plain-text table a referee recognises, with all inference metadata."""
        t = self.tidy(alpha).set_index("term")
        stat_name = "z" if self.df is None else "t"
        t.columns = ["coef", "std err", stat_name, f"P>|{stat_name}|", "[lo", "hi]"]
        head = [f"{self.estimator} - {self.estimand}"]
        if self.formula:
            head.append(f"Model: {self.formula}")
        body = t.to_string(float_format=lambda x: f"{x:.{digits}f}")
        extra = []
        for k, v in self._extra.items():
            if isinstance(v, float):
                extra.append(f"{k}: {v:.6g}")
            elif isinstance(v, np.ndarray) and v.size > 12:
                extra.append(f"{k}: array of shape {v.shape} (in .extra)")
            else:
                extra.append(f"{k}: {v}")
        return "\n".join(head + ["=" * 72, body, "-" * 72] + extra + self.note_lines())

    def __repr__(self) -> str:
        return self.summary()


class _Frozen:
    """Picklable stand-in for a mapping proxy or a read-only array (see Results.__reduce__)."""

    __slots__ = ("kind", "value")

    def __init__(self, kind: str, value):
        self.kind, self.value = kind, value

    def __reduce__(self):
        return (_Frozen, (self.kind, self.value))

    @staticmethod
    def wrap(v):
        if isinstance(v, MappingProxyType):
            return _Frozen("mapping", {k: _Frozen.wrap(x) for k, x in v.items()})
        if isinstance(v, np.ndarray) and not v.flags.writeable:
            return _Frozen("array", np.array(v))
        return v

    @staticmethod
    def unwrap(v):
        if not isinstance(v, _Frozen):
            return v
        if v.kind == "mapping":
            return MappingProxyType({k: _Frozen.unwrap(x) for k, x in v.value.items()})
        arr = np.array(v.value)
        arr.setflags(write=False)
        return arr


def _rebuild_results(cls, state: dict):
    """Inverse of :meth:`Results.__reduce__`."""
    obj = cls.__new__(cls)
    for name, value in state.items():
        object.__setattr__(obj, name, _Frozen.unwrap(value))
    return obj
