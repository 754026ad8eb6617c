"""Nearest-neighbour searches with all ties kept, independent of row order.

Two engines return the same structure, a compressed list of neighbour sets (``NeighbourSets``):

* :func:`nn_scalar` for a one-dimensional score (propensity matching): the reference values
  are sorted once; each query's k-th nearest distance comes from a window of 2k sorted
  neighbours, and its tie-inclusive set is then a contiguous range of the sorted values found
  by binary search. O((n_ref + n_query) log n_ref) time, O(n) memory.
* :func:`nn_metric` for covariate vectors under a quadratic metric ``(x-y)'W(x-y)``
  (Mahalanobis, inverse variance, Euclidean): exact brute force in blocks, O(n_query n_ref p).

Ties: a unit is in the set when its distance is within ``TIE_TOL * max(1, d_k)`` of the k-th
smallest distance ``d_k`` (distances that are equal in exact arithmetic differ by a few units in
the last place in floating point; a tolerance of 1e-8 would already merge distinct values).
Sets depend on the values only, never on the order of the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TIE_TOL = 1e-12


@dataclass(frozen=True)
class NeighbourSets:
    """Neighbour sets of ``n_query`` units in CSR form.

    Attributes
    ----------
    ptr : numpy.ndarray of int, shape (n_query + 1,)
        Set of query ``q`` is ``idx[ptr[q]:ptr[q + 1]]`` (empty when nothing was in reach).
    idx : numpy.ndarray of int, shape (n_pairs,)
        Positions of the neighbours in the estimation sample.
    dist : numpy.ndarray, shape (n_pairs,)
        Their distances on the matching scale.
    """

    ptr: np.ndarray
    idx: np.ndarray
    dist: np.ndarray
    #: For sets from :func:`nn_scalar`: sample positions in sorted order and each set's range
    #: ``[lo, hi)`` in it (minus the query itself when ``self_pos`` is given), so sums over sets
    #: are differences of prefix sums.
    sorted_pos: np.ndarray | None = None
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None
    self_pos: np.ndarray | None = None

    def prefix(self, values_t: np.ndarray) -> np.ndarray:
        """Prefix sums of (p, n) values in this search's sorted order, shape (p, n_ref + 1).

        Sets searched among the same reference units share it (pass it to :meth:`sums`).
        """
        v = np.take(values_t, self.sorted_pos, axis=1)
        pre = np.zeros((v.shape[0], v.shape[1] + 1))
        np.cumsum(v, axis=1, out=pre[:, 1:])
        return pre

    def sums(
        self, values: np.ndarray, *, transposed: bool = False, prefix: np.ndarray | None = None
    ) -> np.ndarray:
        """Sum of ``values[idx]`` (shape (n,) or (n, p)) over each set; 0 for an empty set.

        With ``transposed=True`` the values are given as (p, n) and the sums returned as
        (n_query, p); ``prefix`` (from :meth:`prefix` of a search among the same reference
        units) saves recomputing the prefix sums.
        """
        n = len(self.ptr) - 1
        if transposed:
            values = values.T
        if self.sorted_pos is not None:
            # column-major layout: np.take and cumsum along contiguous rows are several times
            # faster than fancy indexing and cumsum down (n, p) columns
            vt = np.atleast_2d(values.T if transposed else np.ascontiguousarray(values.T))
            pre = self.prefix(vt) if prefix is None else prefix
            out = np.take(pre, self.hi, axis=1) - np.take(pre, self.lo, axis=1)
            if self.self_pos is not None:
                out -= np.take(vt, self.self_pos, axis=1)
            out[:, self.sizes == 0] = 0.0
            return out[0] if values.ndim == 1 else out.T
        v = values[self.idx]
        if len(v) == 0:
            return np.zeros((n,) + values.shape[1:])
        out = np.add.reduceat(v, np.minimum(self.ptr[:-1], len(v) - 1), axis=0)
        out[self.sizes == 0] = 0.0
        return out

    @property
    def sizes(self) -> np.ndarray:
        """Set sizes, shape (n_query,)."""
        return np.diff(self.ptr)

    @property
    def rows(self) -> np.ndarray:
        """Query number of every pair, shape (n_pairs,)."""
        return np.repeat(np.arange(len(self.ptr) - 1), self.sizes)

    def mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of ``values[idx]`` over each set (NaN for an empty set), shape (n_query,)."""
        n = len(self.ptr) - 1
        s = np.bincount(self.rows, weights=values[self.idx], minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            return s / self.sizes

    def plain(self) -> NeighbourSets:
        """The same sets without the range metadata."""
        return NeighbourSets(self.ptr, self.idx, self.dist)


def _searchsorted(vals, needles, order, side) -> np.ndarray:
    """``np.searchsorted(vals, needles, side)`` computed on the needles in ``order``."""
    out = np.empty(len(needles), dtype=np.int64)
    out[order] = np.searchsorted(vals, needles[order], side=side)
    return out


def _kth_smallest(dist: np.ndarray, k: int) -> np.ndarray:
    return np.partition(dist, k - 1, axis=1)[:, k - 1]


def _ranges(order, lo, hi, sorted_vals, q) -> NeighbourSets:
    sizes = np.maximum(hi - lo, 0)
    ptr = np.zeros(len(lo) + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    total = int(ptr[-1])
    starts = np.repeat(lo - ptr[:-1], sizes)
    pos = np.arange(total, dtype=np.int64) + starts
    rows = np.repeat(np.arange(len(lo)), sizes)
    return NeighbourSets(ptr, order[pos], np.abs(sorted_vals[pos] - q[rows]))


def nn_scalar(
    ref: np.ndarray,
    ref_pos: np.ndarray,
    query: np.ndarray,
    k: int,
    *,
    caliper: float | None = None,
    self_rank: np.ndarray | None = None,
    sorted_ref: tuple[np.ndarray, np.ndarray] | None = None,
    query_order: np.ndarray | None = None,
) -> NeighbourSets:
    """k nearest reference units of each query on a scalar score, ties kept.

    Parameters
    ----------
    ref : numpy.ndarray, shape (n_ref,)
        Scores of the reference units.
    ref_pos : numpy.ndarray of int, shape (n_ref,)
        Their positions in the estimation sample (returned in ``idx``).
    query : numpy.ndarray, shape (n_query,)
    k : int
        Neighbours requested (``n_ref >= k``, or ``n_ref - 1 >= k`` with ``self_rank``).
    caliper : float, optional
        Maximum distance; neighbours beyond it are left out (sets may be empty).
    self_rank : numpy.ndarray of int, shape (n_query,), optional
        When the queries are the reference units themselves: the rank of each query in the
        sorted reference; the unit itself is then not its own neighbour (other units with the
        same score are).
    sorted_ref : (order, sorted values), optional
        Precomputed stable argsort of ``ref`` and ``ref[order]``.
    query_order : numpy.ndarray of int, shape (n_query,), optional
        Precomputed argsort of ``query`` (any order gives the same sets; sorted binary-search
        needles are only faster).
    """
    if sorted_ref is None:
        order = np.argsort(ref, kind="stable")
        vals = ref[order]
    else:
        order, vals = sorted_ref
    m = len(vals)
    q = np.asarray(query, dtype=float)
    # binary searches with sorted needles are several times faster (memory locality)
    q_order = np.argsort(q, kind="stable") if query_order is None else query_order
    if self_rank is None:
        pos = _searchsorted(vals, q, q_order, "left")
        offs = np.arange(-k, k)
        cand = pos[:, None] + offs[None, :]
    else:
        offs = np.concatenate([np.arange(-k, 0), np.arange(1, k + 1)])
        cand = self_rank[:, None] + offs[None, :]
    valid = (cand >= 0) & (cand < m)
    d = np.where(valid, np.abs(vals[np.clip(cand, 0, m - 1)] - q[:, None]), np.inf)
    dk = _kth_smallest(d, k)
    radius = dk + TIE_TOL * np.maximum(1.0, dk)
    if caliper is not None:
        radius = np.minimum(radius, caliper)
    lo = _searchsorted(vals, q - radius, q_order, "left")
    hi = _searchsorted(vals, q + radius, q_order, "right")
    sets = _ranges(order, lo, hi, vals, q)
    self_pos = None
    if self_rank is not None:
        # drop the unit itself (its own rank lies inside its range)
        rows = sets.rows
        keep_pair = sets.idx != order[self_rank][rows]
        sizes = np.bincount(rows[keep_pair], minlength=len(q))
        ptr = np.zeros(len(q) + 1, dtype=np.int64)
        np.cumsum(sizes, out=ptr[1:])
        sets = NeighbourSets(ptr, sets.idx[keep_pair], sets.dist[keep_pair])
        self_pos = ref_pos[order[self_rank]]
    return NeighbourSets(sets.ptr, ref_pos[sets.idx], sets.dist, ref_pos[order], lo, hi, self_pos)


def nn_metric(
    ref: np.ndarray,
    ref_pos: np.ndarray,
    query: np.ndarray,
    k: int,
    W: np.ndarray,
    *,
    caliper: float | None = None,
    self_index: np.ndarray | None = None,
    block: int = 512,
) -> NeighbourSets:
    """k nearest reference units under ``d(x, y) = sqrt((x-y)' W (x-y))``, ties kept.

    Parameters
    ----------
    ref : numpy.ndarray, shape (n_ref, p)
    ref_pos : numpy.ndarray of int, shape (n_ref,)
    query : numpy.ndarray, shape (n_query, p)
    k : int
    W : numpy.ndarray, shape (p, p)
        Positive definite weight matrix.
    caliper : float, optional
        Maximum distance (same units as ``d``).
    self_index : numpy.ndarray of int, shape (n_query,), optional
        Row of each query in ``ref`` when queries are reference units (excluded from its set).
    block : int, default 512
        Queries per block (memory ``block * n_ref * p`` floats).
    """
    nq = query.shape[0]
    ptrs = [np.zeros(1, dtype=np.int64)]
    idxs, dists = [], []
    total = 0
    for start in range(0, nq, block):
        qb = query[start : start + block]
        diff = qb[:, None, :] - ref[None, :, :]  # exact for integer-valued covariates
        d2 = np.einsum("bmp,pq,bmq->bm", diff, W, diff, optimize=True)
        np.maximum(d2, 0.0, out=d2)
        d = np.sqrt(d2)
        if self_index is not None:
            d[np.arange(len(qb)), self_index[start : start + block]] = np.inf
        dk = _kth_smallest(d, k)
        radius = dk + TIE_TOL * np.maximum(1.0, dk)
        if caliper is not None:
            radius = np.minimum(radius, caliper)
        inside = d <= radius[:, None]
        r, c = np.nonzero(inside)
        sizes = np.bincount(r, minlength=len(qb))
        idxs.append(ref_pos[c])
        dists.append(d[r, c])
        ptrs.append(total + np.cumsum(sizes))
        total += int(sizes.sum())
    return NeighbourSets(
        np.concatenate(ptrs),
        np.concatenate(idxs) if idxs else np.zeros(0, dtype=np.int64),
        np.concatenate(dists) if dists else np.zeros(0),
    )
