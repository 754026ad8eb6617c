"""Placebo checks of a participation premium: placebo outcomes and placebo (permuted) treatments.

* :func:`placebo_outcomes` estimates the OLS premium (same controls, fixed effects and design as
  the main specification) on pre-determined variables, which participation cannot have changed;
  a clearly non-zero "effect" points to selection the controls do not absorb.
* :func:`placebo_treatment` re-assigns participation at random (a permutation of the observed
  treatment, within strata such as villages when given) and re-estimates the premium each time.
  The permutation p-value ``(1 + #{|b*| >= |b|}) / (1 + reps)`` says how unusual the observed
  premium is among premiums of treatments that by construction have no effect (Fisher 1935;
  Imbens & Rubin 2015, ch. 5, doi:10.1017/CBO9781139025751).

The permuted estimates come from the Frisch-Waugh-Lovell form of the same weighted regression:
with the controls and fixed-effect dummies ``Z`` and weights ``w``,

    b* = (d*~' W y~) / (d*~' W d*~),   d*~ = d* - Z (Z'WZ)^-1 Z'W d*,

computed with one QR factorisation of ``W^1/2 Z`` for all permutations; a test checks that this
equals :func:`welfare.premium.ols_premium` refitted on permuted data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from welfare._estimation import unpack
from welfare._options import as_columns, check_option, strict_keywords
from welfare._parallel import check_n_jobs, parallel_map
from welfare.data.design import SurveyDesign
from welfare.errors import DataError, UnknownOptionError
from welfare.inference.results import Results

__all__ = ["placebo_outcomes", "placebo_treatment", "PlaceboTreatmentResult"]

#: Permutations re-estimated per parallel task by :func:`placebo_treatment`.
PERMUTATION_BLOCK = 250


def _check_roles(
    treatment: str, outcomes: list[str], controls: list[str], fixed_effects: list[str]
) -> None:
    if treatment in outcomes:
        raise DataError(
            f"outcome {treatment!r} is the treatment: expected a different column as outcome"
        )
    if treatment in controls:
        raise DataError(
            f"controls include the treatment {treatment!r}: expected controls other than the "
            "treatment"
        )
    if treatment in fixed_effects:
        raise DataError(
            f"fixed_effects include the treatment {treatment!r}: expected fixed effects other "
            "than the treatment"
        )
    both = [o for o in outcomes if o in fixed_effects]
    if both:
        raise DataError(
            f"fixed_effects include the outcome(s) {both}: expected fixed effects other than "
            "the outcome"
        )


@strict_keywords
def placebo_outcomes(
    data,
    *,
    treatment: str,
    outcomes: list[str],
    controls: list[str] | None = None,
    fixed_effects: list[str] | None = None,
    design: SurveyDesign | None = None,
    scale: str = "levels",
) -> Results:
    """Premium of participation on pre-determined (placebo) outcomes.

    Each outcome is regressed on the treatment with the same controls (a placebo outcome that is
    also a control is left out of its own control set, noted), fixed effects and design as the
    main specification (:func:`welfare.premium.ols_premium`).

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
        Not modified.
    treatment : str
        0/1 participation column.
    outcomes : list of str
        Pre-determined variables (e.g. the head's age, land per person before participation).
    controls, fixed_effects, design
        As :func:`welfare.premium.ols_premium`.
    scale : {"levels", "log"}, default "levels"

    Returns
    -------
    Results
        One term per placebo outcome: the treatment coefficient, its SE and t from that outcome's
        own regression. Only the diagonal of ``vcov`` is estimated (the regressions are fitted
        separately; a note says so), so use the rows one at a time or adjust with
        :func:`welfare.inference.holm`.

    Raises
    ------
    DataError
        An outcome that is the treatment, controls that include the treatment, or fixed effects
        that include the treatment or an outcome.
    UnknownOptionError
        No outcomes, repeated outcomes, unknown options.
    Others
        As :func:`welfare.premium.ols_premium` for each outcome.
    """
    from welfare.premium.ols import ols_premium

    outcomes = as_columns("outcomes", outcomes)
    controls = as_columns("controls", controls)
    fixed_effects = as_columns("fixed_effects", fixed_effects)
    if not outcomes or len(set(outcomes)) != len(outcomes):
        raise UnknownOptionError(f"outcomes: expected distinct column names, found {outcomes}")
    _check_roles(treatment, outcomes, controls, fixed_effects)
    check_option("scale", scale, ("levels", "log"))
    est, se, notes, fits = [], [], [], []
    for o in outcomes:
        ctr = [c for c in controls if c != o]
        if len(ctr) < len(controls):
            notes.append(f"placebo outcome {o!r} left out of its own control set")
        r = ols_premium(
            data,
            outcome=o,
            treatment=treatment,
            controls=ctr or None,
            fixed_effects=fixed_effects or None,
            scale=scale,
            design=design,
        )
        fits.append(r)
        est.append(float(r.params[treatment]))
        se.append(float(r.std_errors[treatment]))
    first = fits[0]
    dfs = {r.df for r in fits}
    notes.append(
        "Each row is a separate regression; covariances across placebo outcomes are not "
        "estimated (diagonal vcov)."
    )
    if len(dfs) > 1:
        notes.append(f"degrees of freedom differ across outcomes {sorted(dfs)}; the first is used")
    return Results(
        terms=outcomes,
        estimates=np.array(est),
        vcov=np.diag(np.square(se)),
        vcov_spec=first.vcov_spec,
        estimator=f"placebo outcomes ({first.estimator})",
        estimand=f"premium of {treatment} on pre-determined outcomes (expected 0)",
        sample=first.sample,
        n_obs=first.n_obs,
        weights=first.weights,
        data_label=first.data_label,
        synthetic=first.synthetic,
        extra={"n_obs_by_outcome": {o: r.n_obs for o, r in zip(outcomes, fits, strict=True)}},
        notes=notes,
    )


@dataclass(frozen=True)
class PlaceboTreatmentResult:
    """Observed premium against premiums of randomly permuted treatments.

    Attributes
    ----------
    estimate : float
        Observed premium (the treatment coefficient of the main specification).
    placebo_estimates : numpy.ndarray, shape (reps,)
        Premiums of the permuted treatments (read-only).
    p_value : float
        Two-sided permutation p-value ``(1 + #{|b*| >= |b|}) / (1 + reps)``.
    reps : int
    strata : str or None
        Column within which the treatment was permuted.
    seed : int or None
    results : Results
        The main specification (:func:`welfare.premium.ols_premium`).
    """

    estimate: float
    placebo_estimates: np.ndarray = field(repr=False)
    p_value: float
    reps: int
    strata: str | None
    seed: int | None
    results: Results = field(repr=False)

    def tidy(self) -> pd.DataFrame:
        """One row: estimate, placebo mean and sd, the 2.5/97.5 percentiles, p-value."""
        b = self.placebo_estimates
        return pd.DataFrame(
            {
                "term": [self.results.estimand],
                "estimate": [self.estimate],
                "placebo_mean": [float(b.mean())],
                "placebo_sd": [float(b.std(ddof=1))],
                "placebo_p2.5": [float(np.quantile(b, 0.025))],
                "placebo_p97.5": [float(np.quantile(b, 0.975))],
                "p_value": [self.p_value],
                "reps": [self.reps],
            }
        )


def _dummies(frame: pd.DataFrame, cols: list[str], *, categorical: bool) -> np.ndarray:
    """Design columns: numeric as they are, others as dummies without the first level.

    With ``categorical`` every column is coded as dummies (fixed effects).
    """
    parts = []
    for c in cols:
        col = frame[c]
        numeric = pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col)
        if numeric and not categorical:
            parts.append(col.to_numpy(dtype=float)[:, None])
        else:
            d = pd.get_dummies(col.astype(str), drop_first=True, dtype=float)
            parts.append(d.to_numpy())
    return np.hstack(parts) if parts else np.empty((len(frame), 0))


@strict_keywords
def placebo_treatment(
    data,
    *,
    treatment: str,
    outcome: str,
    controls: list[str] | None = None,
    fixed_effects: list[str] | None = None,
    design: SurveyDesign | None = None,
    scale: str = "log",
    strata: str | None = None,
    reps: int = 999,
    random_state: int | np.random.Generator = 0,
    order_by: str | None = None,
    n_jobs: int | None = 1,
) -> PlaceboTreatmentResult:
    """Permutation (placebo-treatment) test of the OLS premium.

    The treatment is permuted ``reps`` times over the estimation sample of the main
    specification (within ``strata`` when given, e.g. villages, so that each village keeps its
    number of participants) and the premium re-estimated with the same controls, fixed effects
    and weights (see the module docstring for the computation).

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
        Not modified.
    treatment, outcome, controls, fixed_effects, design, scale
        As :func:`welfare.premium.ols_premium` (no interactions: the constant-effect model).
    strata : str, optional
        Permute within the groups of this column (default: over the whole sample). Strata in
        which the treatment is constant (one unit, all or none treated) are left as they are.
    reps : int, default 999
        Number of permutations (>= 19).
    random_state : int or numpy.random.Generator, default 0
        The permutations are drawn over the estimation sample in index order, so the same seed
        gives the same result for a frame whose rows are shuffled (index kept).
    order_by : str, optional
        A unit identifier column (e.g. ``"hh_id"``; unique, no missing values in the
        estimation sample): the permutations follow its sorted order instead of the index, so
        the same seed gives the same result however the rows are ordered or re-indexed.
    n_jobs : int or None, default 1
        Workers for the re-estimation, in blocks of ``PERMUTATION_BLOCK`` (250) permutations
        (joblib; ``-1``: one per CPU). All permutations are drawn first, in order, so the
        result is identical for any value (:func:`welfare._parallel.parallel_map`).

    Returns
    -------
    PlaceboTreatmentResult

    Raises
    ------
    DataError
        The outcome is the treatment, the controls include the treatment or the outcome, the
        fixed effects include either, or the treatment is constant within every stratum.
    UnknownOptionError
        ``reps`` not an integer >= 19, ``strata`` not a column name of the data, unknown
        options.
    Others
        As :func:`welfare.premium.ols_premium`.
    """
    from welfare.datasets._common import rng_from
    from welfare.premium.ols import ols_premium

    controls = as_columns("controls", controls)
    fixed_effects = as_columns("fixed_effects", fixed_effects)
    _check_roles(treatment, [outcome], controls, fixed_effects)
    if outcome in controls:
        raise DataError(
            f"controls include the outcome {outcome!r}: expected controls other than the outcome"
        )
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 19:
        raise UnknownOptionError(f"reps: expected an integer >= 19, found {reps!r}")
    check_n_jobs(n_jobs)
    seed, rng = rng_from(random_state)
    inp = unpack(data, design)
    if strata is not None and (not isinstance(strata, str) or strata not in inp.frame.columns):
        raise UnknownOptionError(f"strata: expected a column of the data, found {strata!r}")
    if order_by is not None and (
        not isinstance(order_by, str) or order_by not in inp.frame.columns
    ):
        raise UnknownOptionError(f"order_by: expected a column of the data, found {order_by!r}")
    main = ols_premium(
        data,
        outcome=outcome,
        treatment=treatment,
        controls=controls or None,
        fixed_effects=fixed_effects or None,
        scale=scale,
        design=design,
    )
    sub = inp.frame.loc[main.sample.mask]
    if order_by is not None:  # permute in the order of a unit id: row order and index are moot
        ids = sub[order_by]
        if ids.isna().any() or ids.duplicated().any():
            raise DataError(
                f"order_by {order_by!r}: expected a unique identifier without missing values in "
                f"the estimation sample, found {int(ids.isna().sum())} missing and "
                f"{int(ids.duplicated(keep=False).sum())} repeated"
            )
        try:
            sub = sub.iloc[np.argsort(ids.to_numpy(), kind="stable")]
        except TypeError as e:
            raise DataError(
                f"order_by {order_by!r}: expected sortable ids (one type), found {e}"
            ) from None
    else:
        try:  # permute in index order, so that shuffling the rows of the frame changes nothing
            sub = sub.sort_index(kind="stable")
        except TypeError:  # an index that cannot be sorted (mixed types): frame order
            pass
    sub = sub.reset_index(drop=True)
    if strata is not None and sub[strata].isna().any():
        raise DataError(f"strata {strata!r}: expected no missing values in the estimation sample")
    y = sub[outcome].to_numpy(dtype=float)
    y = np.log(y) if scale == "log" else y
    d = sub[treatment].to_numpy(dtype=float)
    w = (
        sub[inp.design.weights].to_numpy(dtype=float)
        if inp.design.weights is not None
        else np.ones(len(sub))
    )
    Z = np.hstack(
        [
            np.ones((len(sub), 1)),
            _dummies(sub, controls, categorical=False),
            _dummies(sub, fixed_effects, categorical=True),
        ]
    )
    sw = np.sqrt(w / w.mean())
    Q, R = np.linalg.qr(Z * sw[:, None])
    keep = np.abs(np.diag(R)) > 1e-10 * np.abs(np.diag(R)).max()  # drop collinear dummies
    Q = Q[:, keep]
    ys = y * sw
    yt = ys - Q @ (Q.T @ ys)

    def premium(dd: np.ndarray) -> np.ndarray:
        ds = dd * sw[:, None] if dd.ndim == 2 else dd * sw
        dt = ds - Q @ (Q.T @ ds)
        return (dt * (yt if dd.ndim == 1 else yt[:, None])).sum(axis=0) / (dt * dt).sum(axis=0)

    b = float(premium(d))
    if not np.isclose(b, float(main.params[treatment]), rtol=1e-8, atol=1e-12):
        raise DataError(
            f"internal check: the FWL premium {b!r} differs from ols_premium's "
            f"{float(main.params[treatment])!r}; expected equal"
        )
    groups = sub[strata].to_numpy() if strata is not None else np.zeros(len(sub))
    codes = pd.factorize(pd.Series(groups), sort=True)[0]
    idx_by_group = [np.flatnonzero(codes == g) for g in range(codes.max() + 1)]
    if not any(np.unique(d[idx]).size > 1 for idx in idx_by_group):
        where = f"within any stratum of {strata!r}" if strata is not None else "in the sample"
        raise DataError(
            f"treatment {treatment!r}: expected variation {where} to permute, found none "
            "(every permutation would equal the observed assignment)"
        )
    perms = np.empty((len(sub), reps))
    for r in range(reps):
        dp = d.copy()
        for idx in idx_by_group:
            dp[idx] = d[idx][rng.permutation(len(idx))]
        perms[:, r] = dp
    # the residualisation runs in blocks of a fixed number of permutations (the same blocks for
    # any n_jobs, so the same numbers); the permutations themselves were drawn above, in order
    blocks = [perms[:, i : i + PERMUTATION_BLOCK] for i in range(0, reps, PERMUTATION_BLOCK)]
    bstar = np.concatenate(parallel_map(premium, blocks, n_jobs=n_jobs))
    p = float((1 + np.sum(np.abs(bstar) >= abs(b) * (1 - 1e-12))) / (1 + reps))
    bstar.setflags(write=False)
    return PlaceboTreatmentResult(
        estimate=float(main.params[treatment]),
        placebo_estimates=bstar,
        p_value=p,
        reps=int(reps),
        strata=strata,
        seed=seed,
        results=main,
    )
