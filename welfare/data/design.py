"""Survey design: typed weights, strata and primary sampling units.

One :class:`SurveyDesign` is accepted by every estimator and drives its variance. The rules
(DESIGN.md, Conventions):

* ``pweight`` (probability/sampling weights): point estimates are weighted; the variance is a
  sandwich (HC1 without PSUs, cluster/design-based with PSUs). An iid variance is refused.
* ``aweight`` (analytic weights, inverse-variance): weighted least squares; any variance allowed.
* ``fweight`` (frequency weights): integer counts of identical rows; results equal those on the
  expanded data, the number of observations is the sum of the weights.
* With PSUs and no strata, linear models use CRV1 by PSU with a t reference and G - 1 degrees of
  freedom; with strata, the design-based (Taylor linearisation, with-replacement) variance with
  ``df = #PSU - #strata`` (Stata's ``svy`` rule). Maximum-likelihood estimators report z.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from welfare._options import check_option, strict_keywords
from welfare.errors import DesignError, InvalidWeightError, MissingColumnError

__all__ = ["SurveyDesign", "WEIGHT_TYPES"]

WEIGHT_TYPES = ("pweight", "aweight", "fweight")


@dataclass(frozen=True)
class SurveyDesign:
    """Sampling design of a survey data set.

    Parameters
    ----------
    weights : str or None, default None
        Column with the weights; ``None`` means equal weights.
    weight_type : {"pweight", "aweight", "fweight"}, default "pweight"
        Meaning of the weights (see module docstring).
    psu : str or None, default None
        Column with primary-sampling-unit (cluster) ids, e.g. villages.
    strata : str or None, default None
        Column with stratum ids; PSUs are nested in strata (a PSU id may repeat across strata).

    Raises
    ------
    UnknownOptionError
        If ``weight_type`` is not one of the three types.
    """

    weights: str | None = None
    weight_type: str = "pweight"
    psu: str | None = None
    strata: str | None = None

    def __post_init__(self) -> None:
        check_option("weight_type", self.weight_type, WEIGHT_TYPES)
        if self.strata is not None and self.psu is None:
            raise DesignError(
                "strata without PSUs: expected psu=<column> when strata is given "
                "(use psu=<household id column> for a one-stage stratified design); found psu=None"
            )

    @property
    def columns(self) -> list[str]:
        """Columns the design touches, in the order weights, PSU, strata."""
        return [c for c in (self.weights, self.psu, self.strata) if c is not None]

    @property
    def weights_label(self) -> str:
        """``"pweights 'weight'"`` or ``"unweighted"``, for table notes."""
        return f"{self.weight_type}s '{self.weights}'" if self.weights else "unweighted"

    def describe(self) -> str:
        """One-line description used in table notes."""
        parts = [self.weights_label]
        if self.psu:
            parts.append(f"PSU '{self.psu}'")
        if self.strata:
            parts.append(f"strata '{self.strata}'")
        return ", ".join(parts)

    def check(self, data: pd.DataFrame) -> None:
        """Check that the design columns exist and the non-missing weights are valid.

        Raises
        ------
        MissingColumnError
            A design column is not in ``data``.
        InvalidWeightError
            Weights that are non-numeric, zero, negative or infinite; frequency weights that are
            not whole numbers.
        DesignError
            A stratum with a single PSU (its variance contribution is not identified).
        """
        for c in self.columns:
            if c not in data.columns:
                raise MissingColumnError(
                    f"design column {c!r} not found; expected it among the data columns "
                    f"{list(data.columns)[:20]}"
                )
        if self.weights is not None:
            w = data[self.weights]
            if not pd.api.types.is_numeric_dtype(w):
                raise InvalidWeightError(
                    f"weights {self.weights!r}: expected numbers, found dtype {w.dtype}"
                )
            v = w.dropna().to_numpy(dtype=float)
            bad = ~np.isfinite(v) | (v <= 0)
            if bad.any():
                raise InvalidWeightError(
                    f"weights {self.weights!r}: expected finite values > 0, found "
                    f"{int(bad.sum())} value(s) <= 0 or infinite (e.g. {v[bad][:3].tolist()})"
                )
            if self.weight_type == "fweight":
                bad = (v != np.round(v)) | (v < 1)
                if bad.any():
                    raise InvalidWeightError(
                        f"fweights {self.weights!r}: expected whole numbers >= 1 (counts of "
                        f"identical rows), found {int(bad.sum())} other value(s), e.g. "
                        f"{v[bad][:3].tolist()}"
                    )

    def check_strata(self, data: pd.DataFrame) -> None:
        """Raise :class:`DesignError` if a stratum of ``data`` has fewer than two PSUs."""
        if self.strata is None:
            return
        n_psu = data.groupby(self.strata, observed=True)[self.psu].nunique()
        single = n_psu[n_psu < 2]
        if len(single):
            raise DesignError(
                f"expected at least 2 PSUs in every stratum, found "
                f"{len(single)} stratum/strata with one PSU: {single.index.tolist()[:5]}"
            )


# a misspelled keyword (SurveyDesign(wieghts=...)) names the allowed ones (fault kind K04)
SurveyDesign.__init__ = strict_keywords(SurveyDesign.__init__)  # type: ignore[method-assign]
