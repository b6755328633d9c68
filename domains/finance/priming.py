"""Real history before a path's start day, for generators that continue a market's state.

A path starts from the price levels of a real training day. A generator that reads history
(`reads_history`) is also given the days of that day's block that lead up to it, so what it
draws continues the volatility and trend of that day, not those of an average one.
"""
from __future__ import annotations

from dataclasses import dataclass
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
    return _counted_in_block(train, np.arange)


def days_after(train: pd.DataFrame) -> np.ndarray:
    """How many later days of its own block each training day has."""
    return _counted_in_block(train, lambda size: np.arange(size)[::-1])


def _counted_in_block(train: pd.DataFrame, count) -> np.ndarray:
    """`count(block size)` laid over each block's days, in the training days' order."""
    return per_block(train, lambda block: pd.Series(count(len(block)), index=block.index)).to_numpy()


def stated_days(train: pd.DataFrame, codec: PriceCodec) -> pd.DataFrame:
    """Each training day with the codec's state that day (the volumes' running averages over its
    block so far): what a path that starts on that day continues from."""
    return per_block(train, codec.with_state)


@dataclass(frozen=True)
class EncodedHistory:
    """The training days encoded once, block by block, to cut many paths' histories from."""

    by_day: np.ndarray  # (days, F): the features of each day (zeros on a block's first day)
    within: np.ndarray  # (days,): how many earlier days of its block each day has

    @classmethod
    def of(cls, train: pd.DataFrame, codec: PriceCodec) -> "EncodedHistory":
        return cls(per_block(train, lambda block: features_by_day(block, codec)).to_numpy(), block_positions(train))

    def leading_to(self, positions: np.ndarray, prime: int = PRIME_DAYS) -> History:
        """Up to `prime` days of its block that lead to each training day at `positions`
        (positions in the training days, in order). History never crosses a block's start: the
        day before lies months away."""
        positions = np.asarray(positions, dtype=int)
        own = np.minimum(self.within[positions], prime)
        context = np.zeros((len(positions), prime, self.by_day.shape[1]), dtype=np.float32)
        for row, (p, d) in enumerate(zip(positions, own)):
            context[row, prime - d :] = self.by_day[p - d + 1 : p + 1]
        return History(context, own, positions - own)


def recent_history(train: pd.DataFrame, codec: PriceCodec, positions: np.ndarray, prime: int = PRIME_DAYS) -> History:
    """`EncodedHistory.leading_to` for one set of paths."""
    return EncodedHistory.of(train, codec).leading_to(positions, prime)


def features_by_day(block: pd.DataFrame, codec: PriceCodec) -> pd.DataFrame:
    """The encoded features of each day of one block, encoded as training windows are (the
    volumes' running averages start where the block starts); zeros on its first day, which has
    no day before it."""
    encoded = codec.encode(block)
    return pd.DataFrame(np.concatenate([np.zeros((1, encoded.shape[1])), encoded]), index=block.index)
