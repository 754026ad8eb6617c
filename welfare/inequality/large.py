"""Inequality on data larger than memory: Dask DataFrames, exact results.

* :func:`ge_decomposition_dask` - the GE(alpha) between/within decomposition from per-partition
  sufficient statistics. Pass 1 sums, by group, the weights, weighted incomes and GE moments, and
  the cross-products the linearised variance needs (by PSU and group with a design); pass 2
  sums the GE kernels of relative incomes y/mu_g and y/mu (the two-pass form that keeps every
  digit, as in memory). The result equals :func:`welfare.inequality.ge_decomposition` on the
  same rows to rounding.
* :func:`gini_dask` - the Gini by an exact sorted merge: ``sort_values`` range-partitions the
  data by income, pass 1 collects each partition's totals and its boundary values (for ties
  that straddle partitions), pass 2 computes the mid-ranks F_i from the offsets and sums
  w y (2F - 1) and the pieces of the influence function. The influence function is affine in the
  two unknown totals (A and G), so its squared sums (or PSU sums) are assembled after pass 2
  without a third pass. Exact, not binned: no approximation error.

Missing values are left out and counted by reason; invalid weights and incomes outside the
domain raise the same named errors as in memory. Dask is an optional dependency
(``pip install "welfare[large]"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from welfare._options import check_option, strict_keywords
from welfare.data.sample import EstimationSample
from welfare.errors import (
    DataError,
    EmptySampleError,
    InvalidWeightError,
    MissingColumnError,
    UnknownOptionError,
    VarianceError,
)
from welfare.inequality._prepare import IncomeDomainError, clean_vcov, level_name
from welfare.inequality.decompose import (
    _alphas,
    _complex_jacobian,
    _ge_name,
    _ge_term_names,
    _phi,
    check_identities,
    compose_stable,
    ge_setup,
    stable_sums,
    vcov_from_aggregates,
)
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat

__all__ = ["ge_decomposition_dask", "gini_dask", "CountedSample"]


@dataclass(frozen=True)
class CountedSample(EstimationSample):
    """Estimation sample of a partitioned frame: counts by reason, no row mask."""

    count: int = 0

    @property
    def n_obs(self) -> int:
        """Rows in the estimation sample."""
        return self.count


def _dask():
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as e:  # pragma: no cover - exercised only without dask
        raise ImportError(
            "the Dask path needs dask[dataframe]: pip install 'welfare[large]'"
        ) from e
    return dask, dd


def _check_frame(ddf, cols, numeric=()):
    """Type of the frame, presence of the columns, real-number dtypes (from the metadata)."""
    _, dd = _dask()
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"data: expected a dask DataFrame, found {type(ddf).__name__}")
    missing = [c for c in cols if c is not None and c not in ddf.columns]
    if missing:
        raise MissingColumnError(
            f"column(s) {missing} not found in the dask DataFrame; available: {list(ddf.columns)[:30]}"
        )
    for role, c in numeric:
        if c is None:
            continue
        dt = ddf.dtypes[c]
        if (
            not pd.api.types.is_numeric_dtype(dt)
            or pd.api.types.is_bool_dtype(dt)
            or (pd.api.types.is_complex_dtype(dt))
        ):
            err = InvalidWeightError if role == "weights" else DataError
            raise err(f"{role} {c!r}: expected real numbers, found dtype {dt}")


def _clean_partition(pdf, income, roles, weights, weight_type, domain, nonpositive):
    """Rows kept in one partition, and counts of rows left out (and of invalid values)."""
    n = len(pdf)
    keep = np.ones(n, dtype=bool)
    counts = {}
    for role, col in roles:
        if col is None:
            continue
        miss = pdf[col].isna().to_numpy() & keep
        if miss.any():
            counts[f"missing {role} {col!r}"] = int(miss.sum())
        keep &= ~miss
    bad_w = 0
    if weights is not None:
        w = pdf[weights].to_numpy(dtype=float, na_value=np.nan)
        bad = keep & (~np.isfinite(w) | (w <= 0))
        if weight_type == "fweight":
            bad |= keep & (w != np.round(w))
        bad_w = int(bad.sum())
    y = pdf[income].to_numpy(dtype=float, na_value=np.nan)
    if np.isinf(y[keep]).any():
        raise IncomeDomainError(f"income {income!r}: expected finite values, found infinity")
    out_dom = np.zeros(n, dtype=bool)
    if domain == "positive":
        out_dom = keep & (y <= 0)
    elif domain == "nonnegative":
        out_dom = keep & (y < 0)
    n_dom = int(out_dom.sum())
    if n_dom:  # excluded (counted), or the call raises once every partition is counted
        keep &= ~out_dom
    return keep, counts, bad_w, n_dom


def _raise_invalid(bad_w, n_dom, income, domain, who, nonpositive, weights):
    if bad_w:
        raise InvalidWeightError(
            f"weights {weights!r}: expected finite values > 0 (whole numbers for fweights), "
            f"found {bad_w} other value(s)"
        )
    if n_dom and nonpositive == "error":
        raise IncomeDomainError(
            f"income {income!r}: {who} needs incomes {'> 0' if domain == 'positive' else '>= 0'}; "
            f"found {n_dom} value(s) outside; pass nonpositive='exclude' to leave them out"
        )


def _sample(n_rows, counts, n_obs, domain, who, n_dom, nonpositive):
    dropped = [(k, v) for k, v in counts.items() if v]
    if nonpositive == "exclude" and n_dom:
        what = "<= 0" if domain == "positive" else "< 0"
        dropped.append((f"income {what} ({who})", n_dom))
    mask = np.zeros(0, dtype=bool)
    return CountedSample(mask=mask, n_rows=n_rows, dropped=tuple(dropped), count=n_obs)


def _merge_counts(parts):
    out: dict[str, int] = {}
    for c in parts:
        for k, v in c.items():
            out[k] = out.get(k, 0) + v
    return out


# ---------------------------------------------------------------- GE decomposition
def _ge_pass1(pdf, cfg):
    keep, counts, bad_w, n_dom = _clean_partition(
        pdf, cfg["income"], cfg["roles"], cfg["weights"], cfg["wtype"], cfg["domain"], cfg["np"]
    )
    sub = pdf.loc[keep]
    y = sub[cfg["income"]].to_numpy(dtype=float)
    w = sub[cfg["weights"]].to_numpy(dtype=float) if cfg["weights"] else np.ones(len(y))
    labels = sub[cfg["by"]].to_numpy()
    alphas = cfg["alphas"]
    r = 2 + len(alphas)
    codes, uniq = pd.factorize(pd.Series(labels), sort=True)
    G = len(uniq)
    logy = None
    if any(a in (0, 1) for a in alphas):
        with np.errstate(divide="ignore"):
            logy = np.log(y)
    A = np.column_stack([np.ones_like(y), y] + [_phi(y, a, logy) for a in alphas])
    c = w if cfg["wtype"] == "fweight" else w * w
    stats = {}
    for j in range(r):
        stats[f"sw{j}"] = np.bincount(codes, weights=w * A[:, j], minlength=G)
        stats[f"sc{j}"] = np.bincount(codes, weights=c * A[:, j], minlength=G)
        for m in range(j, r):
            stats[f"saa{j}_{m}"] = np.bincount(codes, weights=c * A[:, j] * A[:, m], minlength=G)
    stats["units"] = np.bincount(
        codes, weights=w if cfg["wtype"] == "fweight" else None, minlength=G
    )
    stats["rows"] = np.bincount(codes, minlength=G)
    by_group = pd.DataFrame(stats, index=pd.Index(uniq, name="group"))
    psu_tab = None
    if cfg["psu"]:
        key = [sub[cfg["strata"]]] if cfg["strata"] else []
        key += [sub[cfg["psu"]], pd.Series(labels, index=sub.index)]
        H = pd.DataFrame({f"h{j}": w * A[:, j] for j in range(r)}, index=sub.index)
        psu_tab = H.groupby(key, sort=False).sum()
    return {
        "n_rows": len(pdf),
        "counts": counts,
        "bad_w": bad_w,
        "n_dom": n_dom,
        "by_group": by_group,
        "psu": psu_tab,
    }


def _ge_pass2(pdf, cfg, mug: dict, mu: float):
    keep, *_ = _clean_partition(
        pdf, cfg["income"], cfg["roles"], cfg["weights"], cfg["wtype"], cfg["domain"], cfg["np"]
    )
    sub = pdf.loc[keep]
    y = sub[cfg["income"]].to_numpy(dtype=float)
    w = sub[cfg["weights"]].to_numpy(dtype=float) if cfg["weights"] else np.ones(len(y))
    levels = list(mug)
    codes = pd.Categorical(sub[cfg["by"]].to_numpy(), categories=levels).codes
    mg = np.array([mug[k] for k in levels])
    SG, ST = stable_sums(y, w, codes, len(levels), cfg["alphas"], mg, mu)
    return SG, ST


@strict_keywords
def ge_decomposition_dask(
    data,
    income: str,
    *,
    by: str,
    alpha=(0, 1, 2),
    weights: str | None = None,
    weight_type: str = "pweight",
    psu: str | None = None,
    strata: str | None = None,
    nonpositive: str = "error",
) -> Results:
    """GE(alpha) between/within decomposition of a Dask DataFrame, with linearised SEs.

    Parameters
    ----------
    data : dask.dataframe.DataFrame
    income, by : str
        Income and group columns.
    alpha : float or sequence of float, default (0, 1, 2)
    weights : str, optional
        Weight column; ``weight_type`` as in :class:`welfare.data.design.SurveyDesign`.
    weight_type : {"pweight", "aweight", "fweight"}, default "pweight"
    psu, strata : str, optional
        Design columns (the variance is clustered by PSU within strata).
    nonpositive : {"error", "exclude"}, default "error"

    Returns
    -------
    Results
        The same terms, estimates and variance as
        :func:`welfare.inequality.ge_decomposition` on the same rows.

    Raises
    ------
    MissingColumnError, InvalidWeightError, IncomeDomainError, EmptySampleError
    """
    dask, _ = _dask()
    check_option("weight_type", weight_type, ("pweight", "aweight", "fweight"))
    check_option("nonpositive", nonpositive, ("error", "exclude"))
    if strata is not None and psu is None:
        raise UnknownOptionError("strata= needs psu= (PSUs are nested in strata)")
    if not isinstance(by, str):
        raise UnknownOptionError(f"by: expected a group column name, found {by!r}")
    _check_frame(
        data, [income, by, weights, psu, strata], [("income", income), ("weights", weights)]
    )
    alphas = _alphas(alpha)
    domain = "positive" if min(alphas) <= 0 else "nonnegative"
    who = ", ".join(_ge_name(a) for a in alphas if (a <= 0) == (domain == "positive"))
    roles = [
        ("income", income),
        ("group", by),
        ("weight", weights),
        ("PSU", psu),
        ("stratum", strata),
    ]
    cfg = {
        "income": income,
        "by": by,
        "weights": weights,
        "wtype": weight_type,
        "psu": psu,
        "strata": strata,
        "alphas": alphas,
        "domain": domain,
        "np": nonpositive,
        "roles": roles,
    }
    parts = data.to_delayed()
    res1 = dask.compute(*[dask.delayed(_ge_pass1)(p, cfg) for p in parts])
    bad_w = sum(r["bad_w"] for r in res1)
    n_dom = sum(r["n_dom"] for r in res1)
    _raise_invalid(bad_w, n_dom, income, domain, who, nonpositive, weights)
    tab = pd.concat([r["by_group"] for r in res1]).groupby(level=0).sum().sort_index()
    n_rows = sum(r["n_rows"] for r in res1)
    counts = _merge_counts([r["counts"] for r in res1])
    levels = list(tab.index)
    dt = data.dtypes[by]
    if isinstance(dt, pd.CategoricalDtype) and dt.categories is not None:
        order = [c for c in dt.categories if c in set(levels)]  # category order, as in memory
        if len(order) == len(levels):
            tab, levels = tab.loc[order], order
    G, r = len(levels), 2 + len(alphas)
    if G < 2:
        raise EmptySampleError(f"by={by!r}: expected at least 2 groups, found {G}")
    n_units = float(tab["units"].sum())
    Sw = np.column_stack([tab[f"sw{j}"] for j in range(r)])
    W = Sw[:, 0].sum()
    m = (Sw / W).reshape(-1)
    if Sw[:, 1].sum() <= 0:
        raise IncomeDomainError("expected a positive mean income, found 0: GE indices undefined")
    zero, skip, f, est = ge_setup(m, G, alphas)
    with np.errstate(divide="ignore", invalid="ignore"):
        J = _complex_jacobian(f, m, skip)
    names = _ge_term_names(levels, by, alphas)
    Wg, Yg = Sw[:, 0], Sw[:, 1]
    mug = dict(zip(levels, np.where(zero, 1.0, Yg / Wg), strict=True))
    res2 = dask.compute(*[dask.delayed(_ge_pass2)(p, cfg, mug, Yg.sum() / W) for p in parts])
    SG = sum(x[0] for x in res2)
    ST = sum(x[1] for x in res2)
    labels = [f"[{by}={level_name(v)}]" for v in levels]
    compose_stable(est, names, Wg, Yg, SG, ST, alphas, zero, labels)
    check_identities(est, names, alphas, labels)
    if psu is None:
        Sc = np.column_stack([tab[f"sc{j}"] for j in range(r)])
        Saa = np.empty((G, r, r))
        for j in range(r):
            for l in range(j, r):
                Saa[:, j, l] = Saa[:, l, j] = tab[f"saa{j}_{l}"].to_numpy()
        if n_units < 2:
            raise VarianceError(f"expected at least 2 sampled units, found {n_units:g}")
        V, spec = vcov_from_aggregates(J, m, W, unit=(Sc, Saa, Sc[:, 0].sum(), n_units))
    else:
        ptab = (
            pd.concat([x["psu"] for x in res1]).groupby(level=list(range(3 if strata else 2))).sum()
        )
        ptab = ptab.reset_index()
        cols = list(ptab.columns)
        gcol = cols[2 if strata else 1]
        keys = cols[:2] if strata else cols[:1]
        psu_codes, psu_uniq = pd.factorize(pd.MultiIndex.from_frame(ptab[keys]), sort=True)
        gcodes = pd.Categorical(ptab[gcol], categories=levels).codes
        n_psu = len(psu_uniq)
        H = np.zeros((n_psu, G * r))
        for j in range(r):
            np.add.at(H, (psu_codes, gcodes * r + j), ptab[f"h{j}"].to_numpy())
        Wc = np.bincount(psu_codes, weights=ptab["h0"].to_numpy(), minlength=n_psu)
        h_of_psu = None
        if strata:
            h_of_psu = pd.factorize(psu_uniq.get_level_values(0), sort=True)[0]
        V, spec = vcov_from_aggregates(
            J, m, W, psu=(H, Wc, h_of_psu), psu_name=psu, strata_name=strata
        )
    n_obs = int(round(n_units))
    return Results(
        terms=names,
        estimates=est,
        vcov=V,
        vcov_spec=spec,
        estimator="GE decomposition by group (Shorrocks 1984), Dask sufficient statistics",
        estimand=f"between/within inequality of {income} by {by}",
        sample=_sample(n_rows, counts, int(tab["rows"].sum()), domain, who, n_dom, nonpositive),
        n_obs=n_obs,
        weights=f"{weight_type}s {weights!r}" if weights else "unweighted",
        extra={
            "alphas": tuple(alphas),
            "groups": {level_name(v): int(k) for v, k in zip(levels, tab["rows"], strict=True)},
            "partitions": len(parts),
        },
        notes=("Computed from per-partition sufficient statistics (two passes).",),
    )


# ---------------------------------------------------------------- Gini by sorted merge
def _gini_clean(pdf, cfg):
    keep, counts, bad_w, n_dom = _clean_partition(
        pdf, cfg["income"], cfg["roles"], cfg["weights"], cfg["wtype"], "nonnegative", "error"
    )
    return pdf.loc[keep], counts, bad_w, n_dom, len(pdf)


def _arrays(sub, cfg):
    y = sub[cfg["income"]].to_numpy(dtype=float)
    w = sub[cfg["weights"]].to_numpy(dtype=float) if cfg["weights"] else np.ones(len(y))
    return y, w


def _gini_pass1(sub, cfg):
    """Totals and boundary values of one range partition."""
    y, w = _arrays(sub, cfg)
    if len(y) == 0:
        return None
    lo, hi = y.min(), y.max()
    return {
        "W": w.sum(),
        "Y": np.dot(w, y),
        "n": len(y) if cfg["wtype"] != "fweight" else w.sum(),
        "rows": len(y),
        "lo": lo,
        "hi": hi,
        "w_lo": w[y == lo].sum(),
        "y_lo": np.dot(w[y == lo], y[y == lo]),
        "w_hi": w[y == hi].sum(),
        "y_hi": np.dot(w[y == hi], y[y == hi]),
    }


def _gini_pass2(sub, cfg, off_w, off_y, ties: dict):
    """Return the sums for the Gini and its influence function in one partition.

    u_i = y_i (2 F_i - 1) + 2 T_i with T_i = (Y - Y(<y_i) - Y(=y_i)/2) / W, so that
    mu IF_i = u_i + k1 + k2 y_i with k1 = -2A - mu + G mu and k2 = -G.
    """
    from welfare.inequality._kernels import SortedIncome

    y, w = _arrays(sub, cfg)
    if len(y) == 0:
        return None
    W, Y = cfg["W"], cfg["Y"]
    s = SortedIncome(y)
    ws = w[s.order]
    ys = s.ys
    wlt, weq = s.below_equal(ws)
    ylt, yeq = s.below_equal(ws * ys)
    wlt = wlt + off_w
    ylt = ylt + off_y
    for v, (gwlt, gweq, gylt, gyeq) in ties.items():  # ties that straddle partitions
        at = ys == v
        if at.any():
            wlt[at], weq[at], ylt[at], yeq[at] = gwlt, gweq, gylt, gyeq
    F2 = (2 * wlt + weq) / W - 1
    u = ys * F2 + 2 * (Y - ylt - 0.5 * yeq) / W
    c = ws if cfg["wtype"] == "fweight" else ws * ws
    out = {
        "A": np.dot(ws * ys, F2),
        "cuu": np.dot(c * u, u),
        "cu": np.dot(c, u),
        "cuy": np.dot(c * u, ys),
        "cyy": np.dot(c * ys, ys),
        "cy": np.dot(c, ys),
        "c": c.sum(),
    }
    if cfg["psu"]:
        keys = [sub[cfg["strata"]].to_numpy()[s.order]] if cfg["strata"] else []
        keys.append(sub[cfg["psu"]].to_numpy()[s.order])
        out["psu"] = (
            pd.DataFrame({"wu": ws * u, "w": ws, "wy": ws * ys})
            .groupby([pd.Series(k) for k in keys], sort=False)
            .sum()
        )
    return out


def _gini_sorted(parts, cfg, run):
    """Run passes 1 and 2 over range-sorted partitions (pandas frames or dask delayed objects).

    ``run(fn, parts, *per_part_args)`` applies ``fn`` to every partition and returns the list.
    Ties at partition edges get the global mid-rank (their weight summed over partitions).
    """
    n = len(parts)
    p1 = run(_gini_pass1, parts, [cfg] * n)
    idx = [i for i, x in enumerate(p1) if x is not None]
    if not idx:
        raise EmptySampleError("no rows left for the Gini")
    p1n = [p1[i] for i in idx]
    W = sum(x["W"] for x in p1n)
    Y = sum(x["Y"] for x in p1n)
    n_units = sum(x["n"] for x in p1n)
    if Y <= 0:
        raise IncomeDomainError("expected a positive mean income, found 0: the Gini is undefined")
    for a, b in zip(p1n[:-1], p1n[1:], strict=True):
        if b["lo"] < a["hi"]:
            raise RuntimeError("partitions are not range-sorted")
    off_w = np.cumsum([0.0] + [x["W"] for x in p1n])[:-1]
    off_y = np.cumsum([0.0] + [x["Y"] for x in p1n])[:-1]
    ties = {}
    for v in {x["hi"] for x in p1n} & {x["lo"] for x in p1n}:
        holders = [k for k, x in enumerate(p1n) if x["lo"] <= v <= x["hi"]]
        if len(holders) < 2:
            continue
        x0 = p1n[holders[0]]
        gwlt = off_w[holders[0]] + x0["W"] - x0["w_hi"]
        gylt = off_y[holders[0]] + x0["Y"] - x0["y_hi"]

        def at_v(x, key, v=v):
            if x["lo"] == x["hi"]:
                return x[key.upper()]
            return x[f"{key}_hi"] if x["hi"] == v else x[f"{key}_lo"]

        gweq = sum(at_v(p1n[k], "w") for k in holders)
        gyeq = sum(at_v(p1n[k], "y") for k in holders)
        ties[v] = (gwlt, gweq, gylt, gyeq)
    cfg2 = dict(cfg, W=W, Y=Y)
    m = len(idx)
    p2 = run(
        _gini_pass2,
        [parts[i] for i in idx],
        [cfg2] * m,
        list(off_w),
        list(off_y),
        [ties] * m,
    )
    return W, Y, n_units, sum(x["rows"] for x in p1n), ties, p2


def _gini_assemble(W, Y, n_units, p2, psu, strata):
    """Gini, its linearised variance and VcovSpec from the pass-2 sums."""
    mu = Y / W
    A = sum(x["A"] for x in p2) / W
    G = A / mu
    k1, k2 = -2 * A - mu + G * mu, -G
    # z_i = IF_i / W = (u_i + k1 + k2 y_i) / (mu W)
    if psu is None:
        s = {k: sum(x[k] for x in p2) for k in ("cuu", "cu", "cuy", "cyy", "cy", "c")}
        M = (
            s["cuu"]
            + k1**2 * s["c"]
            + k2**2 * s["cyy"]
            + 2 * k1 * s["cu"]
            + 2 * k2 * s["cuy"]
            + 2 * k1 * k2 * s["cy"]
        ) / (mu * W) ** 2
        if n_units < 2:
            raise VarianceError(f"expected at least 2 sampled units, found {n_units:g}")
        factor = n_units / (n_units - 1)
        V = np.array([[factor * M]])
        spec = VcovSpec("linearized", df=int(round(n_units)) - 1, small_sample=factor)
    else:
        tab = pd.concat([x["psu"] for x in p2]).groupby(level=list(range(2 if strata else 1))).sum()
        U = ((tab["wu"] + k1 * tab["w"] + k2 * tab["wy"]) / (mu * W)).to_numpy()[:, None]
        n_psu = len(U)
        if n_psu < 2:
            raise VarianceError(f"expected at least 2 PSUs for a variance, found {n_psu}")
        if strata:
            h = pd.factorize(tab.index.get_level_values(0), sort=True)[0]
            V, _, n_strata = meat(U, clusters=np.arange(n_psu), strata=h)
            factor, df = 1.0, n_psu - n_strata
        else:
            Mt, _, _ = meat(U, clusters=np.arange(n_psu))
            factor, n_strata, df = n_psu / (n_psu - 1), None, n_psu - 1
            V = factor * Mt
        spec = VcovSpec(
            "linearized",
            cluster=psu,
            strata=strata,
            n_clusters=n_psu,
            n_strata=n_strata,
            df=df,
            small_sample=factor,
        )
    return G, V, spec


@strict_keywords
def gini_dask(
    data,
    income: str,
    *,
    weights: str | None = None,
    weight_type: str = "pweight",
    psu: str | None = None,
    strata: str | None = None,
    npartitions: int | None = None,
) -> Results:
    """Weighted Gini of a Dask DataFrame by an exact sorted merge, with its linearised SE.

    Parameters
    ----------
    data : dask.dataframe.DataFrame
    income : str
        Income column (>= 0).
    weights : str, optional
    weight_type : {"pweight", "aweight", "fweight"}, default "pweight"
    psu, strata : str, optional
        Design columns for the variance.
    npartitions : int, optional
        Partitions of the sorted frame (default: as the input).

    Returns
    -------
    Results
        Term ``gini``; equals :func:`welfare.inequality.gini` on the same rows to rounding.

    Raises
    ------
    MissingColumnError, InvalidWeightError, IncomeDomainError, EmptySampleError
    """
    dask, dd = _dask()
    check_option("weight_type", weight_type, ("pweight", "aweight", "fweight"))
    if strata is not None and psu is None:
        raise UnknownOptionError("strata= needs psu= (PSUs are nested in strata)")
    if npartitions is not None and (
        isinstance(npartitions, bool) or not isinstance(npartitions, int) or npartitions < 1
    ):
        raise UnknownOptionError(f"npartitions: expected an integer >= 1, found {npartitions!r}")
    _check_frame(data, [income, weights, psu, strata], [("income", income), ("weights", weights)])
    cols = [c for c in (income, weights, psu, strata) if c is not None]
    roles = [("income", income), ("weight", weights), ("PSU", psu), ("stratum", strata)]
    cfg = {
        "income": income,
        "weights": weights,
        "wtype": weight_type,
        "psu": psu,
        "strata": strata,
        "roles": roles,
    }
    # validation and missing-value counts on the unsorted frame
    checks = dask.compute(
        *[dask.delayed(lambda p: _gini_clean(p, cfg)[1:])(p) for p in data[cols].to_delayed()]
    )
    counts = _merge_counts([c[0] for c in checks])
    _raise_invalid(
        sum(c[1] for c in checks),
        sum(c[2] for c in checks),
        income,
        "nonnegative",
        "the Gini",
        "error",
        weights,
    )
    n_rows = sum(c[3] for c in checks)
    clean = data[cols].dropna()
    srt = (
        clean.sort_values(income, npartitions=npartitions)
        if npartitions
        else clean.sort_values(income)
    )

    def run(fn, parts, *args):
        return list(
            dask.compute(*[dask.delayed(fn)(p, *a) for p, *a in zip(parts, *args, strict=True)])
        )

    parts = srt.to_delayed()
    W, Y, n_units, n_kept, ties, p2 = _gini_sorted(parts, cfg, run)
    G, V, spec = _gini_assemble(W, Y, n_units, p2, psu, strata)
    n_obs = int(round(n_units))
    return Results(
        terms=["gini"],
        estimates=[G],
        vcov=clean_vcov(V),
        vcov_spec=spec,
        estimator="Gini (exact sorted merge, Dask)",
        estimand=f"inequality of {income}",
        sample=_sample(n_rows, counts, n_kept, "any", "", 0, "error"),
        n_obs=n_obs,
        weights=f"{weight_type}s {weights!r}" if weights else "unweighted",
        extra={"partitions": len(parts), "ties_across_partitions": len(ties)},
        notes=("Gini population convention; exact sorted merge over range partitions.",),
    )
