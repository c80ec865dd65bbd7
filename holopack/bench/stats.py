"""Summaries of timing samples and the scaling fits the suite reports."""

from __future__ import annotations

import math

import numpy as np


def summarize(samples_s) -> dict:
    """Seconds per sample -> milliseconds: median, p10, p90, quartiles, mean, min, max, n.

    ``samples_s`` is any sequence of durations in seconds (at least one). Percentiles are
    numpy's linear interpolation between order statistics.
    """
    ms = np.asarray(samples_s, dtype=np.float64) * 1000.0
    if ms.size == 0:
        raise ValueError("no samples to summarize")
    p10, q1, median, q3, p90 = np.percentile(ms, [10, 25, 50, 75, 90])
    return {
        "median_ms": float(median),
        "p10_ms": float(p10),
        "p90_ms": float(p90),
        "q1_ms": float(q1),
        "q3_ms": float(q3),
        "mean_ms": float(ms.mean()),
        "min_ms": float(ms.min()),
        "max_ms": float(ms.max()),
        "n": int(ms.size),
    }


def loglog_slope(x, y) -> dict:
    """Least-squares fit of log(y) = slope * log(x) + intercept.

    x, y: positive numbers of equal length (at least two distinct x). Returns slope,
    intercept (natural log) and r2 of the fit in log space. A slope of 1 means y grows in
    proportion to x; 0 means y does not depend on x.
    """
    lx = np.log(np.asarray(x, dtype=np.float64))
    ly = np.log(np.asarray(y, dtype=np.float64))
    if lx.size < 2 or lx.size != ly.size or np.ptp(lx) == 0:
        raise ValueError("a log-log fit needs at least two points with different x")
    if not (np.all(np.isfinite(lx)) and np.all(np.isfinite(ly))):
        raise ValueError("a log-log fit needs positive, finite values")
    slope, intercept = np.polyfit(lx, ly, 1)
    residual = ly - (slope * lx + intercept)
    total = ly - ly.mean()
    ss_tot = float(total @ total)
    r2 = 1.0 - float(residual @ residual) / ss_tot if ss_tot > 0 else 1.0
    return {"slope": float(slope), "intercept": float(intercept), "r2": r2, "points": int(lx.size)}


def ratio(ours_ms: float, theirs_ms: float) -> float | None:
    """ours / theirs (above 1: we are slower); None when either is not a positive time."""
    if not (ours_ms > 0 and theirs_ms > 0) or not math.isfinite(ours_ms / theirs_ms):
        return None
    return float(ours_ms / theirs_ms)
