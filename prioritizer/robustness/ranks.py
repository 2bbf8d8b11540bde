"""Fast ranking of many draws at once: ranks per row with ties, and counters of rank / score per partner.

Ranks: 1 = highest propensity; scores within :data:`RANK_TOL` points of the next higher one share its rank
(the ``min`` rule of :func:`prioritizer.score.rank_descending`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

RANK_TOL = 1e-9
"""Scores (0–100) closer than this to the next higher one share its rank."""
SCORE_BINS_PER_POINT = 10
"""Propensity percentiles are read from a per-partner histogram with 0.1-point bins (constant memory)."""


def tie_starts(ordered: np.ndarray, tol: float = RANK_TOL) -> np.ndarray:
    """For rows sorted high → low: 0-based position where each element's tie group starts (int32)."""
    d, n = ordered.shape
    pos = np.empty((d, n), dtype=np.int32)
    pos[:] = np.arange(n, dtype=np.int32)
    if n > 1:
        tied = (ordered[:, :-1] - ordered[:, 1:]) <= tol
        pos[:, 1:][tied] = 0
        np.maximum.accumulate(pos, axis=1, out=pos)
    return pos


def rank_rows(scores: np.ndarray, tol: float = RANK_TOL) -> np.ndarray:
    """Ranks along each row (1 = highest); a score within ``tol`` of the next higher one shares its rank.

    ``scores``: draws × partners without NaN. Returns int32, same shape. One argsort per row.
    """
    s = np.ascontiguousarray(scores, dtype=float)
    d, n = s.shape
    ranks = np.empty((d, n), dtype=np.int32)
    if n == 0 or d == 0:
        return ranks
    order = np.argsort(-s, axis=1)
    pos = tie_starts(np.take_along_axis(s, order, axis=1), tol)
    np.put_along_axis(ranks, order, pos + 1, axis=1)
    return ranks


class RankCounter:
    """Accumulates, over chunks of draws, how often each partner takes each rank (overall and within its
    command) and each 0.1-point propensity bin. One argsort per draw; the within-command ranks come from
    a stable radix sort of the (small-integer) command of each position, so no second float sort."""

    def __init__(self, commands: np.ndarray, always_check_ties: bool = False) -> None:
        codes, names = pd.factorize(commands, sort=True)
        # Exact ties under random weights are structural (partners with identical category scores, or
        # all zero): they show in the first chunk, which is always checked; later chunks are checked
        # only if it had ties (or always, e.g. with indicator noise). A chance near-tie (< 1e-9 points)
        # in an unchecked chunk is broken by sort order.
        self.check_ties, self.always_check, self.ties_seen = True, always_check_ties, False
        self.n = n = len(codes)
        self.cmd = codes.astype(np.int8 if len(names) < 127 else np.int32)
        sizes = np.bincount(codes, minlength=len(names)) if n else np.zeros(0, dtype=np.int64)
        self.max_c = int(sizes.max()) if n else 0
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64) if n else np.zeros(0, np.int64)
        self.group_start = np.repeat(starts, sizes)  # grouped position → start of its command's block
        self.is_start = np.zeros(n, dtype=bool)
        self.is_start[starts[sizes > 0]] = True
        self.rank = np.zeros(n * n, dtype=np.int64)
        self.in_command = np.zeros(n * max(self.max_c, 1), dtype=np.int64)
        self.bins = SCORE_BINS_PER_POINT * 100 + 1
        self.score = np.zeros(n * self.bins, dtype=np.int64)
        self.bin_offsets = 0.5 + np.arange(n) * float(self.bins)  # round to the nearest bin, per-partner block

    def add(self, sub: np.ndarray, keep: np.ndarray | None = None, clip: bool = False) -> None:
        """Count one chunk: ``sub`` draws × partners (0–100, no NaN; −1 = no score in that draw when
        ``clip``); ``keep`` receives the ranks if given."""
        d, n = sub.shape
        if n == 0 or d == 0:
            return
        order = np.argsort(-sub, axis=1)
        ties = False
        if self.check_ties or self.ties_seen:
            ordered = np.take_along_axis(sub, order, axis=1)
            ties = n > 1 and bool(((ordered[:, :-1] - ordered[:, 1:]) <= RANK_TOL).any())
            self.ties_seen |= ties
            self.check_ties = self.always_check
        positions = np.arange(n, dtype=np.int64)
        pos = tie_starts(ordered) if ties else positions[None, :]
        self.rank += np.bincount((order * n + pos).ravel(), minlength=n * n)
        if keep is not None:
            np.put_along_axis(keep, order, np.broadcast_to(pos + 1, order.shape).astype(np.int32), axis=1)
        grouped = np.argsort(self.cmd[order], axis=1, kind="stable")  # by command, score order kept
        members = np.take_along_axis(order, grouped, axis=1)
        if ties:
            gpos = np.take_along_axis(pos, grouped, axis=1)
            new = np.empty((d, n), dtype=bool)
            new[:, 0] = True
            np.not_equal(gpos[:, 1:], gpos[:, :-1], out=new[:, 1:])
            new[:, self.is_start] = True
            within = np.where(new, positions, 0)
            np.maximum.accumulate(within, axis=1, out=within)
            within -= self.group_start
        else:
            within = (positions - self.group_start)[None, :]
        members *= self.max_c
        members += within
        self.in_command += np.bincount(members.ravel(), minlength=len(self.in_command))
        bins = np.maximum(sub, 0.0) if clip else sub * 1.0
        bins *= SCORE_BINS_PER_POINT
        bins += self.bin_offsets
        self.score += np.bincount(bins.astype(np.int64).ravel(), minlength=len(self.score))


def ranked_mask(scores: pd.DataFrame) -> np.ndarray:
    """Partners the scorer ranks: a propensity and a rank (low-coverage partners are left unranked)."""
    ok = np.isfinite(scores["propensity"].to_numpy(float))
    if "rank" in scores.columns:
        ok &= scores["rank"].notna().to_numpy()
    return ok


def quantile_from_counts(counts: np.ndarray, q: float) -> np.ndarray:
    """Inverted-CDF ``q`` quantile (0-based bin index) of each row's histogram; -1 for an empty row."""
    cum = np.cumsum(counts, axis=1)
    total = cum[:, -1]
    need = np.maximum(np.ceil(q * total - 1e-9), 1)
    idx = (cum >= need[:, None]).argmax(axis=1)
    return np.where(total > 0, idx, -1)
