"""Lorenz and concentration curves with survey weights, by group.

The Lorenz curve of y is L(p) = (1/mu) int_0^p Q(u) du: the share of total income held by the
poorest fraction p (Q the weighted quantile function). The concentration curve of a variable x
ranked by another variable r (e.g. one income source ranked by total income, or county online
stores ranked by online sales) is C(p) = share of total x held by the fraction p with the lowest
r. Units tied in the ranking variable are spread evenly along their segment (the curve is linear
across a tie group), so the curve does not depend on row order and frequency weights equal the
expanded data. Both curves are piecewise linear between the points returned.

The share of the top fraction q is 1 - L(1 - q) (:func:`top_share`).

References
----------
Kakwani, N. C. (1977). Applications of Lorenz curves in economic analysis. *Econometrica* 45(3),
719-727. doi:10.2307/1911684
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from welfare._options import strict_keywords
from welfare.data.design import SurveyDesign
from welfare.errors import UnknownOptionError
from welfare.inequality._prepare import IncomeDomainError, level_name, prepare

__all__ = ["lorenz_curve", "concentration_share"]


def _curve(x: np.ndarray, r: np.ndarray, w: np.ndarray, grid: np.ndarray):
    """Concentration ordinates of x ranked by r at population fractions ``grid``."""
    order = np.argsort(r, kind="stable")
    rs, xs, ws = r[order], x[order], w[order]
    brk = np.flatnonzero(rs[1:] != rs[:-1]) + 1
    starts = np.concatenate(([0], brk))
    gw = np.add.reduceat(ws, starts)
    gx = np.add.reduceat(ws * xs, starts)
    W, X = gw.sum(), gx.sum()
    if X == 0:
        raise IncomeDomainError("the total of the variable is 0: its curve is undefined")
    cp = np.concatenate(([0.0], np.cumsum(gw) / W))
    cl = np.concatenate(([0.0], np.cumsum(gx) / X))
    cp[-1] = 1.0
    cl[-1] = 1.0
    return np.interp(grid, cp, cl), cp, cl


def _grid(points) -> np.ndarray:
    if isinstance(points, bool):
        raise UnknownOptionError(f"points: expected an integer >= 2 or fractions, found {points}")
    if isinstance(points, int | np.integer):
        if points < 2:
            raise UnknownOptionError(f"points: expected an integer >= 2, found {points}")
        return np.linspace(0.0, 1.0, int(points))
    try:
        g = np.asarray(points, dtype=float)
    except (TypeError, ValueError):
        g = np.array([np.nan])
    if g.ndim != 1 or g.size == 0 or not np.all((g >= 0) & (g <= 1)):
        raise UnknownOptionError(
            f"points: expected an integer >= 2 or a non-empty list of fractions in [0, 1], "
            f"found {points!r}"
        )
    return g


@strict_keywords
def lorenz_curve(
    data,
    income: str,
    *,
    by: str | None = None,
    rank_by: str | None = None,
    design: SurveyDesign | None = None,
    points=101,
    generalized: bool = False,
) -> pd.DataFrame:
    """Weighted Lorenz curve of ``income`` (or its concentration curve ranked by ``rank_by``).

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
    income : str
        Income (or any non-negative amount: a source, online sales, stores).
    by : str, optional
        One curve per group.
    rank_by : str, optional
        Rank units by this column instead of ``income`` (a concentration curve).
    design : SurveyDesign, optional
        Weights (PSUs and strata play no role in the point estimates).
    points : int or array_like, default 101
        Number of equally spaced population fractions, or the fractions themselves.
    generalized : bool, default False
        Also return the generalised Lorenz ordinate mu * L(p) (mean income units).

    Returns
    -------
    pandas.DataFrame
        Columns ``group`` (``"all"`` without ``by``), ``p``, ``share`` (L(p) or C(p)), and
        ``generalized`` when asked; long format, ready for :func:`welfare.report.lorenz_plot`.

    Raises
    ------
    IncomeDomainError
        Negative incomes or a zero total.
    """
    grid = _grid(points)
    extra = [("rank variable", [rank_by])] if rank_by and rank_by != income else []
    prep = prepare(
        data,
        income,
        design=design,
        by=by,
        domain="nonnegative",
        domain_reason="a Lorenz curve",
        extra_roles=extra,
        exclude_hint=False,
    )
    r_all = prep.extra_cols[rank_by].astype(float) if extra else prep.y
    frames = []
    groups = [("all", np.ones(len(prep.y), bool))]
    if by is not None:
        groups = [(level_name(v), prep.groups == i) for i, v in enumerate(prep.levels)]
    for name, sel in groups:
        x, r, w = prep.y[sel], r_all[sel], prep.w[sel]
        share, _, _ = _curve(x, r, w, grid)
        f = pd.DataFrame({"group": name, "p": grid, "share": share})
        if generalized:
            f["generalized"] = share * np.dot(w, x) / w.sum()
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out.attrs = {
        "welfare_label": prep.label,
        "welfare_synthetic": prep.synthetic,
        "income": income,
        "rank_by": rank_by or income,
        "by": by,
        "sample": prep.sample.describe(),
    }
    return out


@strict_keywords
def concentration_share(
    data,
    amount: str,
    *,
    top: float = 0.25,
    rank_by: str | None = None,
    design: SurveyDesign | None = None,
) -> float:
    """Share of the total of ``amount`` held by the top fraction ``top`` of units ranked by ``rank_by``.

    E.g. the share of online sales made by the top quarter of counties (``top=0.25``), or the
    share of online stores in the top quarter of counties by sales (``rank_by="online_sales"``).
    Equals 1 - C(1 - top) on the (concentration) curve of :func:`lorenz_curve`.

    Returns
    -------
    float
        A fraction in [0, 1].
    """
    if isinstance(top, bool) or not isinstance(top, numbers.Real) or not 0 < top < 1:
        raise UnknownOptionError(f"top: expected a fraction in (0, 1), found {top!r}")
    c = lorenz_curve(data, amount, rank_by=rank_by, design=design, points=[1 - top])
    return float(1 - c["share"].iloc[0])
