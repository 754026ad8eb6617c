"""Shared input handling and variance machinery of the inequality estimators.

One :class:`Prepared` per call: the income vector, weights, PSU/strata codes and groups of the
estimation sample, with every left-out row counted by reason. The two variances:

* **linearised** (default): the design variance of the total of the linearised variable
  ``z_i = IF_i / W`` (:func:`linearized_vcov`); PSUs drawn with replacement within strata,
  factor n_h/(n_h - 1) (Stata ``svy``); without PSUs every observation is its own PSU
  (n/(n - 1)); degrees of freedom #PSU - #strata (n - 1 without PSUs).
* **bootstrap**: the Rao-Wu (1988) rescaling bootstrap with m_h = n_h - 1 PSUs drawn with
  replacement in each stratum (:func:`bootstrap_multipliers`); weights are rescaled, the data are
  never re-sorted, so a replicate costs O(n).

References
----------
Rao, J. N. K. & Wu, C. F. J. (1988). Resampling inference with complex survey data. *JASA*
83(401), 231-241. doi:10.1080/01621459.1988.10478591
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import numpy as np
import pandas as pd

from welfare._estimation import unpack
from welfare._options import check_option
from welfare.data.design import SurveyDesign
from welfare.data.sample import EstimationSample, build_sample
from welfare.errors import (
    DataError,
    DesignError,
    EmptySampleError,
    InvalidWeightError,
    UnknownOptionError,
    VarianceError,
)
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat

VCOV_KINDS = ("linearized", "bootstrap")
NONPOSITIVE = ("error", "exclude")


class IncomeDomainError(DataError):
    """Incomes outside the domain of a requested index (negative, zero) or a zero mean."""


@dataclass
class Prepared:
    """The estimation sample of an inequality call, as arrays."""

    y: np.ndarray
    w: np.ndarray  # weights (ones if unweighted; counts for fweights)
    fweights: bool
    psu: np.ndarray | None
    strata: np.ndarray | None
    psu_name: str | None
    strata_name: str | None
    groups: np.ndarray | None  # codes 0..L-1
    levels: list
    sample: EstimationSample
    label: str
    synthetic: bool
    weights_label: str
    extra_cols: dict

    @property
    def n_units(self) -> float:
        """Sampled units: rows, or the sum of the frequency weights."""
        return float(self.w.sum()) if self.fweights else float(len(self.y))


def level_name(v) -> str:
    """Print a group level (1.0 as 1)."""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _numeric_kind(values) -> bool:
    """True for real numbers (integers or floats; not bool, complex, text or objects)."""
    return np.asarray(values).dtype.kind in "iuf"


def pow2_scale(values: np.ndarray) -> float:
    """A power of two near max |values| (1 for all zeros): dividing by it is exact in floating
    point (ties and sums are kept), and it keeps powers and products of huge or tiny incomes
    from overflowing or underflowing (:func:`welfare._estimation.pow2_unit` with
    ``max_ratio_exp=0``: max |values| / unit in [0.5, 1))."""
    from welfare._estimation import pow2_unit

    return pow2_unit(values, max_ratio_exp=0)


def check_numeric(frame: pd.DataFrame, column: str, role: str) -> None:
    """Raise :class:`DataError` unless ``column`` holds real numbers (bool and text refused)."""
    col = frame[column]
    if (
        not pd.api.types.is_numeric_dtype(col)
        or pd.api.types.is_bool_dtype(col)
        or (pd.api.types.is_complex_dtype(col))
    ):
        raise DataError(
            f"{role} {column!r}: expected real numbers, found dtype {col.dtype} "
            f"(values such as {col.dropna().unique()[:3].tolist()})"
        )


def as_frame(data, income, weights, weight_type, design):
    """Accept an array of incomes (with optional weights array) or a frame with column names."""
    if isinstance(data, np.ndarray | list | tuple | pd.Series):
        y = np.asarray(data)
        if y.ndim != 1:
            raise DataError(f"income: expected a 1-D array, found shape {y.shape}")
        if not _numeric_kind(y):
            raise DataError(
                f"income: expected an array of real numbers, found dtype {y.dtype} "
                f"(values such as {y[:3].tolist()})"
            )
        if income is not None:
            raise UnknownOptionError(
                "income= names a column; with an array of incomes leave it out"
            )
        if design is not None:
            raise UnknownOptionError(
                "design= needs a data frame with the design columns; with an array of incomes "
                "pass weights= (and weight_type=), or put the data in a frame"
            )
        frame = pd.DataFrame({"income": y.astype(float)})
        if weights is not None:
            wv = np.asarray(weights)
            if wv.ndim != 1 or len(wv) != len(y):
                raise InvalidWeightError(
                    f"weights: expected a 1-D array of length {len(y)} (one per income), found "
                    f"shape {wv.shape}"
                )
            if not _numeric_kind(wv):
                raise InvalidWeightError(f"weights: expected real numbers, found dtype {wv.dtype}")
            frame["weight"] = wv.astype(float)
            design = SurveyDesign(weights="weight", weight_type=weight_type)
        elif weight_type != "pweight":
            raise UnknownOptionError(
                f"weight_type={weight_type!r} without weights=: expected weights to go with it"
            )
        return frame, "income", design
    if weights is not None:
        raise UnknownOptionError(
            "weights= is for arrays; with a data frame pass design=SurveyDesign(weights=...)"
        )
    if weight_type != "pweight":
        raise UnknownOptionError(
            "weight_type= is for arrays; with a data frame the SurveyDesign carries it "
            f"(found weight_type={weight_type!r})"
        )
    if not isinstance(income, str):
        raise UnknownOptionError(f"income: expected a column name, found {income!r}")
    return data, income, None


def prepare(
    data,
    income,
    *,
    design,
    by=None,
    domain: str = "any",
    nonpositive: str = "error",
    domain_reason: str = "",
    extra_roles=(),
    weights=None,
    weight_type: str = "pweight",
    exclude_hint: bool = True,
    numeric_extra: bool = True,
) -> Prepared:
    """Build the estimation sample and its arrays (input never modified).

    Raises
    ------
    MissingColumnError, InvalidWeightError, EmptySampleError, IncomeDomainError
    """
    check_option("nonpositive", nonpositive, NONPOSITIVE)
    frame0, income, design_arr = as_frame(data, income, weights, weight_type, design)
    if design_arr is not None:
        design = design_arr
    inp = unpack(frame0, design)
    frame, design = inp.frame, inp.design
    design.check(frame)
    roles = [("income", [income])]
    if by is not None:
        if not isinstance(by, str):
            raise UnknownOptionError(f"by: expected a column name, found {by!r}")
        roles.append(("group", [by]))
    roles += list(extra_roles)
    if design.weights:
        roles.append(("weight", [design.weights]))
    if design.psu:
        roles.append(("PSU", [design.psu]))
    if design.strata:
        roles.append(("stratum", [design.strata]))
    sample = build_sample(frame, roles, min_obs=1)
    check_numeric(frame, income, "income")
    for role, cols in extra_roles if numeric_extra else ():
        for c in cols:
            check_numeric(frame, c, role)
    if by is not None and by == income:
        raise UnknownOptionError(f"by={by!r} is the income column itself; expected a group column")
    yv = frame[income].to_numpy(dtype=float, na_value=np.nan)
    if domain != "any":
        bad = (yv <= 0) if domain == "positive" else (yv < 0)
        bad &= sample.mask
        if bad.any():
            what = "<= 0" if domain == "positive" else "< 0"
            if nonpositive == "error":
                raise IncomeDomainError(
                    f"income {income!r}: {domain_reason} needs incomes "
                    f"{'> 0' if domain == 'positive' else '>= 0'}; found {int(bad.sum())} "
                    f"value(s) {what} (e.g. {yv[bad][:3].tolist()})"
                    + (
                        "; pass nonpositive='exclude' to leave them out (counted), or choose "
                        "indices defined for them"
                        if exclude_hint
                        else ""
                    )
                )
            sample = sample.extend(f"income {what} ({domain_reason})", ~bad)
    if sample.n_obs < 1:
        raise EmptySampleError(f"no rows left for the inequality estimates ({sample.describe()})")
    m = sample.mask
    complete = sample.n_obs == len(frame)
    # read-only arrays: a view of the caller's data is never written to
    y = yv if complete else yv[m]
    fw = design.weights is not None and design.weight_type == "fweight"
    if design.weights:
        wcol = frame[design.weights].to_numpy(dtype=float)
        w = wcol if complete else wcol[m]
    else:
        w = np.ones(len(y))
    y, w = y.view(), w.view()
    y.setflags(write=False)
    w.setflags(write=False)
    psu = strata = None
    if design.psu:
        key = (
            pd.MultiIndex.from_arrays([frame.loc[m, design.strata], frame.loc[m, design.psu]])
            if design.strata
            else frame.loc[m, design.psu]
        )
        psu = pd.factorize(key, sort=True)[0]
        if design.strata:
            strata = pd.factorize(frame.loc[m, design.strata], sort=True)[0]
    groups, levels = None, []
    if by is not None:
        groups, levels = _group_codes(frame[by] if complete else frame.loc[m, by])
        names = [level_name(v) for v in levels]
        if len(set(names)) < len(names):
            raise DataError(
                f"by={by!r}: group labels {levels} print alike ({names}); expected distinct "
                "labels (recode the column to one type)"
            )
    extra = {c: frame.loc[m, c].to_numpy() for _, cols in extra_roles for c in cols}
    wl = "unweighted"
    if design.weights:
        wl = f"{design.weight_type}s {design.weights!r}"
    return Prepared(
        y=y,
        w=w,
        fweights=fw,
        psu=psu,
        strata=strata,
        psu_name=design.psu,
        strata_name=design.strata,
        groups=groups,
        levels=levels,
        sample=sample,
        label=inp.label,
        synthetic=inp.synthetic,
        weights_label=wl,
        extra_cols=extra,
    )


def _group_codes(col: pd.Series) -> tuple[np.ndarray, list]:
    """Codes 0..L-1 of the sorted group levels (O(n) for small-range integer columns)."""
    if pd.api.types.is_integer_dtype(col) and not isinstance(col.dtype, pd.CategoricalDtype):
        v = col.to_numpy()
        lo, hi = int(v.min()), int(v.max())
        if hi - lo < 1_000_000:
            present = np.bincount(v - lo, minlength=hi - lo + 1) > 0
            lookup = np.cumsum(present) - 1
            return lookup[v - lo], [lo + int(i) for i in np.flatnonzero(present)]
    codes, uniq = pd.factorize(col, sort=True)
    return codes, list(uniq)


def _psu_sums(prep: Prepared, z: np.ndarray) -> np.ndarray:
    """Sum of w_i z_i within each PSU, shape (G, k)."""
    G = int(prep.psu.max()) + 1
    wz = z * prep.w[:, None]
    return np.column_stack(
        [np.bincount(prep.psu, weights=wz[:, j], minlength=G) for j in range(z.shape[1])]
    )


def design_df(prep: Prepared) -> tuple[int, int | None, int | None]:
    """Degrees of freedom, number of PSUs and strata."""
    if prep.psu is None:
        return int(round(prep.n_units)) - 1, None, None
    G = int(prep.psu.max()) + 1
    H = int(prep.strata.max()) + 1 if prep.strata is not None else 1
    return G - H, G, (H if prep.strata is not None else None)


def clean_vcov(V: np.ndarray) -> np.ndarray:
    """Symmetrise; a variance that is zero up to rounding (e.g. -1e-18) is set to 0."""
    V = (np.asarray(V, dtype=float) + np.asarray(V, dtype=float).T) / 2
    d = np.diag(V).copy()
    scale = np.max(np.abs(d)) if d.size else 0.0
    tiny = (d < 0) & (d >= -1e-12 * max(scale, 1e-300))
    if tiny.any():
        V[tiny, :] = 0.0
        V[:, tiny] = 0.0
    return V


def unit_meat(ws: np.ndarray, z: np.ndarray, fweights: bool) -> np.ndarray:
    """sum_i c_i z_i z_i' with c = w^2 (or the frequency weight): the meat without PSUs.

    Any order of the units gives the same matrix, so sorted arrays can be used as they are.
    """
    if fweights:
        return (z * ws[:, None]).T @ z
    v = z * ws[:, None]
    return v.T @ v


def linearized_vcov(
    prep: Prepared, z: np.ndarray | None, unit_meat_: np.ndarray | None = None
) -> tuple[np.ndarray, VcovSpec]:
    """Design variance of sum_i w_i z_i (z: linearised variables, shape (n, k)).

    Without PSUs the meat may be passed precomputed (``unit_meat_``, from :func:`unit_meat`).

    Raises
    ------
    VarianceError
        Fewer than two sampled units or PSUs.
    """
    df, G, H = design_df(prep)
    if prep.psu is None:
        n = prep.n_units
        if n < 2:
            raise VarianceError(f"expected at least 2 sampled units for a variance, found {n:g}")
        if unit_meat_ is None:
            M = unit_meat(prep.w, np.asarray(z, dtype=float), prep.fweights)
        else:
            M = unit_meat_
        factor = n / (n - 1)
        V = factor * M
        spec = VcovSpec("linearized", df=df, small_sample=factor)
    else:
        U = _psu_sums(prep, np.asarray(z, dtype=float))
        if G < 2:
            raise VarianceError(f"expected at least 2 PSUs for a variance, found {G}")
        if prep.strata is None:
            M, _, _ = meat(U, clusters=np.arange(G))
            factor = G / (G - 1)
            V = factor * M
        else:
            h_of_psu = np.zeros(G, dtype=int)
            h_of_psu[prep.psu] = prep.strata
            M, _, _ = meat(U, clusters=np.arange(G), strata=h_of_psu)
            factor = 1.0
            V = M
        spec = VcovSpec(
            "linearized",
            cluster=prep.psu_name,
            strata=prep.strata_name,
            n_clusters=G,
            n_strata=H,
            df=df,
            small_sample=factor,
        )
    return clean_vcov(V), spec


def check_boot(n_boot, random_state):
    """Validate bootstrap options."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, numbers.Integral) or n_boot < 2:
        raise UnknownOptionError(f"n_boot: expected an integer >= 2, found {n_boot!r}")
    if random_state is None:
        raise UnknownOptionError(
            "vcov='bootstrap' needs random_state (an integer seed or numpy Generator) so that "
            "the replicates can be reproduced; found None"
        )
    if (
        isinstance(random_state, bool)
        or not isinstance(random_state, numbers.Integral | np.random.Generator)
        or (isinstance(random_state, numbers.Integral) and random_state < 0)
    ):
        raise UnknownOptionError(
            "random_state: expected an integer seed >= 0 or numpy Generator, found "
            f"{random_state!r}"
        )


def bootstrap_draws(prep: Prepared, n_boot: int, random_state, order=None):
    """Yield ``n_boot`` replicate draws of the Rao-Wu rescaling bootstrap, as ``(kind, draw)``.

    PSUs (or units without PSUs; expanded units with frequency weights) are resampled n_h - 1
    times with replacement within each stratum and rescaled by n_h/(n_h - 1); the replicate
    weight of unit i is ``w_i * multiplier_i``. Kinds:

    * ``"unit"``: multipliers of exchangeable units (no PSUs, no frequency weights), shape
      (n,); any assignment of the n values to the n units has the same distribution, so a
      caller may apply them in its own (sorted) order without a gather;
    * ``"psu"``: one multiplier per PSU, shape (n_psu,), indexed by the PSU codes;
    * ``"row"``: multipliers per row (frequency weights), shape (n,).

    Without PSUs the draws are in the positions of ``order`` (a permutation of the rows that
    depends on the data only, not on their order): position k belongs to row ``order[k]``, so
    the same seed gives the same replicates for any row order of the input.
    """
    rng = np.random.default_rng(random_state)
    n = len(prep.y)
    if prep.psu is None:
        if prep.n_units < 2:
            raise VarianceError(
                f"bootstrap: expected at least 2 sampled units, found {prep.n_units:g}"
            )
        w = prep.w if order is None else prep.w[order]
        if prep.fweights:
            N = int(round(w.sum()))
            p = w / w.sum()
            for _ in range(n_boot):
                counts = rng.multinomial(N - 1, p)
                yield "row", counts * (N / (N - 1)) / w
        else:
            for _ in range(n_boot):
                counts = np.bincount(rng.integers(0, n, n - 1), minlength=n)
                yield "unit", counts * (n / (n - 1))
        return
    G = int(prep.psu.max()) + 1
    h_of_psu = np.zeros(G, dtype=int)
    if prep.strata is not None:
        h_of_psu[prep.psu] = prep.strata
    members = [np.flatnonzero(h_of_psu == h) for h in range(int(h_of_psu.max()) + 1)]
    small = [h for h, idx in enumerate(members) if len(idx) < 2]
    if small:
        raise DesignError(
            f"bootstrap: expected at least 2 PSUs in every stratum, found {len(small)} "
            "stratum/strata with one (or one PSU in all); collapse strata"
        )
    for _ in range(n_boot):
        r = np.zeros(G)
        for idx in members:
            nh = len(idx)
            draw = rng.integers(0, nh, nh - 1)
            r[idx] = np.bincount(draw, minlength=nh) * (nh / (nh - 1))
        yield "psu", r


def canonical_order(prep: Prepared, *columns: np.ndarray) -> np.ndarray:
    """A permutation of the rows that depends on their values only (ties are identical rows)."""
    keys = [prep.w, prep.y, *columns]
    if prep.groups is not None:
        keys.append(prep.groups)
    return np.lexsort(keys[::-1])


def bootstrap_multipliers(prep: Prepared, n_boot: int, random_state, *columns):
    """Yield ``n_boot`` weight multipliers in row order, shape (n,) (see :func:`bootstrap_draws`).

    ``columns`` (e.g. income sources) join income, weight and group in the canonical order that
    makes the replicates independent of the input's row order.
    """
    order = canonical_order(prep, *columns) if prep.psu is None else None
    for kind, draw in bootstrap_draws(prep, n_boot, random_state, order):
        if kind == "psu":
            yield draw[prep.psu]
        else:
            m = np.empty(len(draw))
            m[order] = draw
            yield m


def bootstrap_vcov(reps: np.ndarray, prep: Prepared, n_boot: int, seed_text: str):
    """Covariance of bootstrap replicates (rows with an undefined value are dropped, counted)."""
    ok = np.all(np.isfinite(reps), axis=1)
    n_bad = int((~ok).sum())
    if ok.sum() < 2 or n_bad > 0.05 * n_boot:
        raise VarianceError(
            f"bootstrap: expected at most 5% of the {n_boot} replicates with an undefined index, "
            f"found {n_bad} (a group or PSU set too small for resampling); use the linearised "
            "variance"
        )
    V = np.atleast_2d(np.cov(reps[ok], rowvar=False, ddof=1))
    df, G, H = design_df(prep)
    spec = VcovSpec(
        f"bootstrap ({int(ok.sum())} Rao-Wu replicates{seed_text})",
        cluster=prep.psu_name,
        strata=prep.strata_name,
        n_clusters=G,
        n_strata=H,
        df=df,
    )
    return V, spec, n_bad


def results(prep: Prepared, *, terms, estimates, vcov, spec, estimator, estimand, extra=None,
            notes=()) -> Results:  # fmt: skip
    """A :class:`Results` carrying the sample, weights and data label of ``prep``.

    Raises
    ------
    IncomeDomainError
        A non-finite estimate (never returned as NaN).
    VarianceError
        A non-finite variance.
    """
    est = np.asarray(estimates, dtype=float)
    bad = [t for t, e in zip(terms, est, strict=True) if not np.isfinite(e)]
    if bad:
        raise IncomeDomainError(
            f"{estimator}: {bad[:5]} undefined (a zero mean or quantile, or incomes so "
            "dispersed that a power or exponential overflows)"
        )
    d = np.diag(np.asarray(vcov, dtype=float))
    bad = [t for t, v in zip(terms, d, strict=True) if not np.isfinite(v) or v < 0]
    if bad:
        raise VarianceError(f"{estimator}: no finite variance for {bad[:5]}")
    return Results(
        terms=terms,
        estimates=estimates,
        vcov=vcov,
        vcov_spec=spec,
        estimator=estimator,
        estimand=estimand,
        sample=prep.sample,
        n_obs=int(round(prep.n_units)),
        weights=prep.weights_label,
        data_label=prep.label,
        synthetic=prep.synthetic,
        extra=extra,
        notes=notes,
    )
