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

* a task's warnings are re-issued in the calling process and its exceptions raised there, in
  task order: the first failing task in task order decides the error, whatever ``n_jobs``.

Workers are joblib's (loky processes at the top level; joblib runs a nested call, e.g. inside
``python -m welfare.replicate --jobs 2``, in threads). Results travel with cloudpickle, so
closures and :class:`welfare.inference.results.Results` come back whole. Learners' own
``n_jobs`` are set to 1 by the estimators that clone them (their threads would add predictions
in the order they finish).
"""

from __future__ import annotations

import numbers
import os
import warnings
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
        available to this process (``joblib.cpu_count()``).

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
    if n_jobs == -1:
        from joblib import cpu_count  # respects CPU quotas (cgroups), unlike os.cpu_count

        return max(1, int(cpu_count()))
    return int(n_jobs)


def _task(func: Callable, item, parent_pid: int):
    """Run one task with one BLAS/OpenMP thread; return (error, value, warnings).

    In a worker process the task's warnings are recorded and sent back, to be re-issued in the
    calling process in task order; in a thread of the calling process they reach it directly.
    An exception is returned, not raised, so the caller raises the first one in task order.
    """
    from threadpoolctl import threadpool_limits  # a dependency of scikit-learn

    if os.getpid() == parent_pid:
        with threadpool_limits(limits=1):
            try:
                return None, func(item), []
            except Exception as e:  # noqa: BLE001 - re-raised by the caller, in task order
                return e, None, []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with threadpool_limits(limits=1):
            try:
                err, value = None, func(item)
            except Exception as e:  # noqa: BLE001 - re-raised by the caller, in task order
                err, value = e, None
    sent = [(w.message, w.category, w.filename, w.lineno) for w in caught]
    return err, value, sent


def parallel_map(func: Callable[[Any], Any], items: Iterable, *, n_jobs=1) -> list:
    """``[func(item) for item in items]``, in order, on ``n_jobs`` workers.

    Parameters
    ----------
    func : callable
        Called once per item; may be a closure (shipped with cloudpickle).
    items : iterable
        Task descriptions, in the order of the returned list.
    n_jobs : int or None, default 1
        As :func:`check_n_jobs`. Starting worker processes costs seconds (each imports the
        package); parallel runs pay off for long tasks, not for many short ones.

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
        The exception of the first failing task in task order, whatever ``n_jobs`` (with
        workers every task runs; serially the loop stops there). Warnings raised in workers
        are re-issued here, in task order, up to the first failing task.
    """
    from threadpoolctl import threadpool_limits

    workers = check_n_jobs(n_jobs)
    items = list(items)
    with threadpool_limits(limits=1):  # BLAS and OpenMP
        if workers == 1 or len(items) <= 1:
            return [func(item) for item in items]
        from joblib import Parallel, delayed

        done = Parallel(n_jobs=min(workers, len(items)))(
            delayed(_task)(func, item, os.getpid()) for item in items
        )
    out = []
    for err, value, sent in done:
        for message, category, filename, lineno in sent:
            warnings.warn_explicit(message, category, filename, lineno)
        if err is not None:
            raise err
        out.append(value)
    return out
