"""Deterministic parallel map for resampling and for independent estimators.

Every parallel loop of the package goes through :func:`parallel_map`, which gives the same
numbers for any ``n_jobs``:

* the work is split into tasks that do not depend on ``n_jobs`` (one cross-fitting fold, one
  estimator of a robustness table, one block of a fixed number of permutations), and every
  random draw is made before the split, from the caller's seed, or from a seed fixed per task;
* results come back in task order, whichever worker finished first;
* BLAS and OpenMP run on one thread in every task, serial or parallel: a multi-threaded matrix
  product splits its sums by thread count, so its last binary digits would depend on how many
  workers share the cores (measured on this package's placebo regressions before the rule);
  and OpenMP threads that outnumber free cores spin (scikit-learn's histogram gradient boosting
  ran a DML fit 13 times slower on a busy 2-core machine with two threads than with one,
  measured).

Workers are joblib's (loky processes at the top level; joblib runs a nested call, e.g. inside
``python -m welfare.replicate --jobs 2``, in threads). Results travel with cloudpickle, so
closures and :class:`welfare.inference.results.Results` come back whole.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Iterable
from typing import Any

from welfare.errors import UnknownOptionError

__all__ = ["check_n_jobs", "parallel_map"]


def check_n_jobs(n_jobs) -> int:
    """Validate ``n_jobs`` and return the number of workers (at least 1).

    Parameters
    ----------
    n_jobs : int or None
        ``None`` or 1: run in this process; ``k > 1``: ``k`` workers; ``-1``: one per CPU
        (``os.cpu_count()``).

    Returns
    -------
    int

    Raises
    ------
    UnknownOptionError
        Not None, -1 or a positive integer (``True``, ``0``, ``2.5`` and ``-2`` are refused).
    """
    if n_jobs is None:
        return 1
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, numbers.Integral)
        or (n_jobs < 1 and n_jobs != -1)
    ):
        raise UnknownOptionError(
            f"n_jobs: expected None, -1 or a positive integer, found {n_jobs!r}"
        )
    return max(1, os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)


def _one_thread(func: Callable, item):
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    with threadpool_limits(limits=1):  # BLAS and OpenMP
        return func(item)


def parallel_map(func: Callable[[Any], Any], items: Iterable, *, n_jobs=1) -> list:
    """``[func(item) for item in items]``, in order, on ``n_jobs`` workers.

    Parameters
    ----------
    func : callable
        Called once per item; may be a closure (shipped with cloudpickle).
    items : iterable
        Task descriptions, in the order of the returned list.
    n_jobs : int or None, default 1
        As :func:`check_n_jobs`.

    Returns
    -------
    list
        ``func(item)`` for every item, in the order of ``items``; identical for any ``n_jobs``
        when ``func`` is deterministic given its item (see the module docstring).

    Raises
    ------
    UnknownOptionError
        Bad ``n_jobs``.
    Exception
        The first exception raised by a task, in task order when ``n_jobs = 1``; with workers
        joblib re-raises the exception of the first task that failed.
    """
    from threadpoolctl import threadpool_limits

    workers = check_n_jobs(n_jobs)
    items = list(items)
    with threadpool_limits(limits=1):  # BLAS and OpenMP
        if workers == 1 or len(items) <= 1:
            return [func(item) for item in items]
        from joblib import Parallel, delayed

        return list(
            Parallel(n_jobs=min(workers, len(items)))(
                delayed(_one_thread)(func, item) for item in items
            )
        )
