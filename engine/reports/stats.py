"""Small statistics the reports share."""
from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(ordered: Sequence[float], fraction: float) -> float | None:
    """The `fraction` percentile of values sorted in ascending order, interpolating
    linearly between the closest ranks (as PostgreSQL's percentile_cont does); None for
    no values."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
