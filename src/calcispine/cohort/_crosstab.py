"""Cross-tabulations with Fisher's exact test and Wilson intervals (SciPy and statsmodels, not by hand)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from calcispine.model import Case

from ._variables import variable

PERMUTATION_RESAMPLES = 20_000
PERMUTATION_SEED = 20_170_101


@dataclass(frozen=True)
class Proportion:
    """``k`` of ``n`` cases, with a 95% Wilson score interval."""

    k: int
    n: int
    low: float
    high: float

    @property
    def estimate(self) -> float:
        return self.k / self.n if self.n else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: no NaN (an empty row has no estimate: null), no float noise at 0 and 1."""
        if not self.n:
            return {"k": 0, "n": 0, "estimate": None, "wilson_95": [None, None]}
        return {"k": self.k, "n": self.n, "estimate": _clean(self.estimate), "wilson_95": [_clean(self.low), _clean(self.high)]}

    def display(self) -> str:
        if not self.n:
            return "0/0"
        return f"{self.k}/{self.n} ({100 * self.estimate:.0f}%, 95% CI {100 * self.low:.0f}-{100 * self.high:.0f}%)"


def _clean(x: float | None, digits: int = 12) -> float | None:
    """A finite float rounded past its floating-point noise (2.8e-17 -> 0.0); None for NaN or infinity."""
    if x is None or not math.isfinite(x):
        return None
    return round(x, digits) + 0.0


def wilson(k: int, n: int, alpha: float = 0.05) -> Proportion:
    """``k`` of ``n`` with its Wilson score interval; the bound at 0 or 1 is exact when k is 0 or n."""
    if n == 0:
        return Proportion(0, 0, float("nan"), float("nan"))
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson")
    low = 0.0 if k == 0 else min(max(float(low), 0.0), 1.0)
    high = 1.0 if k == n else min(max(float(high), 0.0), 1.0)
    return Proportion(k, n, low, high)


@dataclass(frozen=True)
class CrossTab:
    """Counts of ``row`` categories by ``col`` categories, the test that compares them, and row proportions."""

    row: str
    col: str
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    test: str
    p_value: float | None
    odds_ratio: float | None
    excluded: int
    case_ids: tuple[tuple[tuple[str, ...], ...], ...] = ()

    @property
    def n(self) -> int:
        return sum(sum(r) for r in self.counts)

    def proportion(self, row_label: str, col_label: str) -> Proportion:
        """Share of ``row_label`` cases that fall in ``col_label``, with its Wilson interval."""
        i, j = self.row_labels.index(row_label), self.col_labels.index(col_label)
        return wilson(self.counts[i][j], sum(self.counts[i]))

    def proportions(self) -> dict[str, dict[str, Proportion]]:
        return {r: {c: self.proportion(r, c) for c in self.col_labels} for r in self.row_labels}

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "col": self.col,
            "row_labels": list(self.row_labels),
            "col_labels": list(self.col_labels),
            "counts": [list(r) for r in self.counts],
            "n": self.n,
            "excluded": self.excluded,
            "test": self.test,
            "p_value": self.p_value if self.p_value is None or math.isfinite(self.p_value) else None,
            "odds_ratio": (self.odds_ratio if self.odds_ratio is None or math.isfinite(self.odds_ratio)
                           else None if math.isnan(self.odds_ratio) else "inf"),
            "proportions": {
                r: {c: p.to_dict() for c, p in cols.items()} for r, cols in self.proportions().items()
            },
        }


def fisher_test(counts: Sequence[Sequence[int]]) -> tuple[str, float | None, float | None]:
    """Fisher's exact test: exact for 2x2; for larger tables Fisher-Freeman-Halton by seeded Monte Carlo."""
    table = np.asarray(counts, dtype=int)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0] if table.size else table
    if table.ndim != 2 or table.shape[0] < 2 or table.shape[1] < 2:
        return "none (fewer than two non-empty rows or columns)", None, None
    if table.shape == (2, 2):
        res = stats.fisher_exact(table)
        return "Fisher's exact test, two-sided (scipy.stats.fisher_exact)", float(res.pvalue), float(res.statistic)
    method = stats.MonteCarloMethod(
        n_resamples=PERMUTATION_RESAMPLES, batch=PERMUTATION_RESAMPLES, rng=np.random.default_rng(PERMUTATION_SEED)
    )
    res = stats.fisher_exact(table, method=method)
    name = (
        f"Fisher-Freeman-Halton test, Monte Carlo over tables with the observed margins "
        f"(scipy.stats.fisher_exact with MonteCarloMethod, {PERMUTATION_RESAMPLES} tables, seed {PERMUTATION_SEED})"
    )
    return name, float(res.pvalue), None


def crosstab(
    cases: Iterable[Case],
    row: str,
    col: str,
    *,
    row_levels: Sequence[str] | None = None,
    col_levels: Sequence[str] | None = None,
) -> CrossTab:
    """Tabulate two case variables (see ``VARIABLES``), keeping only the given levels when named.

    Cases with an unknown value on either variable, or outside the chosen levels, are counted
    in ``excluded``.
    """
    row_fn, row_default = variable(row)
    col_fn, col_default = variable(col)
    pairs: list[tuple[str, str, str]] = []
    excluded = 0
    for case in cases:
        r, c = row_fn(case), col_fn(case)
        if r is None or c is None or (row_levels and r not in row_levels) or (col_levels and c not in col_levels):
            excluded += 1
            continue
        pairs.append((r, c, case.id))

    def order(chosen: Sequence[str] | None, default: tuple[str, ...] | None, seen: list[str]) -> tuple[str, ...]:
        if chosen:
            return tuple(chosen)
        if default:
            return tuple(x for x in default if x in seen) + tuple(sorted(set(seen) - set(default)))
        return tuple(sorted(set(seen), key=lambda x: (-seen.count(x), x)))

    rows = order(row_levels, row_default, [p[0] for p in pairs])
    cols = order(col_levels, col_default, [p[1] for p in pairs])
    counts = tuple(tuple(sum(1 for p in pairs if p[0] == r and p[1] == c) for c in cols) for r in rows)
    ids = tuple(tuple(tuple(p[2] for p in pairs if p[0] == r and p[1] == c) for c in cols) for r in rows)
    test, p, odds = fisher_test(counts)
    return CrossTab(row, col, rows, cols, counts, test, p, odds, excluded, ids)
