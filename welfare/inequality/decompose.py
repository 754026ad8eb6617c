"""Decompositions of inequality: by population group (GE family) and by income source.

* :func:`ge_decomposition` - GE(alpha) = between + within by group (Shorrocks 1980, 1984):
  within = sum_g v_g^(1-alpha) s_g^alpha GE_g (v_g population share, s_g income share),
  between = GE(alpha) of the group means given to every member. Each group's population share,
  income share, mean, index and contribution are reported. A group whose incomes are all zero
  has income share 0 and contributes nothing within (its index is 0: all its members are equal),
  as in PySAL.
* :func:`gini_by_source` - the Lerman & Yitzhaki (1985) decomposition of the Gini of total income
  y = sum_k y_k: G = sum_k S_k G_k R_k with S_k = mu_k / mu (source share), G_k the Gini of
  source k, R_k = cov(y_k, F(y)) / cov(y_k, F(y_k)) (Gini correlation), contribution
  C_k = S_k G_k R_k, share of total Gini C_k / G, and the elasticity of the Gini to a 1% increase
  of source k, C_k / G - S_k.
* :func:`shapley_by_source` - the Shapley decomposition of any index by income sources
  (Shorrocks 2013): the contribution of source k is its average marginal effect on the index
  over all orders of adding sources, a source left out being set to zero (``"zero"``) or to its
  mean (``"mean"``, equalised).

The adding-up identities (between + within = total; sum_k C_k = G; sum of Shapley contributions
= index of total income) are asserted in code: a violation raises :class:`IdentityError`.

Standard errors: linearised (influence functions; the group decomposition's Jacobian is exact,
by complex-step differentiation of the decomposition as a function of weighted group moments) or
the Rao-Wu bootstrap, as in :func:`welfare.inequality.inequality`.

References
----------
Shorrocks, A. F. (1980). The class of additively decomposable inequality measures.
*Econometrica* 48(3), 613-625. doi:10.2307/1913126
Shorrocks, A. F. (1984). Inequality decomposition by population subgroups. *Econometrica* 52(6),
1369-1385. doi:10.2307/1913511
Lerman, R. I. & Yitzhaki, S. (1985). Income inequality effects by income source: a new approach
and applications to the United States. *Review of Economics and Statistics* 67(1), 151-156.
doi:10.2307/1928447
Shorrocks, A. F. (2013). Decomposition procedures for distributional analysis: a unified
framework based on the Shapley value. *Journal of Economic Inequality* 11(1), 99-126.
doi:10.1007/s10888-011-9214-z
Squire, W. & Trapp, G. (1998). Using complex variables to estimate derivatives of real functions.
*SIAM Review* 40(1), 110-112. doi:10.1137/S003614459631241X
"""

from __future__ import annotations

import itertools
import math
import numbers

import numpy as np
import pandas as pd

from welfare._options import check_option, strict_keywords
from welfare.data.design import SurveyDesign
from welfare.errors import (
    DataError,
    EmptySampleError,
    UnknownOptionError,
    VarianceError,
    WelfareError,
)
from welfare.inequality._kernels import SortedIncome, evaluate, parse_index
from welfare.inequality._prepare import (
    VCOV_KINDS,
    IncomeDomainError,
    Prepared,
    bootstrap_multipliers,
    bootstrap_vcov,
    check_boot,
    clean_vcov,
    level_name,
    linearized_vcov,
    pow2_scale,
    prepare,
    results,
)
from welfare.inference.results import Results
from welfare.inference.vcov import VcovSpec, meat

__all__ = [
    "ge_decomposition",
    "gini_by_source",
    "shapley_by_source",
    "IdentityError",
    "decomposition_frame",
]

TOL = 1e-10


class IdentityError(WelfareError, ArithmeticError):
    """An adding-up identity of a decomposition failed (a bug: please report it)."""


def assert_adds_up(what: str, parts: float, total: float) -> None:
    """Raise :class:`IdentityError` unless ``parts`` equals ``total`` to 1e-10 (relative)."""
    if not abs(parts - total) <= TOL * max(1.0, abs(total)):
        raise IdentityError(f"{what}: the parts add up to {parts!r}, expected the total {total!r}")


# ================================================================ group decomposition
def _alphas(alpha) -> list[float]:
    vals = [alpha] if np.ndim(alpha) == 0 else list(np.asarray(alpha).ravel())
    out = []
    for a in vals:
        if isinstance(a, bool | np.bool_) or not isinstance(a, numbers.Real) or not np.isfinite(a):
            raise UnknownOptionError(f"alpha: expected finite numbers such as 0, 1, 2, found {a!r}")
        if abs(float(a)) > 10:
            raise UnknownOptionError(
                f"alpha: expected values in [-10, 10] (beyond that the GE moments overflow), "
                f"found {a!r}"
            )
        if float(a) not in out:
            out.append(float(a))
    if not out:
        raise UnknownOptionError("alpha: expected at least one value, found none")
    return out


def _ge_name(a: float) -> str:
    return "theil_t" if a == 1 else "mld" if a == 0 else f"ge({a:g})"


def _phi(y: np.ndarray, a: float, logy: np.ndarray | None = None) -> np.ndarray:
    """GE moment function: log y (a = 0), y log y with 0 log 0 = 0 (a = 1), y^a otherwise."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if a == 0:
            return np.log(y) if logy is None else logy
        if a == 1:
            lg = np.log(np.where(y > 0, y, 1.0)) if logy is None else np.where(y > 0, logy, 0.0)
            return y * lg
        if a == 2:
            return y * y
        return np.power(y, a)


def _features(y: np.ndarray, alphas: list[float]) -> np.ndarray:
    """Per-unit moment features [1, y, phi_a(y) ...], shape (n, r)."""
    logy = None
    if any(a in (0, 1) for a in alphas):
        with np.errstate(divide="ignore"):
            logy = np.log(y)
    return np.column_stack([np.ones_like(y), y] + [_phi(y, a, logy) for a in alphas])


def _subset_sums(x, w, fweights: bool, g, G: int, alphas: list[float]):
    """Per group sums for the linearised variance, in cache-sized chunks (no PSUs).

    Returns sum w a (G, r), sum c a (G, r) and sum c a a' (G, r, r) for the features
    a = [1, x, phi_a(x) ...], with c = w^2 (pweights, aweights) or c = w (fweights). Each chunk
    and group fills one reused buffer of feature rows scaled by sqrt(c) and adds one BLAS
    product, so no array of length n is allocated.
    """
    chunk = 1 << 15
    r = 2 + len(alphas)
    Sw, Sc, Saa = np.zeros((G, r)), np.zeros((G, r)), np.zeros((G, r, r))
    need_log = any(a in (0, 1) for a in alphas)
    buf = np.empty((min(chunk, len(x)), r), order="F")
    for a0 in range(0, len(x), chunk):
        xc, wc, gc = x[a0 : a0 + chunk], w[a0 : a0 + chunk], g[a0 : a0 + chunk]
        for k in range(G):
            sel = gc == k
            xk = xc[sel]
            sq = np.sqrt(wc[sel]) if fweights else wc[sel]  # sqrt(c)
            F = buf[: len(xk)]
            F[:, 0] = sq
            np.multiply(sq, xk, out=F[:, 1])
            logx = None
            if need_log:
                with np.errstate(divide="ignore"):
                    logx = np.log(xk)
            for j, a in enumerate(alphas):
                np.multiply(sq, _phi(xk, a, logx), out=F[:, 2 + j])
            Saa[k] += F.T @ F
            sc = sq @ F  # sum c a
            Sc[k] += sc
            Sw[k] += sc if fweights else F.sum(axis=0)
    return Sw, Sc, Saa


def _group_moments(A: np.ndarray, w: np.ndarray, g: np.ndarray, G: int) -> np.ndarray:
    """m[(g, j)] = sum_{i in g} w_i A_ij / W, flattened group-major, shape (G * r,)."""
    W = w.sum()
    r = A.shape[1]
    m = np.empty((G, r))
    for j in range(r):
        m[:, j] = np.bincount(g, weights=w * A[:, j], minlength=G)
    return (m / W).reshape(-1)


def _group_cross(A: np.ndarray, w: np.ndarray, c: np.ndarray, g: np.ndarray, G: int):
    """Per group: sum w a (G, r), sum c a (G, r) and sum c a a' (G, r, r), by bincounts."""
    r = A.shape[1]
    Sw, Sc, Saa = np.empty((G, r)), np.empty((G, r)), np.empty((G, r, r))
    for j in range(r):
        Sw[:, j] = np.bincount(g, weights=w * A[:, j], minlength=G)
        ca = c * A[:, j]
        Sc[:, j] = np.bincount(g, weights=ca, minlength=G)
        for l in range(j, r):
            Saa[:, j, l] = Saa[:, l, j] = np.bincount(g, weights=ca * A[:, l], minlength=G)
    return Sw, Sc, Saa


def _ge_terms(m, G: int, alphas: list[float], zero: np.ndarray):
    """All decomposition terms as a function of the moment vector (complex-step safe)."""
    r = 2 + len(alphas)
    mm = m.reshape(G, r)
    P, M = mm[:, 0], mm[:, 1]
    PT, MT = P.sum(), M.sum()
    mu = MT / PT
    v = P / PT
    s = M / MT
    Msafe = np.where(zero, 1.0, M)
    mug = Msafe / P
    out = [v, s, np.where(zero, 0.0, mug)]
    for j, a in enumerate(alphas):
        Phi = mm[:, 2 + j]
        Ebar = Phi.sum() / PT
        Eg = Phi / P
        if a == 1:
            total = Ebar / mu - np.log(mu)
            geg = np.where(zero, 0.0, Eg / mug - np.log(mug))
            contrib = np.where(zero, 0.0, s * geg)
            ssafe = np.where(zero, 1.0, s)
            between = np.sum(np.where(zero, 0.0, ssafe * np.log(ssafe / v)))
        elif a == 0:
            total = np.log(mu) - Ebar
            geg = np.log(mug) - Eg
            contrib = v * geg
            between = np.sum(v * np.log(mu / mug))
        else:
            c = 1.0 / (a * (a - 1))
            total = c * (Ebar / mu**a - 1)
            geg = np.where(zero, 0.0, c * (Eg / mug**a - 1))
            ssafe = np.where(zero, 1.0, s)
            contrib = np.where(zero, 0.0, v ** (1 - a) * ssafe**a * geg)
            between = c * (np.sum(np.where(zero, 0.0, v * (mug / mu) ** a)) - 1)
        within = contrib.sum()
        out += [
            np.array([total, between, within, between / total, within / total]),
            geg,
            contrib,
            contrib / total,
        ]
    return np.concatenate([np.atleast_1d(x) for x in out])


def stable_sums(y, w, g, G: int, alphas, mug, mu):
    """Per group sum_g w phi(y / mu_g) and overall sum w phi(y / mu), phi the GE kernel.

    Returns arrays of shape (len(alphas), G) and (len(alphas),). Relative incomes avoid the
    cancellation of the moment form (E[y log y]/mu - log mu) and give exactly 0 for equal
    incomes.
    """
    xg = y / mug[g]
    xt = y / mu
    SG, ST = np.empty((len(alphas), G)), np.empty(len(alphas))
    with np.errstate(divide="ignore", invalid="ignore"):
        logg = np.log(np.where(xg > 0, xg, 1.0))
        logt = np.log(np.where(xt > 0, xt, 1.0))
        for j, a in enumerate(alphas):
            if a == 1:
                pg, pt = xg * logg, xt * logt
            elif a == 0:
                pg, pt = -logg, -logt
            else:
                c = 1.0 / (a * (a - 1))
                pg, pt = c * (xg**a - 1), c * (xt**a - 1)
            SG[j] = np.bincount(g, weights=w * pg, minlength=G)
            ST[j] = np.dot(w, pt)
    return SG, ST


def compose_stable(est, names, Wg, Yg, SG, ST, alphas, zero, labels) -> None:
    """Write total, between, within, group indices and contributions into ``est``."""
    G = len(Wg)
    W, Y = Wg.sum(), Yg.sum()
    mu = Y / W
    mug = np.where(zero, 1.0, Yg / Wg)
    v, s_ = Wg / W, Yg / Y
    with np.errstate(divide="ignore", invalid="ignore"):
        for j, a in enumerate(alphas):
            n = _ge_name(a)
            geg = np.where(zero, 0.0, SG[j] / Wg)
            total = float(ST[j] / W)
            if a == 1:
                contrib = s_ * geg
                between = float(
                    np.sum(np.where(zero, 0.0, s_ * np.log(np.where(zero, 1.0, s_ / v))))
                )
            elif a == 0:
                contrib = v * geg
                between = float(np.sum(v * np.log(mu / mug)))
            else:
                c = 1.0 / (a * (a - 1))
                contrib = np.where(zero, 0.0, v ** (1 - a) * s_**a * geg)
                between = c * (float(np.sum(np.where(zero, 0.0, v * (mug / mu) ** a))) - 1)
            within = float(contrib.sum())
            i = names.index(f"{n}: total")
            est[i : i + 5] = [total, between, within, between / total, within / total]
            for k in range(G):
                est[names.index(f"{n}: index{labels[k]}")] = geg[k]
                est[names.index(f"{n}: contribution{labels[k]}")] = contrib[k]
                est[names.index(f"{n}: contribution share{labels[k]}")] = contrib[k] / total


def check_identities(est, names, alphas, labels) -> None:
    """Assert between + within = total and sum of contributions = within, per alpha."""
    for a in alphas:
        n = _ge_name(a)
        i = names.index(f"{n}: total")
        assert_adds_up(f"{n} between + within", est[i + 1] + est[i + 2], est[i])
        ci = names.index(f"{n}: contribution{labels[0]}")
        G = len(labels)
        assert_adds_up(f"{n} sum of group contributions", est[ci : ci + G].sum(), est[i + 2])


def ge_setup(m: np.ndarray, G: int, alphas: list[float]):
    """Zero-income groups, the moments not to differentiate, the term function and its value.

    A group whose incomes are all zero has no variation in its income moments, so those are
    skipped by the Jacobian (their derivative is irrelevant and x log x has none at 0).
    """
    r = 2 + len(alphas)
    zero = m.reshape(G, r)[:, 1] == 0
    skip = np.zeros(G * r, dtype=bool)
    for gi in np.flatnonzero(zero):
        skip[gi * r + 1 : gi * r + r] = True

    def f(mv):
        return _ge_terms(mv, G, alphas, zero)

    with np.errstate(divide="ignore", invalid="ignore"):
        est = f(m.astype(complex)).real
    return zero, skip, f, est


def _ge_term_names(levels, by, alphas):
    lv = [f"[{by}={level_name(v)}]" for v in levels]
    names = [f"pop_share{x}" for x in lv] + [f"income_share{x}" for x in lv]
    names += [f"mean{x}" for x in lv]
    for a in alphas:
        n = _ge_name(a)
        names += [f"{n}: total", f"{n}: between", f"{n}: within"]
        names += [f"{n}: between share", f"{n}: within share"]
        names += [f"{n}: index{x}" for x in lv]
        names += [f"{n}: contribution{x}" for x in lv]
        names += [f"{n}: contribution share{x}" for x in lv]
    return names


def _complex_jacobian(f, m: np.ndarray, skip: np.ndarray) -> np.ndarray:
    """Jacobian of f at m by complex-step differentiation (exact to rounding)."""
    f0 = f(m.astype(complex))
    J = np.zeros((len(f0), len(m)))
    for k in range(len(m)):
        if skip[k]:
            continue
        h = 1e-20 * max(abs(m[k]), 1.0)
        mk = m.astype(complex)
        mk[k] += 1j * h
        J[:, k] = f(mk).imag / h
    return J


def vcov_from_aggregates(
    J: np.ndarray,
    m: np.ndarray,
    W: float,
    *,
    unit=None,
    psu=None,
    psu_name=None,
    strata_name=None,
):
    """Linearised variance of f(m) from group-level or PSU-level sums (no unit-level arrays).

    Parameters
    ----------
    J : numpy.ndarray, shape (q, k)
        Jacobian of the terms with respect to the moments m (k = G r).
    m : numpy.ndarray, shape (k,)
    W : float
        Sum of weights.
    unit : tuple, optional
        Without PSUs: (Ch (G, r), Saa (G, r, r), C0, n_units) with c = w^2 (or the frequency
        weight): sum c a, sum c a a' per group, sum c, and the number of sampled units.
    psu : tuple, optional
        With PSUs: (H (n_psu, k) sums of w a by PSU and group slot, Wc (n_psu,) sums of w,
        h_of_psu (n_psu,) stratum codes or None).

    Returns
    -------
    V : numpy.ndarray, shape (q, q)
    spec : VcovSpec
    """
    k = len(m)
    if psu is None:
        Ch, Saa, C0, n = unit
        G, r = Ch.shape
        S = np.zeros((k, k))
        for gi in range(G):
            S[gi * r : (gi + 1) * r, gi * r : (gi + 1) * r] = Saa[gi]
        Ch = Ch.reshape(-1)
        S = S - np.outer(m, Ch) - np.outer(Ch, m) + C0 * np.outer(m, m)
        factor = n / (n - 1)
        V = factor * J @ S @ J.T / W**2
        spec = VcovSpec("linearized", df=int(round(n)) - 1, small_sample=factor)
        return clean_vcov(V), spec
    H, Wc, h_of_psu = psu
    n_psu = len(Wc)
    if n_psu < 2:
        raise VarianceError(f"expected at least 2 PSUs for a variance, found {n_psu}")
    U = (H - Wc[:, None] * m[None, :]) @ J.T / W
    if h_of_psu is None:
        Mt, _, _ = meat(U, clusters=np.arange(n_psu))
        factor = n_psu / (n_psu - 1)
        V = factor * Mt
        n_strata, df = None, n_psu - 1
    else:
        V, _, n_strata = meat(U, clusters=np.arange(n_psu), strata=h_of_psu)
        factor = 1.0
        df = n_psu - n_strata
    spec = VcovSpec(
        "linearized",
        cluster=psu_name,
        strata=strata_name,
        n_clusters=n_psu,
        n_strata=n_strata,
        df=df,
        small_sample=factor,
    )
    return clean_vcov(V), spec


def moment_vcov(prep: Prepared, A, g: np.ndarray, G: int, J: np.ndarray, m, cross=None):
    """Linearised variance of f(m), m the weighted group moments of features A (n, r).

    ``cross`` = (sum c a, sum c a a') per group when already computed (then A may be None).
    """
    r = len(m) // G
    w = prep.w
    W = w.sum()
    if prep.psu is None:
        if cross is None:
            c = w if prep.fweights else w**2
            cross = _group_cross(A, w, c, g, G)[1:]
        Ch, Saa = cross
        C0 = Ch[:, 0].sum()  # sum of c (the first feature is 1)
        return vcov_from_aggregates(J, m, W, unit=(Ch, Saa, C0, prep.n_units))
    n_psu = int(prep.psu.max()) + 1
    code = prep.psu * G + g
    H = np.empty((n_psu * G, r))
    for j in range(r):
        H[:, j] = np.bincount(code, weights=w * A[:, j], minlength=n_psu * G)
    H = H.reshape(n_psu, G * r)
    Wc = np.bincount(prep.psu, weights=w, minlength=n_psu)
    h_of_psu = None
    if prep.strata is not None:
        h_of_psu = np.zeros(n_psu, dtype=int)
        h_of_psu[prep.psu] = prep.strata
    return vcov_from_aggregates(
        J,
        m,
        W,
        psu=(H, Wc, h_of_psu),
        psu_name=prep.psu_name,
        strata_name=prep.strata_name,
    )


@strict_keywords
def ge_decomposition(
    data,
    income: str | None = None,
    *,
    by: str,
    alpha=(0, 1, 2),
    design: SurveyDesign | None = None,
    vcov: str = "linearized",
    n_boot: int = 499,
    random_state=None,
    nonpositive: str = "error",
) -> Results:
    """Between/within decomposition of the generalised entropy indices GE(alpha) by group.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
    income : str
        Income column (money, e.g. RMB per person per year).
    by : str
        Group column (e.g. ``"e_household"``); missing values are left out and counted.
    alpha : float or sequence of float, default (0, 1, 2)
        GE parameters: 0 is the mean log deviation (needs incomes > 0), 1 Theil T (0 log 0 = 0),
        2 half the squared coefficient of variation.
    design : SurveyDesign, optional
    vcov : {"linearized", "bootstrap"}, default "linearized"
    n_boot : int, default 499
    random_state : int or numpy.random.Generator, optional
        Required with the bootstrap.
    nonpositive : {"error", "exclude"}, default "error"

    Returns
    -------
    Results
        Terms ``pop_share[g]``, ``income_share[g]``, ``mean[g]`` and per alpha
        ``"<index>: total"``, ``": between"``, ``": within"``, ``": between share"``,
        ``": within share"``, ``": index[g]"``, ``": contribution[g]"`` (to within) and
        ``": contribution share[g]"`` (of the total). :func:`decomposition_frame` reshapes
        them.

    Raises
    ------
    IncomeDomainError
        Zero or negative incomes for MLD (alpha <= 0), negative incomes otherwise, a zero mean.
    EmptySampleError
        A group with no observation after exclusions, or a single group.
    IdentityError
        between + within differs from the total (never expected).
    """
    check_option("vcov", vcov, VCOV_KINDS)
    alphas = _alphas(alpha)
    if vcov == "bootstrap":
        check_boot(n_boot, random_state)
    dom = "positive" if min(alphas) <= 0 else "nonnegative"
    who = ", ".join(_ge_name(a) for a in alphas if (a <= 0) == (dom == "positive"))
    prep = prepare(
        data, income, design=design, by=by, domain=dom, nonpositive=nonpositive, domain_reason=who
    )
    G = len(prep.levels)
    sizes = np.bincount(prep.groups, minlength=G)
    if G >= 2 and (sizes < 2).any():
        small = [level_name(v) for v, k in zip(prep.levels, sizes, strict=True) if k < 2]
        raise EmptySampleError(
            f"by={by!r}: expected at least 2 observations in every group, found fewer in "
            f"group(s) {small[:10]}"
        )
    if G < 2:
        raise EmptySampleError(
            f"by={by!r}: expected at least 2 groups, found {G} ({[level_name(v) for v in prep.levels]})"
        )
    g = prep.groups
    r = 2 + len(alphas)
    cross = None
    # every term but the group means is scale invariant: work with x = y / kappa (kappa the
    # weighted mean, a fixed constant), which keeps the moment form free of cancellation
    top = float(np.max(prep.y)) or 1.0
    kappa = top * float(np.dot(prep.w, prep.y / top) / prep.w.sum())  # overflow-safe mean
    if kappa <= 0:
        raise IncomeDomainError("expected a positive mean income, found 0: GE indices undefined")
    x = prep.y / kappa
    if prep.psu is None and vcov == "linearized" and G <= 16:
        # few groups, no PSUs: every sum the variance needs from one subset pass per group
        Sw, Sc, Saa = _subset_sums(x, prep.w, prep.fweights, g, G, alphas)
        m = (Sw / prep.w.sum()).reshape(-1)
        cross, A = (Sc, Saa), None
    else:
        A = _features(x, alphas)
        m = _group_moments(A, prep.w, g, G)
    if m[1::r].sum() <= 0:
        raise IncomeDomainError("expected a positive mean income, found 0: GE indices undefined")
    zero, skip, f, est = ge_setup(m, G, alphas)
    names = _ge_term_names(prep.levels, by, alphas)
    check_identities(est, names, alphas, [f"[{by}={level_name(v)}]" for v in prep.levels])
    extra = {
        "alphas": tuple(alphas),
        "groups": {level_name(v): int((g == j).sum()) for j, v in enumerate(prep.levels)},
        "group_terms": {level_name(v): f"[{by}={level_name(v)}]" for v in prep.levels},
    }
    if vcov == "linearized":
        with np.errstate(divide="ignore", invalid="ignore"):
            J = _complex_jacobian(f, m, skip)
        V, spec = moment_vcov(prep, A, g, G, J, m, cross)
    else:
        reps = []
        for mult in bootstrap_multipliers(prep, n_boot, random_state):
            mb = _group_moments(A, prep.w * mult, g, G)
            zb = mb.reshape(G, r)[:, 1] == 0
            if np.any(mb.reshape(G, r)[:, 0] == 0) or np.any(zb & ~zero):
                reps.append(np.full(len(est), np.nan))
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                reps.append(f(mb.astype(complex)).real)
        reps = np.array(reps)
        V, spec, n_bad = bootstrap_vcov(reps, prep, n_boot, f", seed {random_state}")
        extra["bootstrap_failed"] = n_bad
    if not np.all(np.isfinite(est)):
        raise IncomeDomainError(
            f"a group index is undefined: {[n for n, e in zip(names, est, strict=True) if not np.isfinite(e)]}"
        )
    # the group means are the only terms in money units: back from x = y / kappa
    sc = np.array([kappa if t.startswith("mean[") else 1.0 for t in names])
    est, V = est * sc, V * np.outer(sc, sc)
    return results(
        prep,
        terms=names,
        estimates=est,
        vcov=V,
        spec=spec,
        estimator="GE decomposition by group (Shorrocks 1984)",
        estimand=f"between/within inequality of {income or 'income'} by {by}",
        extra=extra,
        notes=(
            "within = sum_g v_g^(1-alpha) s_g^alpha GE_g; between = GE of the group means; "
            "between + within = total (asserted).",
        ),
    )


def decomposition_frame(res: Results, alpha: float | None = None) -> pd.DataFrame:
    """Reshape a :func:`ge_decomposition` result into one row per group.

    Returns
    -------
    pandas.DataFrame
        Columns ``group, pop_share, income_share, mean, index, contribution,
        contribution_share`` (and ``*_se``) for one alpha (default: the first).

    Raises
    ------
    UnknownOptionError
        ``res`` is not a GE decomposition, or ``alpha`` was not estimated.
    """
    if "group_terms" not in res.extra:
        raise UnknownOptionError(
            f"expected a ge_decomposition result, found one of {res.estimator!r}"
        )
    alphas = res.extra["alphas"]
    a = alphas[0] if alpha is None else float(alpha)
    if a not in alphas:
        raise UnknownOptionError(f"alpha={alpha!r} was not estimated; expected one of {alphas}")
    n = _ge_name(a)
    p, se = res.params, res.std_errors
    rows = []
    for gname, suffix in res.extra["group_terms"].items():
        row = {"group": gname}
        for col, key in (
            ("pop_share", f"pop_share{suffix}"),
            ("income_share", f"income_share{suffix}"),
            ("mean", f"mean{suffix}"),
            ("index", f"{n}: index{suffix}"),
            ("contribution", f"{n}: contribution{suffix}"),
            ("contribution_share", f"{n}: contribution share{suffix}"),
        ):
            row[col] = p[key]
            row[f"{col}_se"] = se[key]
        rows.append(row)
    return pd.DataFrame(rows)


# ================================================================ by income source
def _source_list(sources) -> list[str]:
    """Validate the income-source column names (a list, not one string)."""
    if isinstance(sources, str) or not isinstance(sources, list | tuple) or len(sources) < 2:
        raise UnknownOptionError(
            f"sources: expected a list of at least 2 income-source columns, found {sources!r}"
        )
    if not all(isinstance(c, str) for c in sources):
        raise UnknownOptionError(f"sources: expected column names (str), found {sources!r}")
    return list(sources)


def _source_prep(data, sources, design, extra_roles=()):
    sources = _source_list(sources)
    if len(set(sources)) != len(sources):
        raise UnknownOptionError(f"sources: expected distinct columns, found {sources}")
    prep = prepare(
        data,
        sources[0],
        design=design,
        extra_roles=[("income source", list(sources[1:])), *extra_roles],
    )
    Y = np.column_stack([prep.y] + [prep.extra_cols[c].astype(float) for c in sources[1:]])
    W = prep.w.sum()
    means = prep.w @ Y / W
    zero = [c for c, col in zip(sources, Y.T, strict=True) if np.all(col == 0)]
    if zero:
        raise DataError(
            f"income source(s) {zero} are zero for every unit of the sample: nothing to "
            "decompose; expected sources with some income (drop them)"
        )
    if prep.n_units < 2:
        raise EmptySampleError(f"expected at least 2 sampled units, found {prep.n_units:g}")
    scale = pow2_scale(Y)  # every term is scale invariant: avoid overflow, keep ties exact
    Y, means = Y / scale, means / scale
    if np.dot(prep.w, Y.sum(axis=1)) <= 0:
        raise IncomeDomainError("expected a positive mean total income, found <= 0")
    return prep, Y, means


def _gini_and_if(y, w, want_if=True):
    s = SortedIncome(y)
    v, infl = evaluate(s, s.sorted_weights(w), [parse_index("gini")], want_if=want_if)
    if not want_if:
        return v[0], None
    out = np.empty(len(y))
    out[s.order] = infl[:, 0]
    return v[0], out


def _concentration(yk, y, w, want_if=True):
    """Concentration coefficient of y_k ranked by y: 2 cov(y_k, F(y)) / mu_k, and the pieces.

    Returns (A_k, IF of A_k) where A_k = (1/W) sum w y_k (2F(y) - 1), so that
    contribution C_k = A_k / mu (mu: mean total income).
    """
    s = SortedIncome(y)
    ws = s.sorted_weights(w)
    yks = yk[s.order]
    W = ws.sum()
    wlt, weq = s.below_equal(ws)
    F = (wlt + 0.5 * weq) / W
    wyk = ws * yks
    A = float(np.dot(wyk, 2 * F - 1)) / W
    if not want_if:
        return A, None
    mu_k = wyk.sum() / W
    ylt, yeq = s.below_equal(wyk)
    T = (wyk.sum() - ylt - 0.5 * yeq) / W
    if_a = yks * (2 * F - 1) + 2 * T - 2 * A - mu_k
    out = np.empty(len(y))
    out[s.order] = if_a
    return A, out


def _ly(Y, w, want_if=True):
    """Lerman-Yitzhaki terms and (optionally) their influence functions (n, q)."""
    n, K = Y.shape
    y = Y.sum(axis=1)
    W = w.sum()
    mu_k = w @ Y / W
    mu = mu_k.sum()
    G, if_G = _gini_and_if(y, w, want_if)
    vals, ifs = [G], [if_G]
    S = mu_k / mu
    parts = {}
    for k in range(K):
        A, if_A = _concentration(Y[:, k], y, w, want_if)
        Gk, if_Gk = _gini_and_if(Y[:, k], w, want_if)
        C = A / mu
        Rk = C / (S[k] * Gk) if Gk != 0 else 0.0
        parts[k] = (S[k], Gk, Rk, C)
        if want_if:
            if_S = ((Y[:, k] - mu_k[k]) - S[k] * (y - mu)) / mu
            if_C = (if_A - C * (y - mu)) / mu
            if_R = (
                (if_C - Rk * (if_S * Gk + S[k] * if_Gk)) / (S[k] * Gk) if Gk != 0 else np.zeros(n)
            )
            if_share = (if_C - (C / G) * if_G) / G
            ifs += [if_S, if_Gk, if_R, if_C, if_share, if_share - if_S]
        vals += [S[k], Gk, Rk, C, C / G, C / G - S[k]]
    return np.array(vals), (np.column_stack(ifs) if want_if else None), parts


_LY_PARTS = (
    "share",
    "gini",
    "gini_correlation",
    "contribution",
    "contribution_share",
    "elasticity",
)


@strict_keywords
def gini_by_source(
    data,
    sources,
    *,
    design: SurveyDesign | None = None,
    vcov: str = "linearized",
    n_boot: int = 499,
    random_state=None,
) -> Results:
    """Lerman-Yitzhaki (1985) decomposition of the Gini of total income by income source.

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
    sources : sequence of str
        Income-source columns (same units, e.g. RMB per person per year); total income is their
        sum. Sources may hold zeros and negative values; a source that is zero everywhere is
        refused.
    design : SurveyDesign, optional
    vcov : {"linearized", "bootstrap"}, default "linearized"
    n_boot : int, default 499
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    Results
        Terms ``gini[total]`` and per source ``share[k]`` (S_k), ``gini[k]`` (G_k),
        ``gini_correlation[k]`` (R_k), ``contribution[k]`` (S_k G_k R_k, adds up to the Gini),
        ``contribution_share[k]`` (adds up to 1) and ``elasticity[k]`` (C_k/G - S_k: the
        relative change of the Gini when source k grows by 1%, divided by 1%; adds up to 0).

    Raises
    ------
    DataError
        A source that is zero everywhere; non-numeric sources.
    IncomeDomainError
        A non-positive mean total income.
    IdentityError
        The contributions do not add up to the Gini (never expected).

    Notes
    -----
    Ranks are tie-aware weighted mid-ranks, so ties (many zero e-commerce incomes) are handled
    exactly and sum_k C_k = G holds to rounding. A source whose Gini is 0 (constant) has R_k
    reported as 0 (0/0).
    """
    check_option("vcov", vcov, VCOV_KINDS)
    if vcov == "bootstrap":
        check_boot(n_boot, random_state)
    sources = _source_list(sources)
    prep, Y, _ = _source_prep(data, sources, design)
    with np.errstate(divide="ignore", invalid="ignore"):
        est, infl, _parts = _ly(Y, prep.w, want_if=(vcov == "linearized"))
    if est[0] <= 0:
        raise IncomeDomainError(
            "the Gini of total income is 0 (all units equal): its shares by source are undefined"
        )
    assert_adds_up("sum of source contributions to the Gini", est[4::6].sum(), est[0])
    assert_adds_up("sum of contribution shares", est[5::6].sum(), 1.0)
    names = ["gini[total]"] + [f"{p}[{s}]" for s in sources for p in _LY_PARTS]
    extra = {"sources": tuple(sources)}
    if vcov == "linearized":
        V, spec = linearized_vcov(prep, infl / prep.w.sum())
    else:
        reps = []
        for mult in bootstrap_multipliers(prep, n_boot, random_state, *Y.T[1:]):
            with np.errstate(divide="ignore", invalid="ignore"):
                v, _, _ = _ly(Y, prep.w * mult, want_if=False)
            reps.append(v)
        V, spec, n_bad = bootstrap_vcov(np.array(reps), prep, n_boot, f", seed {random_state}")
        extra["bootstrap_failed"] = n_bad
    return results(
        prep,
        terms=names,
        estimates=est,
        vcov=V,
        spec=spec,
        estimator="Gini decomposition by income source (Lerman & Yitzhaki 1985)",
        estimand="Gini of total income = sum of " + " + ".join(sources),
        extra=extra,
        notes=("G = sum_k S_k G_k R_k (asserted); elasticity = C_k/G - S_k.",),
    )


@strict_keywords
def shapley_by_source(
    data,
    sources,
    *,
    index: str = "gini",
    elimination: str = "zero",
    design: SurveyDesign | None = None,
    vcov: str = "linearized",
    n_boot: int = 499,
    random_state=None,
) -> Results:
    """Shapley (Shorrocks 2013) decomposition of an inequality index by income sources.

    The contribution of source k is

        phi_k = sum_{S not containing k} |S|! (K - |S| - 1)! / K! [I(S + {k}) - I(S)],

    where I(S) is the index of the income built from the sources in S, the others eliminated
    (set to zero, or to their weighted mean with ``elimination="mean"``), and I of the empty
    set is 0. The contributions add up to the index of total income (asserted).

    Parameters
    ----------
    data : pandas.DataFrame or SurveyData
    sources : sequence of str
        2 to 10 income-source columns; total income is their sum.
    index : str, default "gini"
        Any index of :func:`welfare.inequality.inequality` (``"theil_t"``, ``"ge(2)"``, ...).
    elimination : {"zero", "mean"}, default "zero"
    design : SurveyDesign, optional
    vcov : {"linearized", "bootstrap"}, default "linearized"
        ``"linearized"`` is available with ``elimination="zero"``.
    n_boot : int, default 499
    random_state : int or numpy.random.Generator, optional

    Returns
    -------
    Results
        Terms ``index[total]``, ``contribution[k]`` and ``contribution_share[k]``.

    Raises
    ------
    IncomeDomainError
        An income built from a subset of sources lies outside the index's domain (e.g. a
        negative source for Theil T) or has a zero mean.
    UnknownOptionError
        More than 10 sources; linearised variance with mean elimination.
    """
    check_option("vcov", vcov, VCOV_KINDS)
    check_option("elimination", elimination, ("zero", "mean"))
    spec = parse_index(index)
    if vcov == "bootstrap":
        check_boot(n_boot, random_state)
    if vcov == "linearized" and elimination == "mean":
        raise UnknownOptionError(
            "elimination='mean' has no linearised variance here (the equalised levels are "
            "estimated too); use vcov='bootstrap'"
        )
    sources = _source_list(sources)
    if len(sources) > 10:
        raise UnknownOptionError(
            f"sources: expected at most 10 (2^K subsets are evaluated), found {len(sources)}"
        )
    prep, Y, means = _source_prep(data, sources, design)
    K = Y.shape[1]
    subsets = [S for r in range(1, K + 1) for S in itertools.combinations(range(K), r)]
    W = prep.w.sum()

    def income_of(S, mu_k):
        y = Y[:, list(S)].sum(axis=1)
        if elimination == "mean":
            y = y + sum(mu_k[k] for k in range(K) if k not in S)
        return y

    structs = {}
    for S in subsets:
        y = income_of(S, means)
        bad = (
            (y <= 0)
            if spec.domain == "positive"
            else (y < 0)
            if spec.domain == "nonnegative"
            else None
        )
        if bad is not None and bad.any():
            raise IncomeDomainError(
                f"{spec.name} of the income from sources {[sources[k] for k in S]}: found "
                f"{int(bad.sum())} unit(s) outside the index's domain "
                f"({'> 0' if spec.domain == 'positive' else '>= 0'}); "
                + ("choose the Gini or " if spec.kind != "gini" else "")
                + "use elimination='mean'"
            )
        if np.dot(prep.w, y) <= 0:
            raise IncomeDomainError(
                f"the income from sources {[sources[k] for k in S]} has mean <= 0; "
                f"{spec.name} undefined"
            )
        structs[S] = SortedIncome(y)

    def values(w, want_if):
        out, ifs = {(): 0.0}, {(): np.zeros(len(w))}
        for S in subsets:
            if elimination == "mean" and not want_if:
                mu_k = w @ Y / w.sum()
                st = SortedIncome(income_of(S, mu_k))
            else:
                st = structs[S]
            with np.errstate(divide="ignore", invalid="ignore"):
                v, infl = evaluate(st, st.sorted_weights(w), [spec], want_if=want_if)
            out[S] = v[0]
            if want_if:
                z = np.empty(len(w))
                z[st.order] = infl[:, 0]
                ifs[S] = z
        return out, ifs

    def shapley(vals):
        phi = np.zeros(K)
        for k in range(K):
            others = [j for j in range(K) if j != k]
            for r in range(K):
                wgt = math.factorial(r) * math.factorial(K - r - 1) / math.factorial(K)
                for S in itertools.combinations(others, r):
                    Sk = tuple(sorted((*S, k)))
                    phi[k] += wgt * (vals[Sk] - vals[S])
        return phi

    vals, ifs = values(prep.w, vcov == "linearized")
    full = tuple(range(K))
    total = vals[full]
    if not total > 0:
        raise IncomeDomainError(
            f"the {spec.name} of total income is {total:g} (all units equal?): its shares by "
            "source are undefined"
        )
    phi = shapley(vals)
    assert_adds_up(f"sum of Shapley contributions to {spec.name}", phi.sum(), total)
    est = np.concatenate([[total], phi, phi / total])
    names = [f"{spec.name}[total]"]
    names += [f"contribution[{s}]" for s in sources]
    names += [f"contribution_share[{s}]" for s in sources]
    extra = {"sources": tuple(sources), "index": spec.name, "elimination": elimination}
    if vcov == "linearized":
        # the Shapley value is linear in the subset values: apply it to the IF columns
        stack = {S: ifs[S] for S in ifs}
        if_phi = np.zeros((len(prep.w), K))
        for k in range(K):
            others = [j for j in range(K) if j != k]
            for r in range(K):
                wgt = math.factorial(r) * math.factorial(K - r - 1) / math.factorial(K)
                for S in itertools.combinations(others, r):
                    Sk = tuple(sorted((*S, k)))
                    if_phi[:, k] += wgt * (stack[Sk] - stack[S])
        if_tot = stack[full]
        if_share = (if_phi - (phi / total)[None, :] * if_tot[:, None]) / total
        Z = np.column_stack([if_tot, if_phi, if_share]) / W
        V, vspec = linearized_vcov(prep, Z)
    else:
        reps = []
        for mult in bootstrap_multipliers(prep, n_boot, random_state, *Y.T[1:]):
            vb, _ = values(prep.w * mult, False)
            pb = shapley(vb)
            reps.append(np.concatenate([[vb[full]], pb, pb / vb[full]]))
        V, vspec, n_bad = bootstrap_vcov(np.array(reps), prep, n_boot, f", seed {random_state}")
        extra["bootstrap_failed"] = n_bad
    return results(
        prep,
        terms=names,
        estimates=est,
        vcov=V,
        spec=vspec,
        estimator=f"Shapley decomposition of {spec.label} by income source (Shorrocks 2013)",
        estimand=f"{spec.name} of total income = sum of " + " + ".join(sources),
        extra=extra,
        notes=(
            f"Sources eliminated by setting them to {'zero' if elimination == 'zero' else 'their mean'}; "
            "contributions add up to the index of total income (asserted).",
        ),
    )
