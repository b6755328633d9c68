"""Blocked train/holdout split in time, and sliding windows within contiguous segments.

A single cut (train = past, holdout = future) confounds every real-vs-real comparison with the
market regime of the last period. Instead the history is cut into contiguous blocks and every
k-th block is held out (blocked cross-validation, as in purged k-fold): both sides span the same
regimes, windows never cross a block boundary, and `embargo` days are dropped where a block
follows one of the other side, so no window of one side overlaps or touches the other.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from domains.base import Split, require

SEGMENT = "segment"
BLOCK_KEY = 10**7  # time keys of different blocks lie this far apart (no history is that long)


def holdout_folds(holdout_fraction: float) -> int:
    """Every how many-th block is held out: the number of folds of a blocked cross-validation."""
    return max(2, int(round(1 / holdout_fraction)))


def split_blocked(frame: pd.DataFrame, holdout_fraction: float, block: int, embargo: int,
                  fold: int | None = None) -> Split:
    """Blocks `b` with `b % k == fold` held out, `k` = `holdout_folds(holdout_fraction)`; by
    default the middle fold, so the holdout blocks sit in the middle of each group of `k`.
    Rotating `fold` over 0..k-1 holds out every block once (blocked k-fold cross-validation)."""
    n_blocks = len(frame) // block
    every = holdout_folds(holdout_fraction)
    rotated = "" if fold is None else f" from block {fold} on"
    fold = every // 2 if fold is None else fold
    require(0 <= fold < every, f"holdout fold {fold} does not exist: with a holdout fraction of {holdout_fraction} "
                               f"the folds are 0 to {every - 1}")
    require(n_blocks >= every and block > 2 * embargo,
            f"too little data to split: {len(frame)} days make {n_blocks} blocks of {block} days, "
            f"need at least {every} (and blocks longer than twice the {embargo}-day window); "
            "provide a longer history or use a shorter window")
    train, holdout = [], []
    is_holdout = [(b % every) == fold for b in range(n_blocks)]
    for b in range(n_blocks):
        start, stop = b * block, (b + 1) * block if b < n_blocks - 1 else len(frame)
        if b > 0 and is_holdout[b] != is_holdout[b - 1]:
            start += embargo
        segment = frame.iloc[start:stop].copy()
        segment[SEGMENT] = b
        (holdout if is_holdout[b] else train).append(segment)
    train_frame, holdout_frame = pd.concat(train), pd.concat(holdout)
    description = (f"blocked by time: {n_blocks} blocks of ~{block} trading days from {frame.index[0].date()} "
                   f"to {frame.index[-1].date()}, every {every}th held out{rotated} ({len(train_frame)} train days in "
                   f"{len(train)} blocks, {len(holdout_frame)} holdout days in {len(holdout)} blocks), "
                   f"{embargo}-day embargo where the sides meet")
    return Split(train_frame, holdout_frame, description)


def days(frame: pd.DataFrame) -> pd.DataFrame:
    """A split side as plain trading days, without the bookkeeping column."""
    return frame.drop(columns=SEGMENT, errors="ignore")


def segments(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """The contiguous pieces of a split side, without the bookkeeping column."""
    if SEGMENT not in frame.columns:
        return [frame]
    return [part.drop(columns=SEGMENT) for _, part in frame.groupby(SEGMENT, sort=True)]


def per_block(side: pd.DataFrame, transform) -> pd.DataFrame:
    """`transform` of each contiguous block's days, in the side's order (history never crosses a gap)."""
    return pd.concat([transform(days(part)) for _, part in _blocks(side)])


def _blocks(side: pd.DataFrame):
    """(block number, rows) of each contiguous block of a split side (one block without the column)."""
    return side.groupby(SEGMENT, sort=True) if SEGMENT in side.columns else [(0, side)]


def sliding_windows(features: np.ndarray, length: int, stride: int = 1) -> np.ndarray:
    """`(n_steps, F)` -> `(n_windows, length, F)` windows starting every `stride` steps."""
    require(len(features) >= length, f"series of {len(features)} steps is shorter than one {length}-step window")
    starts = np.arange(0, len(features) - length + 1, stride)
    return np.stack([features[s : s + length] for s in starts]).astype(np.float32)


def windows_of(side: pd.DataFrame, encode, length: int, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Windows of encoded features from each block of a split side (none crosses a block), and a
    time key per window: keys closer than `length` share days; keys of different blocks never do."""
    windows, keys = [], []
    for block, part in _blocks(side):
        features = encode(days(part))
        if len(features) >= length:
            windows.append(sliding_windows(features, length, stride))
            keys.append(int(block) * BLOCK_KEY + np.arange(0, len(features) - length + 1, stride))
    require(bool(windows), f"no block of the split is longer than the {length}-day window; "
                           "use a shorter window or larger split blocks")
    return np.concatenate(windows), np.concatenate(keys)


def window_starts(side: pd.DataFrame, length: int, stride: int = 1) -> pd.DataFrame:
    """The day before each window of `windows_of` (same order): the level its first step leaves."""
    rows = []
    for _, part in _blocks(side):
        plain = days(part)
        if len(plain) - 1 >= length:  # encoded features are one day shorter than the days
            rows.append(plain.iloc[np.arange(0, len(plain) - length, stride)])
    return pd.concat(rows)


def sub_windows(paths: np.ndarray, length: int, stride: int) -> np.ndarray:
    """All windows of `length` steps inside each of the `(n, T, F)` paths."""
    starts = range(0, paths.shape[1] - length + 1, stride)
    return np.concatenate([paths[:, s : s + length] for s in starts])
