"""Shared plumbing of the treatment-effect estimators (weighting, regression adjustment, matching).

One estimation sample is built from every column an estimator touches (outcome, treatment,
outcome-model and propensity-model covariates, design columns); the propensity model is fitted
with :func:`welfare.participation.logit`/``probit`` on exactly that sample, and its overlap is
checked here once for every estimator.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from welfare._estimation import (
    Inputs,
    check_names,
    clean_term,
    drop_unused_levels,
    float_integers,
    formula_variables,
    model_matrices,
    prepare,
    unpack,
    weights_array,
)
from welfare._options import as_columns, check_option
from welfare.data.design import SurveyDesign
from welfare.data.sample import EstimationSample, require_columns
from welfare.data.validate import check_binary
from welfare.errors import (
    ColumnTypeError,
    DataError,
    EmptySampleError,
    OutcomeError,
    OverlapError,
    PerfectPredictionError,
    UnknownOptionError,
)

ESTIMANDS = ("ATE", "ATT", "ATC")
OVERLAP_RULES = ("error", "trim", "clip")
#: Default bounds per overlap rule: Stata's ``pstolerance(1e-5)`` for "error"; the Crump, Hotz,
#: Imbens & Mitnik (2009) rule of thumb [0.1, 0.9] for "trim"; [0.01, 0.99] for "clip".
DEFAULT_BOUNDS = {"error": (1e-5, 1 - 1e-5), "trim": (0.1, 0.9), "clip": (0.01, 0.99)}


def rhs_terms(spec, frame: pd.DataFrame, role: str) -> tuple[str, list[str]]:
    """Right-hand side of a model from a list of columns or a formula string.

    A list of column names enters numeric columns as they are and text/categorical columns as
    dummies (``C(col)``); a string is used as a formulaic right-hand side
    (``"mmarried + mage + I(mage**2)"``). Returns the right-hand side and its variables.
    """
    if spec is None:
        raise UnknownOptionError(
            f"{role}: expected a list of columns or a right-hand side, found None"
        )
    if isinstance(spec, str):
        if "~" in spec or "|" in spec:
            raise UnknownOptionError(
                f"{role}: expected a right-hand side such as 'x1 + I(x1**2) + C(x2)', found {spec!r}"
            )
        _, variables = formula_variables(f"_y_ ~ {spec}")
        if not variables:
            raise UnknownOptionError(
                f"{role}: expected at least one covariate, found the right-hand side {spec!r} "
                "without variables"
            )
        require_columns(frame, variables, role=role)
        _check_reserved(variables, role)
        return spec, variables
    cols = as_columns(role, spec)
    if not cols:
        raise UnknownOptionError(f"{role}: expected at least one covariate, found none")
    require_columns(frame, cols, role=role)
    check_names(cols)
    _check_reserved(cols, role)
    terms = []
    for c in cols:
        col = frame[c]
        if col.dtype == object and col.dropna().map(_is_number).all() and col.notna().any():
            raise ColumnTypeError(
                f"{role} {c!r}: expected numbers in a numeric dtype or text categories, found "
                "numbers stored as dtype object; convert it (pd.to_numeric) or make it "
                "categorical explicitly"
            )
        if isinstance(col.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(col):
            terms.append(f"C({c})")
        else:
            terms.append(c)
    return " + ".join(terms), cols


def _is_number(v) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


#: Names the model-building layer uses itself: a covariate with one of them would be merged
#: with the constant or overwritten.
RESERVED = ("Intercept",)


def _check_reserved(cols, role: str) -> None:
    bad = [c for c in cols if c in RESERVED]
    if bad:
        raise DataError(
            f"{role}: the column name(s) {bad} are reserved for the model's constant; expected "
            "other names (rename the column)"
        )


def outcome_column(frame: pd.DataFrame, outcome: str, scale: str) -> tuple[pd.DataFrame, str]:
    """Return a copy of ``frame`` with the analysed outcome and its name.

    ``scale="log"`` adds ``log_<outcome>`` and refuses zero or negative values (named error,
    never a silent drop); ``"levels"`` uses the outcome as it is.
    """
    check_option("scale", scale, ("log", "levels"))
    require_columns(frame, [outcome], role="outcome")
    col = frame[outcome]
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise ColumnTypeError(f"outcome {outcome!r}: expected numbers, found dtype {col.dtype}")
    out = frame.copy()
    out.attrs = dict(frame.attrs)
    if scale == "levels":
        return out, outcome
    nonpos = (col <= 0) & col.notna()
    if nonpos.any():
        raise OutcomeError(
            f"log of {outcome!r}: expected positive values, found {int(nonpos.sum())} "
            f"zero/negative value(s) (min {col.min():.6g}); use scale='levels' or an explicit "
            "transformation"
        )
    dep = f"log_{outcome}"
    if dep in frame.columns:
        raise DataError(
            f"the data already have a column {dep!r}; expected it free for log({outcome}) "
            "(rename that column)"
        )
    out[dep] = np.log(col)
    # missing exactly where the outcome is: drop reasons name the user's column (fit_ols)
    out.attrs["welfare_derived"] = {**frame.attrs.get("welfare_derived", {}), dep: outcome}
    return out, dep


@dataclass
class Propensity:
    """A fitted propensity-score model on the estimation sample.

    Attributes
    ----------
    link : object
        The link (``cdf``, ``pdf``, ``score_factor``, ``hessian_weight``).
    link_name : str
    X : numpy.ndarray, shape (n_obs, k)
        Design matrix of the propensity model.
    terms : list of str
    gamma : numpy.ndarray, shape (k,)
    index : numpy.ndarray, shape (n_obs,)
        Linear index ``X @ gamma``.
    score : numpy.ndarray, shape (n_obs,)
        Fitted probability, clipped to the overlap bounds when the rule is ``"clip"``.
    clipped : numpy.ndarray of bool, shape (n_obs,)
    results : Results
        The logit/probit results (coefficients with the model-based variance when admissible).
    """

    link: object
    link_name: str
    X: np.ndarray
    terms: list[str]
    gamma: np.ndarray
    index: np.ndarray
    score: np.ndarray
    clipped: np.ndarray
    results: object
    d: np.ndarray
    overlap: dict = field(default_factory=dict)

    def information_inverse(self, w: np.ndarray) -> np.ndarray:
        """Inverse of the (weighted) observed information, the ML model-based covariance."""
        h = self.link.hessian_weight(self.d, self.index)
        H = (self.X * (w * h)[:, None]).T @ self.X
        return np.linalg.inv(H)


@dataclass
class Prepared:
    """Estimation sample and arrays shared by the treatment-effect estimators."""

    inputs: Inputs
    frame: pd.DataFrame  # estimation sample rows, index reset
    sample: EstimationSample
    y: np.ndarray
    d: np.ndarray
    w: np.ndarray  # normalised to mean 1 (pweights/aweights) or frequency weights
    fweights: bool
    dep: str
    outcome: str
    treatment: str
    Z: np.ndarray | None
    z_terms: list[str]
    ps_rhs: str | None
    notes: list[str]
    z_rhs: str | None = None


def prepare_te(
    data,
    *,
    outcome: str,
    treatment: str,
    covariates,
    propensity,
    scale: str,
    design: SurveyDesign | None,
    cluster: str | None,
    estimator: str,
    extra_roles: list[tuple[str, list[str]]] | None = None,
    covariate_role: str = "outcome-model covariate",
) -> Prepared:
    """Build the one estimation sample of a treatment-effect estimator."""
    inp = unpack(data, design)
    if not isinstance(outcome, str) or not isinstance(treatment, str):
        raise UnknownOptionError(
            f"outcome and treatment: expected column names, found {outcome!r}, {treatment!r}"
        )
    require_columns(inp.frame, [outcome, treatment])
    check_names([outcome, treatment])
    if outcome == treatment:
        raise UnknownOptionError(f"outcome and treatment: expected two columns, found {outcome!r}")
    check_binary(inp.frame, treatment, role="treatment")
    frame, dep = outcome_column(inp.frame, outcome, scale)
    z_rhs, z_vars = (None, [])
    if covariates is not None:
        z_rhs, z_vars = rhs_terms(covariates, inp.frame, "covariates")
    ps_rhs, ps_vars = (None, [])
    if propensity is not None:
        ps_rhs, ps_vars = rhs_terms(propensity, inp.frame, "propensity")
    for v in z_vars + ps_vars:
        if v in (outcome, treatment, dep):
            raise UnknownOptionError(
                f"{estimator}: the outcome or treatment {v!r} cannot also be a covariate"
            )
    # the log outcome is missing exactly where the outcome is (non-positive values raise),
    # so the sample is built on the user's column and drop reasons name it
    roles = [("outcome", [outcome]), ("treatment", [treatment])]
    if z_vars:
        roles.append((covariate_role, z_vars))
    if ps_vars:
        roles.append(("propensity covariate", [v for v in ps_vars if v not in z_vars]))
    for role, cols in extra_roles or []:
        require_columns(inp.frame, cols, role=role)
        check_names(cols)
        roles.append((role, cols))
    roles = [(r, c) for r, c in roles if c]
    sample = prepare(frame, inp.design, roles, cluster)
    sub = frame.loc[sample.mask].reset_index(drop=True)
    sub[treatment] = sub[treatment].astype(float)
    sub, notes = drop_unused_levels(sub)
    sub = float_integers(sub)
    d = sub[treatment].to_numpy(dtype=float)
    n1, n0 = int((d == 1).sum()), int((d == 0).sum())
    if n1 < 2 or n0 < 2:
        raise EmptySampleError(
            f"{estimator}: expected at least 2 treated and 2 control units in the estimation "
            f"sample, found {n1} treated and {n0} controls ({sample.describe()})"
        )
    yv = sub[dep].to_numpy(dtype=float)
    if np.ptp(yv) == 0:
        raise OutcomeError(
            f"{estimator}: expected an outcome that varies, found {dep!r} constant "
            f"({yv[0]:g}) in the estimation sample"
        )
    w = weights_array(frame, inp.design, sample)
    fw = inp.design.weights is not None and inp.design.weight_type == "fweight"
    if not fw:
        w = w / w.mean()
    Z, z_terms = None, []
    if z_rhs is not None:
        mm = model_matrices(f"{dep} ~ {z_rhs}", sub)
        Z = np.asarray(mm.rhs, dtype=float)
        z_terms = [clean_term(t) for t in mm.rhs.columns]
        if not [t for t in z_terms if t != "Intercept"]:
            raise UnknownOptionError(
                f"{estimator}: expected at least one covariate term, found only {z_terms}"
            )
    return Prepared(
        inputs=inp,
        frame=sub,
        sample=sample,
        y=sub[dep].to_numpy(dtype=float),
        d=d,
        w=w,
        fweights=fw,
        dep=dep,
        outcome=outcome,
        treatment=treatment,
        Z=Z,
        z_terms=z_terms,
        ps_rhs=ps_rhs,
        notes=list(notes),
        z_rhs=z_rhs,
    )


def fit_propensity(
    prep: Prepared,
    link: str,
    overlap: str,
    bounds: tuple[float, float] | None,
    estimator: str,
) -> tuple[Propensity, Prepared]:
    """Fit the propensity model and apply the overlap rule.

    Returns the propensity model and the (possibly trimmed) prepared input. With ``"trim"``
    the units whose fitted score lies outside ``bounds`` leave the estimation sample (counted
    as a drop reason) and the propensity model is refitted on the units kept, so every moment
    of the estimator uses one sample.

    Raises
    ------
    OverlapError
        Scores outside the bounds with ``overlap="error"``, perfect prediction of the
        treatment, or a trimmed sample without treated or control units.
    """
    check_option("link", link, ("logit", "probit"))
    check_option("overlap", overlap, OVERLAP_RULES)
    lo, hi = _check_bounds(bounds if bounds is not None else DEFAULT_BOUNDS[overlap], overlap)
    ps = _fit_link(prep, link, estimator)
    info = {"rule": overlap, "bounds": (lo, hi), "n_below": 0, "n_above": 0}
    p = ps.score
    below, above = p < lo, p > hi
    info.update(score_min=float(p.min()), score_max=float(p.max()))
    if overlap == "error" and (below.any() or above.any()):
        raise OverlapError(
            f"{estimator}: expected propensity scores in [{lo:g}, {hi:g}] (overlap), found "
            f"{int(below.sum())} below and {int(above.sum())} above (min {p.min():.3g}, max "
            f"{p.max():.3g}); inverse-probability weights would be extreme or infinite. Use "
            "overlap='trim' (drops those units and changes the estimand to the overlap "
            "population) or overlap='clip', or respecify the propensity model"
        )
    if overlap == "trim":
        # trim, refit on the units kept, and repeat until every score used lies in the bounds
        # (the refitted model can move scores across a bound); every round is counted
        rounds = 0
        while below.any() or above.any():
            rounds += 1
            if rounds > 20:
                raise OverlapError(
                    f"{estimator}: trimming to [{lo:g}, {hi:g}] did not settle after 20 "
                    "refits; expected a propensity model whose scores stabilise"
                )
            info.update(
                n_below=info["n_below"] + int(below.sum()),
                n_above=info["n_above"] + int(above.sum()),
            )
            prep = _subset(prep, ~(below | above), f"propensity outside [{lo:g}, {hi:g}] (trimmed)")
            d = prep.d
            if min(int((d == 1).sum()), int((d == 0).sum())) < 2:
                raise OverlapError(
                    f"{estimator}: after trimming to [{lo:g}, {hi:g}] fewer than 2 treated or "
                    "control units remain; expected both arms"
                )
            ps = _fit_link(prep, link, estimator)
            p = ps.score
            below, above = p < lo, p > hi
        info.update(trim_rounds=rounds, score_min=float(p.min()), score_max=float(p.max()))
    if overlap == "clip":
        clipped = (p < lo) | (p > hi)
        info.update(n_below=int((p < lo).sum()), n_above=int((p > hi).sum()))
        ps.score = np.clip(p, lo, hi)
        ps.clipped = clipped
    ps.overlap = info
    return ps, prep


def _check_bounds(bounds, overlap: str) -> tuple[float, float]:
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise UnknownOptionError(
            f"overlap_bounds: expected (low, high) probabilities, found {bounds!r}"
        ) from None
    if not (0 < lo < hi < 1):
        raise UnknownOptionError(
            f"overlap_bounds: expected 0 < low < high < 1, found ({lo:g}, {hi:g}) "
            f"for overlap={overlap!r}"
        )
    return lo, hi


def _fit_link(prep: Prepared, link: str, estimator: str) -> Propensity:
    from welfare.participation.binary import _LINKS, _binary_model

    if prep.ps_rhs is None:
        raise UnknownOptionError(f"{estimator}: expected a propensity model (propensity=[...])")
    weights = None
    frame = prep.frame
    if prep.inputs.design.weights is not None:
        weights = "_welfare_weight_"
        while weights in frame.columns:  # never overwrite a user's column
            weights += "_"
        frame = frame.assign(**{weights: prep.w})
    des = SurveyDesign(
        weights=weights,
        weight_type=prep.inputs.design.weight_type if weights else "pweight",
    )
    try:
        res = _binary_model(
            link,
            f"{prep.treatment} ~ {prep.ps_rhs}",
            frame,
            des,
            None,
            "HC1" if weights and not prep.fweights else "iid",
            100,
            1e-10,
        )
    except PerfectPredictionError as e:
        raise OverlapError(
            f"{estimator}: the propensity covariates predict the treatment perfectly, so some "
            f"propensity scores are 0 or 1 and no weighting or matching estimator exists there "
            f"({e}). Expected overlap; drop the units outside the common support explicitly"
        ) from e
    if res.n_obs != (int(round(prep.w.sum())) if prep.fweights else len(prep.frame)):
        raise DataError(f"{estimator}: the propensity model dropped rows; expected none")
    ctx = res._ctx
    X = ctx["X"]
    gamma = res.params.to_numpy()
    lk = _LINKS[link]
    z = X @ gamma
    ps = Propensity(
        link=lk,
        link_name=link,
        X=X,
        terms=list(res.terms),
        gamma=gamma,
        index=z,
        score=lk.cdf(z),
        clipped=np.zeros(len(z), dtype=bool),
        results=res,
        d=prep.d,
    )
    return ps


def _subset(prep: Prepared, keep: np.ndarray, reason: str) -> Prepared:
    """Prepared input restricted to ``keep`` (positions in the estimation sample)."""
    full = np.zeros(prep.sample.n_rows, dtype=bool)
    full[np.flatnonzero(prep.sample.mask)[keep]] = True
    sample = prep.sample.extend(reason, full)
    w = prep.w[keep]
    if not prep.fweights:
        w = w / w.mean()
    return Prepared(
        inputs=prep.inputs,
        frame=prep.frame.loc[keep].reset_index(drop=True),
        sample=sample,
        y=prep.y[keep],
        d=prep.d[keep],
        w=w,
        fweights=prep.fweights,
        dep=prep.dep,
        outcome=prep.outcome,
        treatment=prep.treatment,
        Z=None if prep.Z is None else prep.Z[keep],
        z_terms=prep.z_terms,
        ps_rhs=prep.ps_rhs,
        notes=prep.notes,
        z_rhs=prep.z_rhs,
    )


def check_estimand(estimand: str) -> str:
    """Validate the estimand name (ATE, ATT, ATC)."""
    check_option("estimand", estimand, ESTIMANDS)
    return estimand
