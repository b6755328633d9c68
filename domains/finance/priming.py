"""Real history before a path's start day, for generators that continue a market's state.

A path starts from the price levels of a real training day. A generator that reads history
(`reads_history`) is also given the days of that day's block that lead up to it, so what it
draws continues the volatility and trend of that day, not those of an average one.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from domains.finance.codec import PriceCodec
from domains.finance.windows import per_block

PRIME_DAYS = 20  # days of real history a generator that reads history is primed with


class History(NamedTuple):
    """The history each path continues: `context` `(n, c, F)` encoded days, of which the last
    `days[i]` are path i's own (fewer near the start of a block); `before`, the position of the
    day its history starts after (its start day when it has none)."""

    context: np.ndarray
    days: np.ndarray
    before: np.ndarray


def block_positions(train: pd.DataFrame) -> np.ndarray:
    """How many earlier days of its own block each training day has."""
    return per_block(train, lambda block: pd.Series(np.arange(len(block)), index=block.index)).to_numpy()


def recent_history(train: pd.DataFrame, codec: PriceCodec, positions: np.ndarray, prime: int = PRIME_DAYS) -> History:
    """Up to `prime` encoded days of its block that lead to each training day at `positions`
    (positions in the training days, in order). History never crosses a block's start: the day
    before lies months away."""
    positions = np.asarray(positions, dtype=int)
    by_day = per_block(train, lambda block: features_by_day(block, codec)).to_numpy()
    own = np.minimum(block_positions(train)[positions], prime)
    context = np.zeros((len(positions), prime, by_day.shape[1]), dtype=np.float32)
    for row, (p, d) in enumerate(zip(positions, own)):
        context[row, prime - d :] = by_day[p - d + 1 : p + 1]
    return History(context, own, positions - own)


def features_by_day(block: pd.DataFrame, codec: PriceCodec) -> pd.DataFrame:
    """The encoded features of each day of one block, encoded as training windows are (the
    volumes' running averages start where the block starts); zeros on its first day, which has
    no day before it."""
    encoded = codec.encode(block)
    return pd.DataFrame(np.concatenate([np.zeros((1, encoded.shape[1])), encoded]), index=block.index)
