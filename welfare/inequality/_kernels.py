"""Array kernels of the inequality indices: values and influence functions, O(n) after one sort.

Everything here works on one income vector sorted once (:class:`SortedIncome`) and a weight
vector in that order, so a bootstrap replicate (new weights, same order) costs O(n). The
influence function (IF) of an index T at a unit with income y is the Gateaux derivative of T at
the weighted empirical distribution P_w = sum_i w_i delta_{y_i} / W; equivalently
``IF_i = W * dT/dw_i`` (the tests check this identity by finite differences). The linearised
variance of T is the design variance of the total of ``z_i = IF_i / W`` (Deville 1999).

Conventions (the public docstrings repeat them):

* ranks are tie-aware mid-ranks of the weighted distribution, F_i = (W(y < y_i) + W(y = y_i)/2)/W,
  so tied units share one value and frequency weights equal the expanded data exactly;
* Gini = sum_i sum_j w_i w_j |y_i - y_j| / (2 W^2 mu) (population convention), optionally times
  n/(n - 1);
* quantiles: Stata's rule (the first y with cumulative weight above pW; the average of the two
  neighbours when the cumulative weight equals pW);
* Lorenz ordinates: L(p) = (1/mu) int_0^p Q(u) du with Q the left-continuous quantile function
  (piecewise linear in p).

References
----------
Deville, J.-C. (1999). Variance estimation for complex statistics and estimators: linearization
and residual techniques. *Survey Methodology* 25(2), 193-203.
Binder, D. A. & Kovacevic, M. S. (1995). Estimating some measures of income inequality from survey
data: an application of the estimating equations approach. *Survey Methodology* 21(2), 137-145.
Essama-Nssah, B. & Lambert, P. J. (2012). Influence functions for policy impact analysis. In
*Inequality, Mobility and Segregation*, Research on Economic Inequality 20, 135-159.
doi:10.1108/S1049-2585(2012)0000020009
Woodruff, R. S. (1952). Confidence intervals for medians and other position measures. *JASA*
47(260), 635-646. doi:10.1080/01621459.1952.10483443
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from welfare.errors import UnknownOptionError

__all__ = ["IndexSpec", "parse_index", "SortedIncome", "evaluate", "gini_meat_chunked"]

CHUNK = 1 << 16  # rows per chunk of the cache-resident kernels

_NUM = r"([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?|-[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)"


@dataclass(frozen=True)
class IndexSpec:
    """One inequality index: its kind, parameter and canonical name."""

    kind: str  # gini, ge, atkinson, cv, ratio, palma, top, bottom
    param: float = 0.0
    param2: float = 0.0
    name: str = ""

    @property
    def domain(self) -> str:
        """``"positive"`` (y > 0), ``"nonnegative"`` (y >= 0) or ``"any"``."""
        if self.kind == "ge":
            return "positive" if self.param <= 0 else "nonnegative"
        if self.kind == "atkinson":
            return "positive" if self.param >= 1 else "nonnegative"
        if self.kind in ("gini", "palma", "top", "bottom"):
            return "nonnegative"
        return "any"

    @property
    def label(self) -> str:
        """Human-readable label for tables."""
        if self.kind == "gini":
            return "Gini"
        if self.kind == "ge":
            if self.param == 1:
                return "Theil T, GE(1)"
            if self.param == 0:
                return "mean log deviation, GE(0)"
            return f"GE({self.param:g})"
        if self.kind == "atkinson":
            return f"Atkinson({self.param:g})"
        if self.kind == "cv":
            return "coefficient of variation"
        if self.kind == "ratio":
            return f"P{100 * self.param:g}/P{100 * self.param2:g}"
        if self.kind == "palma":
            return "Palma (top 10% / bottom 40%)"
        if self.kind == "top":
            return f"top {100 * self.param:g}% share"
        return f"bottom {100 * self.param:g}% share"


ALIASES = {"theil": "theil_t", "theil t": "theil_t", "ge(1)": "theil_t", "ge(0)": "mld"}
EXAMPLES = (
    "gini",
    "theil_t",
    "mld",
    "ge(2)",
    "atkinson(0.5)",
    "cv",
    "p90/p10",
    "palma",
    "top_share(0.1)",
    "bottom_share(0.4)",
)


def parse_index(text: str) -> IndexSpec:
    """Parse an index name such as ``"gini"``, ``"ge(2)"``, ``"atkinson(1)"``, ``"p90/p10"``.

    Raises
    ------
    UnknownOptionError
        An unknown name or a parameter outside its range.
    """
    if not isinstance(text, str):
        raise UnknownOptionError(f"index: expected a name such as {EXAMPLES}, found {text!r}")
    spec = _parse(text)
    if not (np.isfinite(spec.param) and np.isfinite(spec.param2)):
        raise UnknownOptionError(f"index {text!r}: expected a finite parameter")
    return spec


def _parse(text: str) -> IndexSpec:
    t = ALIASES.get(text.strip().lower(), text.strip().lower()).replace(" ", "")
    t = ALIASES.get(t, t)
    if t == "gini":
        return IndexSpec("gini", name="gini")
    if t == "theil_t":
        return IndexSpec("ge", 1.0, name="theil_t")
    if t == "mld":
        return IndexSpec("ge", 0.0, name="mld")
    if t == "cv":
        return IndexSpec("cv", name="cv")
    if t == "palma":
        return IndexSpec("palma", name="palma")
    m = re.fullmatch(rf"ge\({_NUM}\)", t)
    if m:
        a = float(m.group(1))
        if a == 1:
            return IndexSpec("ge", 1.0, name="theil_t")
        if a == 0:
            return IndexSpec("ge", 0.0, name="mld")
        return IndexSpec("ge", a, name=f"ge({a:g})")
    m = re.fullmatch(rf"atkinson\({_NUM}\)", t)
    if m:
        e = float(m.group(1))
        if e <= 0:
            raise UnknownOptionError(
                f"index {text!r}: expected an Atkinson inequality aversion > 0, found {e:g}"
            )
        return IndexSpec("atkinson", e, name=f"atkinson({e:g})")
    m = re.fullmatch(r"p([0-9]+(?:\.[0-9]+)?)/p([0-9]+(?:\.[0-9]+)?)", t)
    if m:
        a, b = float(m.group(1)) / 100, float(m.group(2)) / 100
        if not (0 < b < a < 1):
            raise UnknownOptionError(
                f"index {text!r}: expected percentiles 0 < lower < upper < 100, found "
                f"{100 * a:g} and {100 * b:g}"
            )
        return IndexSpec("ratio", a, b, name=f"p{100 * a:g}/p{100 * b:g}")
    m = re.fullmatch(rf"(top|bottom)_share\({_NUM}\)", t)
    if m:
        p = float(m.group(2))
        if not 0 < p < 1:
            raise UnknownOptionError(
                f"index {text!r}: expected a population fraction in (0, 1), found {p:g}"
            )
        return IndexSpec(m.group(1), p, name=f"{m.group(1)}_share({p:g})")
    raise UnknownOptionError(
        f"unknown inequality index {text!r}; expected names such as {EXAMPLES}"
    )


POLARS_MIN = 20_000


def _polars():
    """The polars module, or None when it is not installed (numpy sorts are used then)."""
    try:
        import polars
    except ImportError:  # pragma: no cover - polars is a dependency
        return None
    return polars


class SortedIncome:
    """An income vector sorted once, with its tie groups.

    Parameters
    ----------
    y : numpy.ndarray, shape (n,)
        Incomes (finite).
    w : numpy.ndarray, shape (n,), optional
        Weights sorted along (``ws``).
    keep_order : bool, default True
        Keep the permutation (``order``) to map results back to the rows and to sort new
        weights. With ``keep_order=False`` and ``w`` given, y and w are sorted together (by y,
        then w) and ``order`` is None.

    Notes
    -----
    Large vectors (at least :data:`POLARS_MIN` units) are sorted by polars, whose multi-threaded
    sort runs at about the speed of one ``np.sort`` of the incomes (``np.argsort`` takes about
    2.5 times as long, a sort of (y, w) pairs as complex numbers about 1.6 times); smaller ones
    by numpy. Both orders are total (ties in y broken by w, or by the row), so results are
    identical from run to run.
    """

    __slots__ = ("order", "ys", "ws", "n", "starts", "gid")

    def __init__(self, y: np.ndarray, w: np.ndarray | None = None, keep_order: bool = True) -> None:
        y = np.asarray(y, dtype=float)
        self.n = len(y)
        big = POLARS_MIN <= self.n < 2**32 and _polars() is not None
        if keep_order or w is None:
            # by income, then weight, then row: tied units in an order set by their values
            if big:
                pl = _polars()
                cols = {"y": y} if w is None else {"y": y, "w": np.asarray(w, dtype=float)}
                idx = pl.DataFrame(cols).with_row_index("i").sort([*cols, "i"])["i"]
                self.order = idx.to_numpy().astype(np.int64)
            elif w is None:
                self.order = np.argsort(y, kind="stable")
            else:
                self.order = np.lexsort((np.asarray(w, dtype=float), y))
            self.ys = y[self.order]
            self.ws = None if w is None else np.asarray(w, dtype=float)[self.order]
        elif big:
            pl = _polars()
            d = pl.DataFrame({"y": y, "w": np.asarray(w, dtype=float)}).sort(["y", "w"])
            self.order = None
            self.ys = d["y"].to_numpy()
            self.ws = d["w"].to_numpy()
        else:
            c = np.empty(self.n, dtype=np.complex128)
            pairs = c.view(np.float64).reshape(self.n, 2)
            pairs[:, 0] = y
            pairs[:, 1] = w
            c.sort()  # by y, then by w (lexicographic order of complex numbers)
            self.order = None
            self.ys = np.ascontiguousarray(pairs[:, 0])
            self.ws = np.ascontiguousarray(pairs[:, 1])
            del c, pairs
        neq = self.ys[1:] != self.ys[:-1]
        if np.count_nonzero(neq) == self.n - 1:
            self.starts = None  # no ties
            self.gid = None
        else:
            self.starts = np.concatenate(([0], np.flatnonzero(neq) + 1))
            self.gid = np.repeat(
                np.arange(len(self.starts)), np.diff(np.append(self.starts, self.n))
            )

    def sorted_weights(self, w: np.ndarray) -> np.ndarray:
        """Weights of the original order, in sorted order."""
        return np.asarray(w, dtype=float)[self.order]

    def below_equal(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per unit: sum of ``v`` over units with smaller income, and over tied units (itself too)."""
        if self.starts is None:
            c = np.cumsum(v)
            return c - v, v
        g = np.add.reduceat(v, self.starts)
        lt = np.cumsum(g) - g
        return lt[self.gid], g[self.gid]


# ---------------------------------------------------------------- single indices
def _moment(ws, v, W):
    return float(np.dot(ws, v) / W)


def quantile(s: SortedIncome, ws: np.ndarray, p: float) -> float:
    """Weighted quantile by Stata's rule (average of neighbours at an exact cumulative hit)."""
    cw = np.cumsum(ws)
    W = cw[-1]
    target = p * W
    i = int(np.searchsorted(cw, target, side="left"))
    i = min(i, s.n - 1)
    if abs(cw[i] - target) <= 1e-12 * W and i + 1 < s.n:
        return float((s.ys[i] + s.ys[i + 1]) / 2)
    if cw[i] < target:  # floating slack
        i = min(i + 1, s.n - 1)
    return float(s.ys[i])


def quantile_density(s: SortedIncome, ws: np.ndarray, p: float, n_eff: float) -> float:
    """Density at the p-quantile from the slope of the quantile function (Woodruff 1952).

    f = 2h / (Q(p + h) - Q(p - h)) with h = 1.96 sqrt(p (1 - p) / n_eff), the half-width of a
    95% interval for the distribution function at the quantile (Q(0) is the minimum, Q(1) the
    maximum). Unlike a kernel density at a point it spans real data on both sides, so a
    quantile that falls in a wide gap between two observations still gets a finite slope.
    Returns ``inf`` when Q is flat over the interval (a quantile on a mass point: no local
    sampling variation).

    References
    ----------
    Woodruff, R. S. (1952). Confidence intervals for medians and other position measures.
    *JASA* 47(260), 635-646. doi:10.1080/01621459.1952.10483443
    Francisco, C. A. & Fuller, W. A. (1991). Quantile estimation with a complex survey design.
    *Annals of Statistics* 19(1), 454-469. doi:10.1214/aos/1176347993
    """
    h = 1.96 * np.sqrt(p * (1 - p) / n_eff)
    lo, hi = max(p - h, 0.0), min(p + h, 1.0)
    q_lo = s.ys[0] if lo <= 0 else quantile(s, ws, lo)
    q_hi = s.ys[-1] if hi >= 1 else quantile(s, ws, hi)
    if q_hi <= q_lo:
        return float("inf")
    return float((hi - lo) / (q_hi - q_lo))


def effective_n(ws: np.ndarray, fweights: bool) -> float:
    """Sampled units behind the weights: the sum of frequency weights, else Kish's (sum w)^2 / sum w^2."""
    if fweights:
        return float(ws.sum())
    return float(ws.sum() ** 2 / np.dot(ws, ws))


def lorenz_ordinate(s: SortedIncome, ws: np.ndarray, p: float, cw=None, cy=None):
    """Return (GL(p), Q(p)): generalised Lorenz ordinate (mean units) and the quantile at p."""
    if cw is None:
        cw = np.cumsum(ws)
    if cy is None:
        cy = np.cumsum(ws * s.ys)
    W = cw[-1]
    target = p * W
    k = int(np.searchsorted(cw, target, side="left"))
    k = min(k, s.n - 1)
    below_w = cw[k - 1] if k > 0 else 0.0
    below_y = cy[k - 1] if k > 0 else 0.0
    gl = (below_y + (target - below_w) * s.ys[k]) / W
    return float(gl), float(s.ys[k])


def evaluate(
    s: SortedIncome,
    ws: np.ndarray,
    specs: list[IndexSpec],
    *,
    want_if: bool = True,
    gini_factor: float = 1.0,
    fweights: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Values of ``specs`` and, optionally, their influence functions (sorted order).

    Parameters
    ----------
    s : SortedIncome
    ws : numpy.ndarray, shape (n,)
        Weights in sorted order (zeros allowed: units outside a bootstrap replicate).
    specs : list of IndexSpec
    want_if : bool
        Also return the influence functions, shape (n, len(specs)).
    gini_factor : float
        Multiplies the Gini (1 or n/(n - 1)).
    fweights : bool
        The weights are frequency weights (for the effective sample size of the quantile
        densities).

    Returns
    -------
    values : numpy.ndarray, shape (k,)
    influence : numpy.ndarray, shape (n, k) or None
    """
    y = s.ys
    W = float(ws.sum())
    wy = ws * y
    Y = float(wy.sum())
    mu = Y / W
    n_eff = effective_n(ws, fweights)
    vals = np.empty(len(specs))
    infl = np.empty((s.n, len(specs))) if want_if else None
    cache: dict = {}

    def cums():
        if "cw" not in cache:
            cache["cw"] = np.cumsum(ws)
            cache["cy"] = np.cumsum(wy)
        return cache["cw"], cache["cy"]

    def rel():
        if "x" not in cache:
            cache["x"] = y / mu
        return cache["x"]

    def logx():
        if "logx" not in cache:
            with np.errstate(divide="ignore"):
                cache["logx"] = np.log(rel())
        return cache["logx"]

    def xlogx():
        if "xlogx" not in cache:
            x = rel()
            with np.errstate(divide="ignore", invalid="ignore"):
                cache["xlogx"] = np.where(x > 0, x * logx(), 0.0)
        return cache["xlogx"]

    def gl(p):
        key = ("gl", p)
        if key not in cache:
            cw, cy = cums()
            g, q = lorenz_ordinate(s, ws, p, cw, cy)
            if_gl = None
            if want_if:
                if_gl = np.where(y < q, y - q, 0.0) + q * p - g
            cache[key] = (g, q, if_gl)
        return cache[key]

    def quant(p):
        key = ("q", p)
        if key not in cache:
            q = quantile(s, ws, p)
            if_q = None
            if want_if:
                f = quantile_density(s, ws, p, n_eff)
                if_q = (p - (y <= q)) / f
            cache[key] = (q, if_q)
        return cache[key]

    for j, sp in enumerate(specs):
        if sp.kind == "gini":
            if "gini" not in cache:
                if_g = None
                if s.starts is None:
                    # no ties (the hot path): F = (cw - w/2)/W with cw the cumulative weight
                    cw = np.cumsum(ws)
                    A = (2 * float(np.dot(wy, cw)) - float(np.dot(wy, ws))) / W**2 - mu
                    G = A / mu
                    if want_if:
                        # mu IF = y (2F - 1) + 2T - 2A - mu - G (y - mu), T = (Y - cy + wy/2)/W
                        #       = (2/W)(y cw - cy) - (1 + G) y + 2Y/W - 2A - mu + G mu
                        q = y * cw
                        q -= np.cumsum(wy)
                        q *= 2.0 / W
                        q -= (1 + G) * y
                        q += 2.0 * Y / W - 2 * A - mu + G * mu
                        q /= mu
                        if_g = q
                    del cw
                else:
                    # t = 2F - 1 with tie-aware mid-ranks F
                    wlt, weq = s.below_equal(ws)
                    t = wlt
                    t *= 2
                    t += weq
                    del weq
                    t /= W
                    t -= 1
                    A = float(np.dot(wy, t)) / W
                    G = A / mu
                    if want_if:
                        # IF = [y (2F - 1) + 2 T - 2 A - mu - G (y - mu)] / mu,
                        # T = (Y - Y(<y) - Y(=y)/2) / W
                        ylt, yeq = s.below_equal(wy)
                        r = ylt
                        r += 0.5 * yeq
                        del yeq
                        r *= -2.0 / W
                        r += 2.0 * Y / W - 2 * A - mu + G * mu
                        t -= G
                        t *= y
                        t += r
                        t /= mu
                        if_g = t
                        del r
                cache["gini"] = (G, if_g)
            G, if_g = cache["gini"]
            vals[j] = gini_factor * G
            if want_if:
                infl[:, j] = gini_factor * if_g
        elif sp.kind == "ge":
            # two-pass on relative incomes x = y / mu: exact 0 for equal incomes
            a = sp.param
            x = rel()
            if a == 1:
                T = _moment(ws, xlogx(), W)
                vals[j] = T
                if want_if:
                    infl[:, j] = xlogx() - T - (T + 1) * (x - 1)
            elif a == 0:
                L = -_moment(ws, logx(), W)
                vals[j] = L
                if want_if:
                    infl[:, j] = (x - 1) - logx() - L
            else:
                xa = x**a
                M = _moment(ws, xa, W)
                c = 1.0 / (a * (a - 1))
                vals[j] = c * (M - 1)
                if want_if:
                    infl[:, j] = c * ((xa - M) - a * M * (x - 1))
        elif sp.kind == "atkinson":
            e = sp.param
            x = rel()
            if e == 1:
                El = _moment(ws, logx(), W)
                g = np.exp(El)
                vals[j] = 1 - g
                if want_if:
                    infl[:, j] = -g * (logx() - El) + g * (x - 1)
            else:
                r = 1 - e
                xr = x**r
                M = _moment(ws, xr, W)
                ede = M ** (1 / r)
                vals[j] = 1 - ede
                if want_if:
                    infl[:, j] = -ede / (r * M) * (xr - M) + ede * (x - 1)
        elif sp.kind == "cv":
            x = rel()
            d2 = (x - 1) ** 2
            cv = np.sqrt(_moment(ws, d2, W))
            vals[j] = cv
            if want_if:
                if cv > 0:
                    infl[:, j] = (d2 - cv * cv) / (2 * cv) - cv * (x - 1)
                else:
                    infl[:, j] = 0.0
        elif sp.kind == "ratio":
            qa, ifa = quant(sp.param)
            qb, ifb = quant(sp.param2)
            if qb <= 0:  # undefined: reported as an error by the caller
                vals[j] = np.nan
                if want_if:
                    infl[:, j] = 0.0
                continue
            vals[j] = qa / qb
            if want_if:
                infl[:, j] = (ifa - (qa / qb) * ifb) / qb
                if not np.all(np.isfinite(infl[:, j])):  # no density at a quantile
                    vals[j] = np.nan
        elif sp.kind in ("top", "bottom", "palma"):
            if sp.kind == "palma":
                pt, pb = 0.9, 0.4
            elif sp.kind == "top":
                pt, pb = 1 - sp.param, None
            else:
                pt, pb = None, sp.param
            parts = []
            for p in (pt, pb):
                if p is None:
                    parts.append(None)
                    continue
                g, _q, if_g = gl(p)
                L = g / mu
                if_l = (if_g - L * (y - mu)) / mu if want_if else None
                parts.append((L, if_l))
            if sp.kind == "top":
                L, if_l = parts[0]
                vals[j] = 1 - L
                if want_if:
                    infl[:, j] = -if_l
            elif sp.kind == "bottom":
                L, if_l = parts[1]
                vals[j] = L
                if want_if:
                    infl[:, j] = if_l
            else:
                (Lt, if_t), (Lb, if_b) = parts
                top = 1 - Lt
                vals[j] = top / Lb
                if want_if:
                    infl[:, j] = (-if_t - (top / Lb) * if_b) / Lb
        else:  # pragma: no cover - parse_index admits only the kinds above
            raise UnknownOptionError(f"unknown index kind {sp.kind!r}")
    return vals, infl


def _chunk_bounds(s: SortedIncome) -> list[tuple[int, int]]:
    """Chunks of about :data:`CHUNK` rows whose edges never split a run of tied incomes."""
    edges = list(range(0, s.n, CHUNK)) + [s.n]
    if s.starts is not None:
        # move each inner edge to the start of the tie group that contains it
        pos = np.searchsorted(s.starts, edges[1:-1], side="right") - 1
        edges = [0, *sorted(set(int(s.starts[p]) for p in pos) - {0}), s.n]
    return [(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def gini_meat_chunked(s: SortedIncome, fweights: bool) -> tuple[float, float]:
    """Gini and sum_i c_i z_i^2 (z = IF / W, c = w^2 or the frequency weight), in chunks.

    The same formulas as :func:`evaluate` (tie-aware mid-ranks), computed in two passes over
    cache-sized chunks with running sums carried between them, so no array of length n is
    allocated (at 10^8 units a whole-array pass would allocate several 800 MB temporaries).
    With mid-ranks F = (W(<y) + W(=y)/2)/W and T = (Y - Y(<y) - Y(=y)/2)/W,

        A = (1/W) sum w y (2F - 1),   mu IF = (2/W)(y W(<=y)~ - Y(<=y)~) - (1 + G) y + K,

    where ~ marks the running sums through the unit itself for untied incomes (the half-unit
    terms cancel), or through its whole tie group for tied ones, and K = 2Y/W - 2A - mu + G mu.
    """
    ys, ws = s.ys, s.ws
    W = float(ws.sum())
    Y = float(np.dot(ws, ys))
    mu = Y / W
    bounds = _chunk_bounds(s)

    def running(a, b, cw0, cy0):
        """Running sums of w and w y through each unit (through its tie group with ties)."""
        yc, wc = ys[a:b], ws[a:b]
        wyc = wc * yc
        cw = np.cumsum(wc)
        cy = np.cumsum(wyc)
        end_w, end_y = cw0 + float(cw[-1]), cy0 + float(cy[-1])  # carried to the next chunk
        if s.starts is not None:
            brk = np.flatnonzero(yc[1:] != yc[:-1])  # last unit of each tie group but the last
            last = np.append(brk, len(yc) - 1)
            gid = np.repeat(np.arange(len(last)), np.diff(np.append(-1, last)))
            # mid-rank form: W(<y) + W(=y)/2 = cumulative through the group - half the group
            gw = np.diff(np.append(0.0, cw[last]))
            gy = np.diff(np.append(0.0, cy[last]))
            cw_mid = (cw[last] - 0.5 * gw)[gid]
            cy_mid = (cy[last] - 0.5 * gy)[gid]
            # written as "through the unit" so the untied formula applies: add half the unit
            cw = cw_mid + 0.5 * wc
            cy = cy_mid + 0.5 * wyc
        cw += cw0
        cy += cy0
        return yc, wc, wyc, cw, cy, end_w, end_y

    # pass 1: sum w y (2F - 1) = 2 sum w y (W(<=y)~ - w/2) / W - Y
    S, cw0, cy0 = 0.0, 0.0, 0.0
    for a, b in bounds:
        yc, wc, wyc, cw, cy, cw0, cy0 = running(a, b, cw0, cy0)
        S += float(np.dot(wyc, cw)) - 0.5 * float(np.dot(wyc, wc))
    A = 2 * S / W**2 - mu
    G = A / mu
    K = 2 * Y / W - 2 * A - mu + G * mu
    # pass 2: the linearised variable, accumulated as sum (sqrt(c) IF / W)^2
    M, cw0, cy0 = 0.0, 0.0, 0.0
    scale = 1.0 / (mu * W)
    for a, b in bounds:
        yc, wc, wyc, cw, cy, cw0, cy0 = running(a, b, cw0, cy0)
        q = yc * cw
        q -= cy
        q *= 2.0 / W
        q -= (1 + G) * yc
        q += K
        q *= (np.sqrt(wc) if fweights else wc) * scale
        M += float(np.dot(q, q))
    return G, M
