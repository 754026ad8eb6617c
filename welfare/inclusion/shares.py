"""Design-weighted shares (proportions) with linearised standard errors and logit intervals.

Finding F7 ("about half of the e-shop owners are women", "three quarters of rural e-tailers are
20-29", "most households see their social status as equal or higher") is a set of population
shares. For an indicator y_i of a category and a domain (subpopulation) indicator d_i, the
share is the ratio estimator

    p = sum_i w_i d_i y_i / sum_i w_i d_i,

and its variance is the design variance of the total of the linearised variable

    z_i = w_i d_i (y_i - p) / sum_j w_j d_j

(Woodruff 1971; Binder 1983): PSU totals z_hc, PSUs treated as drawn with replacement within
strata,

    V(p) = sum_h n_h/(n_h - 1) sum_c (z_hc - zbar_h)^2,

with t reference and df = #PSU - #strata (Stata ``svy: proportion``; without PSUs every row is
its own PSU and df = n - 1). Without strata this equals the cluster-robust (CRV1) variance of an
intercept-only weighted regression, whose small-sample factor G/(G-1) (N-1)/(N-K) is G/(G-1)
for K = 1.

Domains (``by`` groups, ``domain=``) are estimated as subpopulations: rows outside the domain
keep their PSU in the design with a zero score; the design is never subset (subsetting would
drop PSUs with no domain row and change both the variance and the degrees of freedom; West,
Berglund & Heeringa 2008).

Item missingness: a row whose variable is missing is left out of that variable's domain (zero
score, PSU kept) and counted by reason in ``extra["left_out"]`` and in the notes; it is never
dropped silently. This is the subpopulation treatment of item non-response (Stata ``svy,
subpop()`` with the non-missing rows as the subpopulation); it differs from dropping the rows
(Stata's default casewise deletion) only when a PSU has no observed value. Rows with a
missing weight, PSU or stratum cannot be placed in the design and are dropped, counted in
``sample``.

Confidence intervals: ``ci="logit"`` (default; Stata's ``citype(logit)``, the default of
``svy: proportion`` since Stata 14):

    logit(p) +/- t_{df, 1 - alpha/2} se / (p (1 - p)),   transformed back with the logistic
    function,

so the interval lies inside (0, 1); ``ci="wald"`` gives p +/- t se. When p is 0 or 1 the
linearised standard error is 0 and neither interval is informative: the interval is then the
Clopper-Pearson interval for 0 (or n) successes in the n domain observations (the rule of Korn
& Graubard 1998 for p in {0, 1}: effective sample size = actual sample size), and a note says
so.

References
----------
Woodruff, R. S. (1971). A simple method for approximating the variance of a complicated
estimate. *JASA* 66(334), 411-414. doi:10.1080/01621459.1971.10482279
Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex surveys.
*International Statistical Review* 51(3), 279-292. doi:10.2307/1402588
Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for proportions with small expected
number of positive counts estimated from survey data. *Survey Methodology* 24(2), 193-201.
West, B. T., Berglund, P. & Heeringa, S. G. (2008). A closer examination of subpopulation
analysis of complex-sample survey data. *The Stata Journal* 8(4), 520-531.
doi:10.1177/1536867X0800800404
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy import special

from welfare._estimation import prepare, unpack
from welfare._options import as_columns, check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.data.sample import require_columns
from welfare.errors import (
    ColumnTypeError,
    EmptySampleError,
    ImpossibleValueError,
    UnknownOptionError,
    VarianceError,
)
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat

__all__ = ["proportions", "share_in_range", "ProportionResults", "CI_TYPES"]

CI_TYPES = ("logit", "wald")


class ProportionResults(Results):
    """Results of :func:`proportions`: :meth:`tidy` gives logit (or Wald) intervals.

    ``extra`` holds ``ci``, ``level``, ``n_domain`` ({term: rows in the term's domain}),
    ``domain_weight`` ({term: sum of weights}) and ``left_out`` ({reason: rows}).
    """

    __slots__ = ("_ctx",)

    def tidy(self, alpha: float | None = None) -> pd.DataFrame:
        """Tidy table with the call's interval type.

        Parameters
        ----------
        alpha : float, optional
            1 - confidence level, in (0, 1); default ``1 - level`` of the call.

        Returns
        -------
        pandas.DataFrame
            ``term, estimate, std_error, statistic, p_value, conf_low, conf_high``; statistic
            and p-value test p = 0 (as the base schema), the interval is the call's ``ci``.
            A share of exactly 0 (standard error 0) has statistic 0 and p-value 1 (the
            estimate is the null value; 0/0 would be NaN); a share of 1 has statistic +inf and
            p-value 0.

        Raises
        ------
        UnknownOptionError
            ``alpha`` outside (0, 1), NaN or not a number.
        """
        if alpha is None:
            alpha = 1 - self._ctx["level"]
        elif (
            isinstance(alpha, bool)
            or not isinstance(alpha, numbers.Real)
            or not 0 < alpha < 1  # also refuses NaN
        ):
            raise UnknownOptionError(
                f"alpha: expected a number in (0, 1), e.g. 0.05; found {alpha!r}"
            )
        t = super().tidy(alpha)
        p = t["estimate"].to_numpy()
        se = t["std_error"].to_numpy()
        c = self.critical_value(alpha)
        lo, hi = t["conf_low"].to_numpy().copy(), t["conf_high"].to_numpy().copy()
        inner = (p > 0) & (p < 1)
        if self._ctx["ci"] == "logit":
            with np.errstate(divide="ignore", invalid="ignore"):
                half = c * se / (p * (1 - p))
                lo = np.where(inner, special.expit(special.logit(p) - half), lo)
                hi = np.where(inner, special.expit(special.logit(p) + half), hi)
        n = np.array([self._ctx["n_domain"][term] for term in t["term"]], dtype=float)
        zero, one = p <= 0, p >= 1
        # Clopper-Pearson for 0 or n successes in n domain observations (Korn & Graubard 1998)
        lo = np.where(zero, 0.0, np.where(one, (alpha / 2) ** (1 / n), lo))
        hi = np.where(zero, 1 - (alpha / 2) ** (1 / n), np.where(one, 1.0, hi))
        t["conf_low"], t["conf_high"] = lo, hi
        t["statistic"] = np.where(zero, 0.0, t["statistic"].to_numpy())
        t["p_value"] = np.where(zero, 1.0, t["p_value"].to_numpy())
        return t


def _check_level(level) -> float:
    if (
        isinstance(level, bool)
        or not isinstance(level, numbers.Real)
        or not np.isfinite(level)
        or not 0 < level < 1
    ):
        raise UnknownOptionError(f"level: expected a number in (0, 1), e.g. 0.95; found {level!r}")
    return float(level)


def _unique(name: str, cols: list[str]) -> None:
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise UnknownOptionError(f"{name}: expected each column once, found {dup} repeated")


def _fmt(v) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _is_binary(col: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(col):
        return True
    if not pd.api.types.is_numeric_dtype(col):
        return False
    return set(np.unique(col.dropna().to_numpy(dtype=float))) <= {0.0, 1.0}


def _items_for(frame: pd.DataFrame, var: str) -> tuple[list[tuple[str, np.ndarray]], np.ndarray]:
    """(term label, 0/1 indicator) pairs and the non-missing mask of one variable."""
    col = frame[var]
    valid = col.notna().to_numpy()
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        return [
            (f"{var}={_fmt(lev)}", (codes == j).astype(float))
            for j, lev in enumerate(col.cat.categories)
        ], valid
    if _is_binary(col):
        y = col.to_numpy(dtype=float, na_value=np.nan)
        return [(f"{var}=1", np.where(valid, y, 0.0))], valid
    if pd.api.types.is_numeric_dtype(col):
        vals = np.unique(col.dropna().to_numpy(dtype=float))
        raise ColumnTypeError(
            f"variable {var!r}: expected a 0/1 indicator or a categorical column, found numbers "
            f"with values such as {vals[:5].tolist()}; use share_in_range() for the share in a "
            "range of values, or pass a derived 0/1 column"
        )
    raise ColumnTypeError(
        f"variable {var!r}: expected a 0/1 indicator or a pandas Categorical, found dtype "
        f"{col.dtype} (values such as {col.dropna().unique()[:3].tolist()}); convert text to a "
        "Categorical (pd.Categorical) to get the share of each level"
    )


def _domain_mask(frame: pd.DataFrame, domain) -> tuple[np.ndarray, np.ndarray]:
    """In-domain rows and the rows with a missing domain indicator."""
    n = len(frame)
    if domain is None:
        return np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    if not isinstance(domain, str):
        raise UnknownOptionError(
            f"domain: expected the name of a 0/1 (or True/False) column, found {domain!r}"
        )
    require_columns(frame, [domain], role="domain")
    col = frame[domain]
    if not _is_binary(col):
        raise ColumnTypeError(
            f"domain {domain!r}: expected a 0/1 or True/False column, found dtype {col.dtype} "
            f"with values such as {col.dropna().unique()[:5].tolist()}"
        )
    miss = col.isna().to_numpy()
    d = np.where(miss, 0.0, col.to_numpy(dtype=float, na_value=np.nan)) == 1
    return d, miss


def _estimate(
    inp,
    variables: list[tuple[str, list[tuple[str, np.ndarray]], np.ndarray]],
    by: list[str],
    domain,
    level: float,
    ci: str,
    estimand: str,
) -> ProportionResults:
    frame, dsg = inp.frame, inp.design
    require_columns(frame, by, role="by")
    sample = prepare(frame, dsg, [], None)
    m = sample.mask
    n = sample.n_obs
    fw = dsg.weights is not None and dsg.weight_type == "fweight"
    w = np.ones(n) if dsg.weights is None else frame.loc[m, dsg.weights].to_numpy(dtype=float)
    dom, dom_missing = _domain_mask(frame, domain)
    dom, dom_missing = dom[m], int(dom_missing[m].sum())
    left_out: dict[str, int] = {}
    notes: list[str] = []
    if domain is not None:
        n_out = int((~dom).sum())
        if dom_missing:
            left_out[f"missing domain indicator {domain!r}"] = int(dom_missing)
        left_out[f"outside domain {domain!r} (zero score, PSU kept)"] = n_out - int(dom_missing)
        notes.append(
            f"Domain {domain!r} == 1 estimated as a subpopulation: {n_out} row(s) outside it keep "
            "their PSU with a zero score."
        )
    # by-groups
    if by:
        bysub = frame.loc[m, by]
        by_ok = bysub.notna().all(axis=1).to_numpy()
        k = int((dom & ~by_ok).sum())  # counted once, among in-domain rows
        if k:
            left_out[f"missing by {by} (outside every group, PSU kept)"] = k
        ranks = []  # categorical by-columns in category order, others by value
        for b in by:
            col = bysub[b]
            if isinstance(col.dtype, pd.CategoricalDtype):
                pos = {v: i for i, v in enumerate(col.cat.categories)}
                ranks.append(lambda v, pos=pos: (0, pos[v], ""))
            else:
                ranks.append(lambda v: (1, 0, v) if isinstance(v, numbers.Real) else (2, 0, str(v)))
        keys = sorted(
            {tuple(r) for r in bysub[by_ok].itertuples(index=False, name=None)},
            key=lambda t: tuple(f(v) for f, v in zip(ranks, t, strict=True)),
        )
        groups = []
        for key in keys:
            g = by_ok.copy()
            for b, v in zip(by, key, strict=True):
                # nullable dtypes compare to <NA> on missing rows (already outside by_ok)
                g &= (bysub[b] == v).to_numpy(dtype=bool, na_value=False)
            label = ", ".join(f"{b}={_fmt(v)}" for b, v in zip(by, key, strict=True))
            groups.append((label, g & by_ok))
    else:
        groups = [("", np.ones(n, dtype=bool))]
    terms, est, cols, n_dom, w_dom = [], [], [], {}, {}
    psu = frame.loc[m, dsg.psu].to_numpy() if dsg.psu is not None else None
    one_psu = []
    for var, items, valid in variables:
        valid = valid[m]
        in_groups = dom & np.logical_or.reduce([g for _, g in groups])
        k = int((in_groups & ~valid).sum())  # each row counted once, by its first reason
        if k:
            left_out[f"missing {var!r} (left out of its domain, PSU kept)"] = k
            notes.append(f"{var!r}: {k} row(s) with a missing value left out of its domain.")
        for glabel, g in groups:
            d = dom & g & valid
            wd = w * d
            W = float(wd.sum())
            for label, y in items:
                term = label + (f" | {glabel}" if glabel else "")
                if W <= 0:
                    raise EmptySampleError(
                        f"{term}: expected at least one row with a non-missing {var!r} in the "
                        f"domain{' and group' if glabel else ''}, found none"
                    )
                yy = y[m]
                p = float(np.sum(wd * yy) / W)
                # linearised variable; for fweights z is that of one unit (counts in the meat)
                z = (d * (yy - p) / W) if fw else (wd * (yy - p) / W)
                terms.append(term)
                est.append(p)
                cols.append(z)
                n_dom[term] = int(round(np.sum(w * d))) if fw else int(d.sum())
                w_dom[term] = W
                if psu is not None and 0 < p < 1 and len(pd.unique(psu[d])) == 1:
                    one_psu.append(term)
    Z = np.column_stack(cols)
    if dsg.psu is not None:
        strata = frame.loc[m, dsg.strata].to_numpy() if dsg.strata else np.zeros(n, dtype=int)
        M, G, H = meat(Z, clusters=psu, strata=strata, fweights=w if fw else None)
        if G - H < 1:
            raise VarianceError(f"expected more PSUs than strata, found {G} PSUs in {H} strata")
        df = G - H
        factor = G / (G - 1) if dsg.strata is None else 1.0
        spec = VcovSpec("linearized", dsg.psu, dsg.strata, G, H, df, factor)
    else:
        n_units = int(round(w.sum())) if fw else n
        if n_units < 2:
            raise VarianceError(f"expected at least 2 sampled units, found {n_units}")
        M, _, _ = meat(Z, fweights=w if fw else None)
        factor = n_units / (n_units - 1)
        M = factor * M
        spec = VcovSpec("linearized", df=n_units - 1, small_sample=factor)
    degenerate = [t for t, p in zip(terms, est, strict=True) if p <= 0 or p >= 1]
    if degenerate:
        notes.append(
            f"p = 0 or 1 for {degenerate[:5]}: linearised SE 0; interval is Clopper-Pearson for "
            "0 (or n) successes in the n domain rows (Korn & Graubard 1998)."
        )
    if one_psu:
        notes.append(
            f"{one_psu[:5]}: every domain row lies in one PSU ({dsg.psu!r}), so the linearised "
            "SE is 0 and the interval has zero width; the variance is not identified from one "
            "PSU (widen the domain or group)."
        )
    notes.append(
        f"{'logit' if ci == 'logit' else 'Wald'} confidence intervals (level {level:g})"
        + (", Stata svy: proportion citype(logit)" if ci == "logit" else "")
        + "."
    )
    if left_out:
        notes.append("Left out: " + "; ".join(f"{r}: {k}" for r, k in left_out.items()) + ".")
    res = ProportionResults(
        terms=terms,
        estimates=np.array(est),
        vcov=(M + M.T) / 2,
        vcov_spec=spec,
        estimator="design-weighted proportion (ratio estimator)",
        estimand=estimand,
        sample=sample,
        n_obs=int(round(w.sum())) if fw else n,
        weights=dsg.weights_label,
        data_label=inp.label,
        synthetic=inp.synthetic,
        extra={
            "ci": ci,
            "level": level,
            "n_domain": dict(n_dom),
            "domain_weight": dict(w_dom),
            "left_out": dict(left_out),
        },
        notes=notes,
        refit=None,  # one variance, following the design
    )
    object.__setattr__(res, "_ctx", {"ci": ci, "level": level, "n_domain": n_dom})
    return res


@strict_keywords
def proportions(
    data,
    variables: list[str],
    *,
    design: SurveyDesign | None = None,
    by: list[str] | None = None,
    domain: str | None = None,
    level: float = 0.95,
    ci: str = "logit",
) -> ProportionResults:
    """Design-weighted shares with linearised standard errors (Stata ``svy: proportion``).

    p = sum_i w_i d_i y_i / sum_i w_i d_i for the indicator y_i of a category and the domain
    indicator d_i; variance by Taylor linearisation, PSUs with replacement within strata, t with
    df = #PSU - #strata (see the module docstring for the formulas).

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    variables : list of str
        Columns whose shares are estimated. A 0/1 (or True/False) column gives one term, the
        share of 1 (``"owner_female=1"``); a pandas Categorical gives one term per level, in
        category order (``"status_change_5y=same"``; levels with no row give 0). Numbers other
        than 0/1 and text raise (use :func:`share_in_range` or a Categorical).
    design : SurveyDesign, optional
        Weights (pweights or fweights; None = equal weights), PSUs, strata.
    by : list of str, optional
        Columns defining groups; each group is a domain (subpopulation) and the term gets
        ``" | col=value"`` (e.g. ``"owner_female=1 | e_household=1"``).
    domain : str, optional
        A 0/1 (or True/False) column: estimate within the subpopulation where it is 1 (rows
        outside keep their PSU with a zero score; the design is not subset).
    level : float, default 0.95
        Confidence level of the intervals in :meth:`ProportionResults.tidy`.
    ci : {"logit", "wald"}, default "logit"
        Interval type: logit (Stata's default for ``svy: proportion``) or Wald (p +/- t se).

    Returns
    -------
    ProportionResults
        Terms ``"<variable>=<level>[ | <by>=<value>, ...]"``, shares in [0, 1], joint
        covariance of all terms (one design), vcov ``"linearized"``, t reference with ``df``.
        ``extra["n_domain"]`` gives the rows in each term's domain, ``extra["left_out"]`` the
        rows left out of domains by reason (missing variable, missing by, outside domain).

    Raises
    ------
    MissingColumnError
        A variable, by, domain or design column is not in the data.
    ColumnTypeError
        A variable that is neither 0/1 nor categorical; a domain column that is not 0/1.
    EmptySampleError
        A term whose domain (and group) has no row with the variable observed.
    DesignError, VarianceError, InvalidWeightError
        A stratum with one PSU, fewer PSUs than needed, invalid weights.
    UnknownOptionError
        Unknown keywords, ``ci`` not in {"logit", "wald"}, ``level`` outside (0, 1), a bare
        string where a list is expected, a column repeated in ``variables`` or ``by``.

    References
    ----------
    Binder (1983) doi:10.2307/1402588; Korn & Graubard (1998); West, Berglund & Heeringa
    (2008) doi:10.1177/1536867X0800800404; Stata ``[SVY] svy: proportion``.
    """
    check_option("ci", ci, CI_TYPES)
    level = _check_level(level)
    variables = as_columns("variables", variables)
    if not variables:
        raise UnknownOptionError("variables: expected at least one column name, found none")
    _unique("variables", variables)
    by = as_columns("by", by)
    _unique("by", by)
    inp = unpack(data, design)
    require_columns(inp.frame, variables, role="variable")
    items = []
    for v in variables:
        its, valid = _items_for(inp.frame, v)
        items.append((v, its, valid))
    return _estimate(inp, items, by, domain, level, ci, "population shares (proportions)")


@strict_keywords
def share_in_range(
    data,
    variable: str,
    *,
    low=None,
    high=None,
    design: SurveyDesign | None = None,
    by: list[str] | None = None,
    domain: str | None = None,
    level: float = 0.95,
    ci: str = "logit",
) -> ProportionResults:
    """Design-weighted share of rows with ``low <= variable <= high`` (bounds included).

    E.g. the share of e-shop operators aged 20-29 (``variable="owner_age", low=20, high=29``)
    or of households whose status is "same" or higher (an ordered categorical with
    ``low="same"``). Estimator, variance, domains and intervals as in :func:`proportions`.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData, shape (n_rows, n_columns)
        Not modified.
    variable : str
        A numeric column, or an ordered Categorical (then ``low``/``high`` are levels).
    low, high : number or level, optional
        Closed bounds; ``None`` means unbounded on that side (at least one is required).
    design, by, domain, level, ci
        As in :func:`proportions`.

    Returns
    -------
    ProportionResults
        One term per group: ``"20 <= owner_age <= 29"``, ``"status_change_5y >= same"``, ...
        Rows with a missing ``variable`` are left out of the domain and counted.

    Raises
    ------
    ColumnTypeError
        Text or an unordered categorical; a bool column.
    ImpossibleValueError
        Infinite values in a numeric ``variable``.
    UnknownOptionError
        No bound, a NaN bound, ``low > high``, a level that is not a category, a column
        repeated in ``by``, other option errors.
    MissingColumnError, EmptySampleError, DesignError, VarianceError
        As in :func:`proportions`.
    """
    check_option("ci", ci, CI_TYPES)
    level = _check_level(level)
    by = as_columns("by", by)
    _unique("by", by)
    if not isinstance(variable, str):
        raise UnknownOptionError(f"variable: expected a column name (str), found {variable!r}")
    inp = unpack(data, design)
    require_columns(inp.frame, [variable], role="variable")
    if low is None and high is None:
        raise UnknownOptionError("share_in_range: expected low=, high= or both, found neither")
    col = inp.frame[variable]
    valid = col.notna().to_numpy()
    if isinstance(col.dtype, pd.CategoricalDtype):
        if not col.cat.ordered:
            raise ColumnTypeError(
                f"variable {variable!r}: expected numbers or an ordered Categorical, found an "
                "unordered Categorical (a range of levels is undefined)"
            )
        cats = list(col.cat.categories)
        for name, b in (("low", low), ("high", high)):
            if b is not None and b not in cats:
                raise UnknownOptionError(f"{name}={b!r}: expected one of the levels {cats}")
        x = col.cat.codes.to_numpy().astype(float)
        lo = -np.inf if low is None else float(cats.index(low))
        hi = np.inf if high is None else float(cats.index(high))
    elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        for name, b in (("low", low), ("high", high)):
            if b is not None and (
                isinstance(b, bool) or not isinstance(b, numbers.Real) or np.isnan(b)
            ):
                raise UnknownOptionError(f"{name}: expected a number (not NaN), found {b!r}")
        x = col.to_numpy(dtype=float, na_value=np.nan)
        if np.isinf(x).any():
            raise ImpossibleValueError(
                f"variable {variable!r}: expected finite numbers or missing values, found "
                f"{int(np.isinf(x).sum())} infinite value(s)"
            )
        lo = -np.inf if low is None else float(low)
        hi = np.inf if high is None else float(high)
    else:
        raise ColumnTypeError(
            f"variable {variable!r}: expected numbers or an ordered Categorical, found dtype "
            f"{col.dtype}"
        )
    if lo > hi:
        raise UnknownOptionError(f"expected low <= high, found low={low!r} > high={high!r}")
    y = np.where(valid, (x >= lo) & (x <= hi), False).astype(float)
    if low is not None and high is not None:
        label = f"{_fmt(low)} <= {variable} <= {_fmt(high)}"
    elif low is not None:
        label = f"{variable} >= {_fmt(low)}"
    else:
        label = f"{variable} <= {_fmt(high)}"
    return _estimate(
        inp, [(variable, [(label, y)], valid)], by, domain, level, ci, "population share"
    )
