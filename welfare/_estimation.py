"""Shared plumbing of the estimators: data unpacking, variance choice, formula variables."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from welfare._options import check_option
from welfare.data.design import SurveyDesign
from welfare.data.readers import SurveyData
from welfare.data.sample import EstimationSample, build_sample, require_columns
from welfare.errors import DesignError, UnknownOptionError, VarianceError

VCOV_TYPES = ("iid", "HC1", "CRV1", "design")


@dataclass(frozen=True)
class Inputs:
    """Unpacked estimator input."""

    frame: pd.DataFrame
    design: SurveyDesign
    label: str
    synthetic: bool


def unpack(data, design: SurveyDesign | None) -> Inputs:
    """Accept a DataFrame or a :class:`SurveyData`; return frame, design and label."""
    if isinstance(data, SurveyData):
        if design is not None and design != data.design:
            raise DesignError(
                "design given twice: the SurveyData carries "
                f"({data.design.describe()}) and design= gives ({design.describe()}); pass one"
            )
        return Inputs(data.data, data.design, data.label, data.synthetic)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"data: expected a pandas DataFrame or welfare SurveyData, found {type(data).__name__}"
        )
    if design is not None and not isinstance(design, SurveyDesign):
        raise TypeError(f"design: expected a SurveyDesign, found {type(design).__name__}")
    if data.columns.duplicated().any():
        from welfare.errors import DataError

        dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        raise DataError(f"expected unique column names, found duplicated {dup}")
    label = str(data.attrs.get("welfare_label", ""))
    synthetic = bool(data.attrs.get("welfare_synthetic", False))
    return Inputs(data, design or SurveyDesign(), label, synthetic)


@dataclass(frozen=True)
class VcovChoice:
    """Resolved variance type and the columns it uses."""

    kind: str
    cluster: str | None
    strata: str | None


def resolve_vcov(vcov: str | None, design: SurveyDesign, cluster: str | None) -> VcovChoice:
    """Choose the variance from the option and the design (DESIGN.md, Conventions).

    ``None`` (auto): strata -> ``"design"``; PSU/cluster -> ``"CRV1"``; pweights -> ``"HC1"``;
    otherwise ``"iid"``.

    Raises
    ------
    UnknownOptionError
        ``vcov`` not one of ``"iid", "HC1", "CRV1", "design"``.
    VarianceError
        ``"iid"`` with pweights (fault kind K02); ``"CRV1"``/``"design"`` without clusters.
    DesignError
        A ``cluster`` that contradicts the design's PSU.
    """
    if vcov is not None:
        check_option("vcov", vcov, VCOV_TYPES)
    if cluster is not None and not isinstance(cluster, str):
        raise UnknownOptionError(f"cluster: expected a column name (str), found {cluster!r}")
    if cluster is not None and design.psu is not None and cluster != design.psu:
        raise DesignError(
            f"cluster={cluster!r} contradicts the design's PSU {design.psu!r}; "
            "clusters follow the design, pass one of them"
        )
    clus = cluster or design.psu
    if vcov is None:
        if design.strata is not None:
            vcov = "design"
        elif clus is not None:
            vcov = "CRV1"
        elif design.weights is not None and design.weight_type == "pweight":
            vcov = "HC1"
        else:
            vcov = "iid"
    if vcov == "iid" and design.weights is not None and design.weight_type == "pweight":
        raise VarianceError(
            "vcov='iid' with pweights: expected a sandwich variance ('HC1', 'CRV1' or 'design') "
            "because sampling weights make the model-based variance wrong; found vcov='iid'"
        )
    if vcov in ("CRV1", "design") and clus is None:
        raise VarianceError(
            f"vcov={vcov!r}: expected clusters (design PSU or cluster=<column>), found none"
        )
    strata = design.strata if vcov == "design" else None
    return VcovChoice(vcov, clus if vcov in ("CRV1", "design") else None, strata)


def design_roles(design: SurveyDesign, cluster: str | None) -> list[tuple[str, list[str]]]:
    """Sample roles of the design columns; always included so the sample never depends on vcov."""
    roles = []
    if design.weights:
        roles.append(("weight", [design.weights]))
    clus = cluster or design.psu
    if clus:
        roles.append(("cluster/PSU", [clus]))
    if design.strata:
        roles.append(("stratum", [design.strata]))
    return roles


def formula_variables(formula: str) -> tuple[list[str], list[str]]:
    """Left- and right-hand variables of a formula, in order of appearance.

    Raises
    ------
    UnknownOptionError
        A formula without ``~`` or with ``|`` (fixed effects go in ``fixed_effects=``).
    """
    import formulaic

    if not isinstance(formula, str) or "~" not in formula:
        raise UnknownOptionError(f"formula: expected 'y ~ x1 + x2', found {formula!r}")
    if "|" in formula:
        raise UnknownOptionError(
            f"formula {formula!r}: pass fixed effects in fixed_effects=[...], not after '|'"
        )
    f = formulaic.Formula(formula)

    def order(names):
        pos = {
            n: (m.start() if (m := re.search(rf"\b{re.escape(n)}\b", formula)) else 10**6)
            for n in names
        }
        return sorted(names, key=lambda n: (pos[n], n))

    return order(f.lhs.required_variables), order(f.rhs.required_variables)


def weights_array(
    frame: pd.DataFrame, design: SurveyDesign, sample: EstimationSample
) -> np.ndarray:
    """Weights on the estimation sample (ones if unweighted)."""
    if design.weights is None:
        return np.ones(sample.n_obs)
    return frame.loc[sample.mask, design.weights].to_numpy(dtype=float)


def prepare(
    frame: pd.DataFrame,
    design: SurveyDesign,
    roles: list[tuple[str, list[str]]],
    cluster: str | None,
) -> EstimationSample:
    """Check design columns and build the estimation sample for ``roles`` + design columns."""
    require_columns(frame, [c for _, cols in roles for c in cols])
    if cluster is not None:
        require_columns(frame, [cluster], role="cluster")
    design.check(frame)
    return build_sample(frame, roles + design_roles(design, cluster))


_TERM_PATTERNS = (
    re.compile(r"^C\((\w+)\)\[T\.(.*)\]$"),
    re.compile(r"^(\w+)\[T\.(.*)\]$"),
)


def clean_term(term: str) -> str:
    """Display name of a design term: ``C(edu)[T.vocational]`` -> ``edu[vocational]``."""
    for pat in _TERM_PATTERNS:
        m = pat.match(term)
        if m:
            return f"{m.group(1)}[{m.group(2)}]"
    return term


def drop_unused_levels(sub: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Remove categorical levels with no row in the estimation sample (noted, not silent).

    An empty level would otherwise become the reference category and silently change what the
    other levels are compared with.
    """
    notes = []
    out = sub
    for c in sub.columns:
        col = sub[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            used = set(col.dropna().unique())
            unused = [v for v in col.cat.categories if v not in used]
            if unused:
                if out is sub:
                    out = sub.copy()
                out[c] = col.cat.remove_unused_categories()
                notes.append(
                    f"level(s) {unused} of {c!r} have no row in the estimation sample and were "
                    "removed (the reference is the first remaining level)"
                )
    return out, notes


def pow2_unit(values, *, max_ratio_exp: int = 64) -> float:
    """A power of two near the spread of ``values``: dividing by it is exact in floating point.

    Sums of squares and cross-products of raw columns overflow float64 near 1e154 and underflow
    near 1e-154, and pyfixest's demeaning and collinearity tolerances are absolute; a column
    divided by this unit has a standard deviation in [0.5, 1) and is undone exactly (a power of
    two changes the exponent only), so estimates computed on the divided columns and multiplied
    back equal those on the raw columns wherever the raw computation neither over- nor
    underflows.

    Parameters
    ----------
    values : array_like, shape (n,)
        A column (missing and infinite values are ignored).
    max_ratio_exp : int, default 64
        The unit is at least ``2**-max_ratio_exp`` times the largest ``|value|``, so that a
        column whose mean dwarfs its spread (mean/sd above about 1.8e19, numerically constant)
        still cannot overflow when squared. ``0`` gives the power of two near the largest
        ``|value|`` (``max|values| / unit`` in [0.5, 1)), the unit for powers of incomes.

    Returns
    -------
    float
        ``2**e`` with ``std(values) / 2**e`` in [0.5, 1) (population sd); for a column without
        spread ``max|values| / 2**e`` in [0.5, 1); 1.0 for an empty or all-zero column.
        Equivariant: ``pow2_unit(values * 2**k) == pow2_unit(values) * 2**k`` exactly (no
        logarithm is rounded: the exponents come from :func:`numpy.frexp`) while the unit stays
        within ``[2**-1021, 2**1023]`` (normal floats).
    """
    v = np.asarray(values, dtype=float).reshape(-1)
    v = v[np.isfinite(v)]
    top = float(np.max(np.abs(v))) if v.size else 0.0
    if top == 0.0:
        return 1.0
    e_top = int(np.frexp(top)[1])  # top = m 2**e_top, m in [0.5, 1)
    sd = float(np.std(np.ldexp(v, -e_top)))  # on [-1, 1]: no overflow, exact division
    e = e_top + int(np.frexp(sd)[1]) if sd > 0 else e_top
    e = max(e, e_top - max_ratio_exp)
    return float(np.ldexp(1.0, min(max(e, -1021), 1023)))  # a normal float, never inf


def design_rank(X: np.ndarray) -> int:
    """Rank of a design matrix judged on standardised columns.

    ``numpy.linalg.matrix_rank`` on raw columns calls a covariate with a large mean relative to
    its spread (mean/sd near 1e7) collinear with the constant; centring and scaling every
    non-constant column first (constant columns kept as ones, all-zero columns as zeros)
    removes that false alarm while keeping true dependencies. Each column is first divided by
    a power of two near its largest ``|value|`` (exact), so the result does not depend on the
    columns' units: a design times 1e200 (whose sums of squares overflow float64) or times
    1e-200 has the rank of the design itself.

    Parameters
    ----------
    X : array_like, shape (n_obs, n_columns)
        Finite design matrix.

    Returns
    -------
    int
        Numerical rank (``numpy.linalg.matrix_rank`` default tolerance) of the standardised
        columns.
    """
    X = np.asarray(X, dtype=float)
    if X.size == 0:
        return 0
    top = np.max(np.abs(X), axis=0)
    e = np.frexp(np.where(np.isfinite(top) & (top > 0), top, 1.0))[1]
    X = np.ldexp(X, -e[None, :])  # columns in [-1, 1], exactly
    const = np.ptp(X, axis=0) == 0
    sd = X.std(axis=0)
    Xs = np.where(
        const,
        np.where(X[:1] != 0, 1.0, 0.0),
        (X - X.mean(axis=0)) / np.where(const | (sd == 0), 1, sd),
    )
    return int(np.linalg.matrix_rank(Xs))


def float_integers(sub: pd.DataFrame) -> pd.DataFrame:
    """Narrow integer columns widened to int64 before formula evaluation (values unchanged).

    Stata files store small integers as int8/int16; ``I(age**2)`` evaluated on int8 wraps
    around (30**2 -> -124) without any warning. int64 keeps category labels of ``C(x)`` as
    they are. Returns a new frame when a column changes.
    """
    narrow = [
        c
        for c in sub.columns
        if pd.api.types.is_integer_dtype(sub[c])
        and not pd.api.types.is_bool_dtype(sub[c])
        and not isinstance(sub[c].dtype, pd.CategoricalDtype)
        and (sub[c].dtype.itemsize < 8 or pd.api.types.is_unsigned_integer_dtype(sub[c]))
    ]
    if not narrow:
        return sub
    out = sub.copy()
    out.attrs = dict(sub.attrs)
    for c in narrow:
        out[c] = out[c].astype("Int64" if sub[c].isna().any() else "int64")
    return out


def model_matrices(formula: str, sub: pd.DataFrame):
    """Evaluate the formula on the estimation sample; refuse expressions that give NaN or inf.

    Returns formulaic's model matrices (``.lhs``, ``.rhs``).

    Raises
    ------
    ImpossibleValueError
        A transformation in the formula (``np.log(x)``, ``I(1/x)``) is missing or infinite for
        some rows: those rows would otherwise be dropped silently.
    UnknownOptionError
        A left-hand side that is not one variable.
    """
    import formulaic

    from welfare.errors import ImpossibleValueError

    mm = formulaic.model_matrix(formula, sub, na_action="ignore")
    if mm.lhs.shape[1] != 1:
        raise UnknownOptionError(
            f"formula {formula!r}: expected one outcome column on the left, found "
            f"{list(mm.lhs.columns)}"
        )
    for part in (mm.lhs, mm.rhs):
        arr = np.asarray(part, dtype=float)
        if arr.shape[0] != len(sub):
            raise ImpossibleValueError(
                f"formula {formula!r}: expected {len(sub)} rows after evaluation, found "
                f"{arr.shape[0]}; a transformation produced missing values"
            )
        bad = ~np.isfinite(arr)
        if bad.any():
            cols = [str(c) for c, b in zip(part.columns, bad.any(axis=0), strict=True) if b]
            raise ImpossibleValueError(
                f"formula {formula!r}: term(s) {cols} are missing or infinite in "
                f"{int(bad.any(axis=1).sum())} row(s) of the estimation sample (e.g. log of a "
                "non-positive value); expected finite values - transform or drop those rows "
                "explicitly"
            )
    return mm


def check_outcome_name(formula: str, frame: pd.DataFrame) -> str:
    """The left-hand side must be a plain column (binary checks apply to it)."""
    lhs = formula.split("~", 1)[0].strip()
    if lhs not in frame.columns:
        raise UnknownOptionError(
            f"formula {formula!r}: expected a column name on the left-hand side, found {lhs!r} "
            "(create the transformed outcome as a column first)"
        )
    return lhs


def check_enough(n_obs: int, n_params: int, what: str) -> None:
    """Raise EmptySampleError unless there are more observations than parameters."""
    from welfare.errors import EmptySampleError

    if n_obs <= n_params:
        raise EmptySampleError(
            f"{what}: expected more observations than parameters, found {n_obs} observation(s) "
            f"for {n_params} parameter(s)"
        )


def check_clusters(sub: pd.DataFrame, cluster: str | None) -> None:
    """Raise VarianceError when fewer than two clusters remain."""
    if cluster is None:
        return
    g = sub[cluster].nunique()
    if g < 2:
        raise VarianceError(
            f"cluster {cluster!r}: expected at least 2 clusters in the estimation sample, found {g}"
        )


def check_names(columns) -> None:
    """Column names used to build formulas must be Python identifiers.

    Raises
    ------
    UnknownOptionError
        A name such as ``"income-pc"`` or ``"head age"`` (it would be parsed as an expression);
        rename the column (the codebook can do it).
    """
    bad = [c for c in columns if not str(c).isidentifier()]
    if bad:
        raise UnknownOptionError(
            f"column name(s) {bad} are not valid identifiers (letters, digits, underscores); "
            "expected names like 'income_pc' - rename them (e.g. in the codebook)"
        )
