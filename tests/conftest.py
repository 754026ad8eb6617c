"""Shared fixtures: the public reference data (WELFARE_SHARED) and the synthetic twin."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    return Path(os.environ.get("WELFARE_SHARED", ROOT.parent / "shared"))


def require_shared() -> bool:
    return os.environ.get("WELFARE_REQUIRE_SHARED", "") == "1"


def shared_file(*parts: str) -> Path:
    """Path to a shared file; skip if absent (fail under WELFARE_REQUIRE_SHARED=1)."""
    p = shared_dir().joinpath(*parts)
    if not p.exists():
        msg = f"shared file {p} not found (set WELFARE_SHARED)"
        if require_shared():
            pytest.fail(msg)
        pytest.skip(msg)
    return p


def reference_case(case_id: str) -> dict:
    cases = tomllib.loads(shared_file("reference", "cases.toml").read_text())["case"]
    for c in cases:
        if c["id"] == case_id:
            return c
    pytest.fail(f"reference case {case_id!r} not in cases.toml")


def printed_decimals(value: float) -> int:
    """Decimals of a number as printed in cases.toml (shortest round-trip repr)."""
    s = repr(float(value))
    if "e" in s or "E" in s:
        mant, exp = s.lower().split("e")
        d = len(mant.split(".")[1]) if "." in mant else 0
        return max(0, d - int(exp))
    return len(s.split(".")[1].rstrip("0")) if "." in s else 0


def assert_printed(ours: float, published: float, what: str = "") -> None:
    """cases.toml rule: |ours - value| <= 0.5 * 10^-k (+ 1e-9 relative slack)."""
    k = printed_decimals(published)
    tol = 0.5 * 10 ** (-k) + 1e-9 * abs(published)
    assert abs(ours - published) <= tol, (
        f"{what}: ours {ours!r} vs published {published!r} (printed to {k} decimals, tol {tol:g})"
    )


@pytest.fixture(scope="session")
def twin():
    from welfare.datasets import taobao_village_survey

    return taobao_village_survey()


def twin_ate(sub):
    """The interacted OLS with village FE whose treatment coefficient is the twin's ATE."""
    from welfare.premium import ols_premium
    from welfare.replicate.context import TWIN_SPEC

    return ols_premium(
        sub,
        outcome="income_pc",
        treatment="e_household",
        controls=list(TWIN_SPEC.premium_controls),
        fixed_effects=["village_id"],
        interactions=list(TWIN_SPEC.interactions),
    )
