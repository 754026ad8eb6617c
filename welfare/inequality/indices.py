"""Inequality indices with survey weights and standard errors.

Indices (names accepted by ``indices=``; ``T`` is the index, ``mu`` the weighted mean, ``W`` the
sum of weights, ``F`` the weighted mid-rank):

=====================  ===================================================  ==================
name                   definition                                           incomes allowed
=====================  ===================================================  ==================
``gini``               sum_ij w_i w_j |y_i - y_j| / (2 W^2 mu)              y >= 0
``theil_t`` (GE(1))    (1/W) sum w (y/mu) log(y/mu); 0 log 0 = 0            y >= 0
``mld`` (GE(0))        -(1/W) sum w log(y/mu)                               y > 0
``ge(a)``              [(1/W) sum w (y/mu)^a - 1] / (a(a - 1))              y > 0 if a <= 0
``atkinson(e)``        1 - [(1/W) sum w y^(1-e)]^(1/(1-e)) / mu; e = 1:     y > 0 if e >= 1
                       1 - exp((1/W) sum w log y) / mu
``cv``                 population standard deviation / mu                    any, mu > 0
``p90/p10`` etc.       ratio of weighted quantiles (Stata's rule)            any, q_low > 0
``palma``              top 10% share / bottom 40% share                     y >= 0
``top_share(p)``       1 - L(1 - p) (Lorenz curve L)                        y >= 0
``bottom_share(p)``    L(p)                                                 y >= 0
=====================  ===================================================  ==================

Incomes outside an index's domain raise :class:`IncomeDomainError` naming the count, or, with
``nonpositive="exclude"``, are left out of the whole call and counted in ``sample.dropped``
(one sample for every index of the call). A zero mean raises. Missing incomes, weights, PSUs
and groups are left out and counted.

The Gini follows the population convention (PySAL, Stata ``ineqdeco``); ``gini="sample"``
multiplies it by n/(n - 1), n the sampled units (the sum of frequency weights).

Standard errors: ``vcov="linearized"`` (default) is the design variance of the influence
function (Deville 1999; Binder & Kovacevic 1995 for the Gini; Essama-Nssah & Lambert 2012 for
quantiles and shares), with the survey's PSUs and strata; the quantile ratios use the slope
of the quantile function over a Woodruff (1952) interval as the density at each quantile. ``vcov="bootstrap"`` is the seeded Rao-Wu
rescaling bootstrap by PSU within strata. Frequency weights give the expanded data's estimates
and linearised standard errors exactly.
"""

from __future__ import annotations

import numbers

import numpy as np

from welfare._options import check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.errors import EmptySampleError, UnknownOptionError
from welfare.inequality._kernels import (
    IndexSpec,
    SortedIncome,
    evaluate,
    gini_meat_chunked,
    parse_index,
)
from welfare.inequality._prepare import (
    VCOV_KINDS,
    IncomeDomainError,
    Prepared,
    bootstrap_draws,
    bootstrap_vcov,
    check_boot,
    level_name,
    linearized_vcov,
    pow2_scale,
    prepare,
    results,
    unit_meat,
)
from welfare.inference.results import Results

__all__ = ["inequality", "gini", "quantiles", "DEFAULT_INDICES", "IncomeDomainError"]

DEFAULT_INDICES = (
    "gini",
    "theil_t",
    "mld",
    "ge(2)",
    "atkinson(0.5)",
    "atkinson(1)",
    "cv",
    "p90/p10",
    "p90/p50",
    "p50/p10",
    "palma",
    "top_share(0.1)",
    "bottom_share(0.4)",
)

_ORDER = {"any": 0, "nonnegative": 1, "positive": 2}


def parse_indices(indices) -> list[IndexSpec]:
    """Parse and de-duplicate index names."""
    if isinstance(indices, str):
        indices = (indices,)
    if not isinstance(indices, list | tuple):
        raise UnknownOptionError(
            f"indices: expected a name or a list/tuple of names (in the order wanted), found "
            f"{indices!r}"
        )
    specs = []
    for t in indices:
        sp = parse_index(t)
        if sp.name not in [s.name for s in specs]:
            specs.append(sp)
    if not specs:
        raise UnknownOptionError("indices: expected at least one index name, found none")
    return specs


def strictest(specs: list[IndexSpec]) -> tuple[str, str]:
    """Return the strictest income domain among ``specs`` and the indices that need it."""
    dom = max((s.domain for s in specs), key=_ORDER.get)
    names = [s.name for s in specs if s.domain == dom]
    return dom, ", ".join(names)


def _check_values(specs, vals, what: str) -> None:
    """Named errors for undefined values (zero mean, zero lower quantile)."""
    bad = [s.name for s, v in zip(specs, vals, strict=True) if not np.isfinite(v)]
    if bad:
        raise IncomeDomainError(
            f"{what}: the indices {bad} are undefined (a zero mean income, a zero lower "
            "quantile in a percentile ratio, or incomes so dispersed that a power overflows); "
            "expected a positive mean and positive quantiles"
        )


def _one_group(prep: Prepared, sel, specs, gini_factor, keep_order: bool):
    """Values, and the linearised variables (rows order) or their meat (without PSUs)."""
    y = prep.y if sel is None else prep.y[sel]
    w = prep.w if sel is None else prep.w[sel]
    if (w * (y / pow2_scale(y))).sum() <= 0:
        raise IncomeDomainError(
            f"expected a positive mean income, found mean {np.average(y, weights=w):.6g}"
            " (all incomes zero?): inequality indices are undefined"
        )
    s = SortedIncome(y / pow2_scale(y), w, keep_order=keep_order)  # indices scale free
    n_units = float(w.sum()) if prep.fweights else float(len(y))
    factor = n_units / (n_units - 1) if gini_factor and n_units > 1 else 1.0
    if not keep_order and [sp.kind for sp in specs] == ["gini"]:
        # the Gini alone without PSUs: cache-sized chunks, no per-unit arrays (census scale)
        G, M = gini_meat_chunked(s, prep.fweights)
        return s, np.array([factor * G]), None, np.array([[factor**2 * M]]), factor
    with np.errstate(divide="ignore", invalid="ignore"):
        vals, infl = evaluate(s, s.ws, specs, gini_factor=factor, fweights=prep.fweights)
    infl /= s.ws.sum()  # linearised variable z = IF / W
    if keep_order:
        z = np.empty_like(infl)
        z[s.order] = infl
        return s, vals, z, None, factor
    return s, vals, None, unit_meat(s.ws, infl, prep.fweights), factor


@strict_keywords
def inequality(
    data,
    income: str | None = None,
    *,
    indices=DEFAULT_INDICES,
    by: str | None = None,
    design: SurveyDesign | None = None,
    weights=None,
    weight_type: str = "pweight",
    vcov: str = "linearized",
    n_boot: int = 499,
    random_state=None,
    gini: str = "population",
    nonpositive: str = "error",
) -> Results:
    """Weighted inequality indices with design-based standard errors.

    Parameters
    ----------
    data : pandas.DataFrame, SurveyData or array_like, shape (n,)
        A frame with the ``income`` column, or the incomes themselves (1-D array).
    income : str, optional
        Income column (money per person or household, e.g. ``"income_pc"``, RMB per year).
        Leave out when ``data`` is an array.
    indices : str or sequence of str, default :data:`DEFAULT_INDICES`
        Names as in the module table, e.g. ``("gini", "theil_t", "ge(2)", "p90/p10")``.
    by : str, optional
        Group column: each index per group (terms ``"gini[e_household=1]"``), estimated as
        survey domains (the PSUs of all groups enter the variance), with a joint covariance;
        with two groups the differences (second minus first level) are added
        (``"gini[1 - 0]"``).
    design : SurveyDesign, optional
        Weights, PSUs and strata (taken from ``SurveyData`` when given).
    weights : array_like, shape (n,), optional
        Weights when ``data`` is an array (``weight_type`` says which kind).
    weight_type : {"pweight", "aweight", "fweight"}, default "pweight"
    vcov : {"linearized", "bootstrap"}, default "linearized"
    n_boot : int, default 499
        Bootstrap replicates.
    random_state : int or numpy.random.Generator, optional
        Seed of the bootstrap (required with ``vcov="bootstrap"``).
    gini : {"population", "sample"}, default "population"
        ``"sample"`` multiplies the Gini by n/(n - 1).
    nonpositive : {"error", "exclude"}, default "error"
        What to do with incomes outside the strictest domain of the requested indices.

    Returns
    -------
    Results
        One term per index (per group with ``by``); ``extra`` holds the conventions, the
        bootstrap replicates and percentile intervals (bootstrap), and the group sizes.

    Raises
    ------
    UnknownOptionError
        Unknown index names or options.
    IncomeDomainError
        Incomes outside an index's domain (``nonpositive="error"``), a zero mean, or a zero
        lower quantile.
    InvalidWeightError
        Weights of another length, or invalid weight values.
    MissingColumnError, EmptySampleError, VarianceError

    Examples
    --------
    >>> from welfare.datasets import taobao_village_survey
    >>> twin = taobao_village_survey()
    >>> res = inequality(twin.survey, "income_pc", indices=("gini", "theil_t"),
    ...                  by="e_household", nonpositive="exclude")
    >>> res.tidy()  # doctest: +SKIP
    """
    check_option("vcov", vcov, VCOV_KINDS)
    check_option("gini", gini, ("population", "sample"))
    specs = parse_indices(indices)
    if vcov == "bootstrap":
        check_boot(n_boot, random_state)
    dom, who = strictest(specs)
    prep = prepare(
        data,
        income,
        design=design,
        by=by,
        domain=dom,
        nonpositive=nonpositive,
        domain_reason=who,
        weights=weights,
        weight_type=weight_type,
    )
    income_name = income or "income"
    sels = [None] if by is None else [prep.groups == g for g in range(len(prep.levels))]
    if by is not None:
        small = [level_name(v) for v, s in zip(prep.levels, sels, strict=True) if s.sum() < 2]
        if small:
            raise EmptySampleError(
                f"by={by!r}: expected at least 2 observations in every group, found fewer in "
                f"group(s) {small}"
            )
    # without PSUs the groups' linearised variables never share a unit: the meat is block
    # diagonal and can be built in sorted order (no permutation needed)
    keep_order = prep.psu is not None or vcov == "bootstrap"
    terms, vals, zs, meats, sorted_parts = [], [], [], [], []
    for g, sel in enumerate(sels):
        s, v, z, m, factor = _one_group(prep, sel, specs, gini == "sample", keep_order)
        where = "all" if sel is None else f"{by}={level_name(prep.levels[g])}"
        _check_values(specs, v, f"{income_name} ({where})")
        if keep_order:
            full = np.zeros((len(prep.y), len(specs)))
            if sel is None:
                full[:] = z
            else:
                full[sel] = z
            zs.append(full)
        meats.append(m)
        vals.append(v)
        sorted_parts.append((s, sel, factor))
        suffix = "" if sel is None else f"[{where}]"
        terms += [f"{sp.name}{suffix}" for sp in specs]
    est = np.concatenate(vals)
    L = np.eye(len(est))
    if by is not None and len(prep.levels) == 2:
        k = len(specs)
        D = np.hstack([-np.eye(k), np.eye(k)])
        L = np.vstack([L, D])
        a, b = level_name(prep.levels[0]), level_name(prep.levels[1])
        terms += [f"{sp.name}[{b} - {a}]" for sp in specs]
    extra = {
        "indices": tuple(sp.name for sp in specs),
        "labels": {sp.name: sp.label for sp in specs},
        "gini_convention": gini,
        "n_units": prep.n_units,
    }
    if by is not None:
        extra["groups"] = {
            level_name(v): int(s.sum()) for v, s in zip(prep.levels, sels, strict=True)
        }
    if vcov == "linearized":
        if keep_order:
            V, spec = linearized_vcov(prep, np.hstack(zs))
        else:
            from scipy.linalg import block_diag

            V, spec = linearized_vcov(prep, None, block_diag(*meats))
        n_bad = 0
    else:
        reps = []
        # per group, in its sorted order: weights, PSU codes, row numbers, and the slice of the
        # exchangeable unit draws it takes (no gather of unit draws: they are exchangeable)
        plan, start = [], 0
        for s, sel, factor in sorted_parts:
            rows = np.arange(len(prep.y)) if sel is None else np.flatnonzero(sel)
            rows = rows[s.order]
            psu_s = prep.psu[rows] if prep.psu is not None else None
            plan.append((s, factor, rows, psu_s, slice(start, start + len(rows))))
            start += len(rows)
        order = np.concatenate([rows for _, _, rows, _, _ in plan])
        for kind, draw in bootstrap_draws(prep, n_boot, random_state, order):
            row = []
            for s, factor, _rows, psu_s, part in plan:
                # unit and frequency-weight draws come in the positions of `order`
                ws = s.ws * (draw[psu_s] if kind == "psu" else draw[part])
                if ws.sum() <= 0 or np.dot(ws, s.ys) <= 0:
                    row.append(np.full(len(specs), np.nan))
                    continue
                with np.errstate(divide="ignore", invalid="ignore"):
                    v, _ = evaluate(s, ws, specs, want_if=False, gini_factor=factor)
                row.append(v)
            reps.append(np.concatenate(row))
        reps = np.array(reps)
        seed = random_state if not isinstance(random_state, np.random.Generator) else "Generator"
        V, spec, n_bad = bootstrap_vcov(reps, prep, n_boot, f", seed {seed}")
        ok = np.all(np.isfinite(reps), axis=1)
        reps_l = reps[ok] @ L.T
        extra["bootstrap_replicates"] = reps_l
        extra["bootstrap_failed"] = n_bad
        extra["bootstrap_percentile_ci95"] = {
            t: (float(np.quantile(reps_l[:, j], 0.025)), float(np.quantile(reps_l[:, j], 0.975)))
            for j, t in enumerate(terms)
        }
    est_all = L @ est
    V_all = L @ V @ L.T
    notes = [
        "Inequality indices: Gini "
        + ("population convention" if gini == "population" else "times n/(n - 1)")
        + "; Theil T with 0 log 0 = 0; quantiles by Stata's rule; Lorenz shares from the "
        "piecewise-linear Lorenz curve.",
    ]
    if any(sp.kind == "ratio" for sp in specs) and vcov == "linearized":
        notes.append(
            "Percentile-ratio SEs use the Woodruff (1952) slope of the quantile function as "
            "the density at each quantile."
        )
    if n_bad:
        notes.append(f"{n_bad} bootstrap replicate(s) with an undefined index left out.")
    return results(
        prep,
        terms=terms,
        estimates=est_all,
        vcov=V_all,
        spec=spec,
        estimator="inequality indices",
        estimand=f"inequality of {income_name}" + (f" by {by}" if by else ""),
        extra=extra,
        notes=notes,
    )


def gini(data, income: str | None = None, **options) -> Results:
    """Weighted Gini coefficient with its standard error (see :func:`inequality`).

    Same options as :func:`inequality` except ``indices``.
    """
    if "indices" in options:
        raise UnknownOptionError("gini() computes the Gini only; use inequality(indices=...)")
    return inequality(data, income, indices=("gini",), **options)


@strict_keywords
def quantiles(
    data,
    income: str | None = None,
    *,
    probs=(0.1, 0.25, 0.5, 0.75, 0.9),
    design: SurveyDesign | None = None,
    weights=None,
    weight_type: str = "pweight",
) -> Results:
    """Weighted quantiles with linearised standard errors.

    Quantiles follow Stata's rule (the first value whose cumulative weight exceeds pW; the
    average of two neighbours at an exact hit). The linearised variable is
    z_i = (p - 1[y_i <= q_p]) / (f W), whose design variance uses the PSUs and strata (Deville
    1999; Francisco & Fuller 1991); the density f is the slope of the weighted quantile function
    over p +/- 1.96 sqrt(p (1 - p) / n_eff) (Woodruff 1952), which stays finite when a quantile
    falls in a gap between observations. A quantile on a mass point of the data (flat quantile
    function around it) has SE 0.

    Parameters
    ----------
    data : pandas.DataFrame, SurveyData or array_like
    income : str, optional
        Column (any units, e.g. RMB per year); leave out when ``data`` is an array.
    probs : sequence of float, default (0.1, 0.25, 0.5, 0.75, 0.9)
        Fractions in (0, 1).
    design : SurveyDesign, optional
    weights : array_like, optional
        With an array of values.
    weight_type : {"pweight", "aweight", "fweight"}, default "pweight"

    Returns
    -------
    Results
        Terms ``"p10"``, ``"p25"``, ... in the units of ``income``.

    Raises
    ------
    UnknownOptionError
        A fraction outside (0, 1), or repeated fractions.
    """
    from welfare.inequality._kernels import effective_n, quantile, quantile_density

    probs = [probs] if np.isscalar(probs) else list(probs)
    if (
        not probs
        or any(isinstance(p, bool) or not isinstance(p, numbers.Real) for p in probs)
        or any(not 0 < p < 1 for p in probs)
    ):
        raise UnknownOptionError(f"probs: expected fractions in (0, 1), found {probs!r}")
    terms = [f"p{100 * float(p):g}" for p in probs]
    if len(set(terms)) < len(terms):
        raise UnknownOptionError(f"probs: expected distinct fractions, found {probs!r}")
    prep = prepare(data, income, design=design, weights=weights, weight_type=weight_type)
    scale = pow2_scale(prep.y)  # overflow-safe and exact: y / 2^k
    s = SortedIncome(prep.y / scale, prep.w)
    W = s.ws.sum()
    n_eff = effective_n(s.ws, prep.fweights)
    est, Z = [], np.empty((len(prep.y), len(probs)))
    for j, p in enumerate(probs):
        q = quantile(s, s.ws, p)
        f = quantile_density(s, s.ws, p, n_eff)
        est.append(q * scale)
        Z[s.order, j] = (p - (s.ys <= q)) / (f * W) * scale
    V, spec = linearized_vcov(prep, Z)
    return results(
        prep,
        terms=terms,
        estimates=est,
        vcov=V,
        spec=spec,
        estimator="weighted quantiles",
        estimand=f"quantiles of {income or 'income'}",
        notes=(
            "Quantiles by Stata's rule; linearised SEs with the Woodruff (1952) slope of the "
            "quantile function as the density.",
        ),
    )
