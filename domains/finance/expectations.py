"""Expectation suites for real input and for the published synthetic table."""
from __future__ import annotations

import pandas as pd

from domains.finance.codec import PriceCodec
from domains.finance.sources import MIN_ROWS
from validation.expectations import Expectation as E

MAX_ABS_LOG_RETURN = 2.0  # a daily move beyond e^±2 (x7.4) is a data error in any listed asset


def _price_rules(codec: PriceCodec) -> list[E]:
    rules = []
    for a in codec.assets:
        for column in (a.open, a.high, a.low, a.close):
            if column:
                rules.append(E("ExpectColumnValuesToBeBetween", {"column": column, "min_value": 0, "strict_min": True}))
        if a.volume:
            rules.append(E("ExpectColumnValuesToBeBetween", {"column": a.volume, "min_value": 0}))
        if a.high and a.low:
            for column in filter(None, (a.open, a.close, a.low)):
                rules.append(E("ExpectColumnPairValuesAToBeGreaterThanB",
                               {"column_A": a.high, "column_B": column, "or_equal": True}))
            for column in filter(None, (a.open, a.close)):
                rules.append(E("ExpectColumnPairValuesAToBeGreaterThanB",
                               {"column_A": column, "column_B": a.low, "or_equal": True}))
    return rules


def input_suite(frame: pd.DataFrame) -> list[E]:
    """Real data after cleaning: dated, complete, positive prices, ordered OHLC."""
    codec = PriceCodec.fit(frame)
    rules = [
        E("ExpectTableRowCountToBeBetween", {"min_value": MIN_ROWS}),
        E("ExpectColumnValuesToBeUnique", {"column": "date"}),
        E("ExpectColumnValuesToBeIncreasing", {"column": "date", "strictly": True}),
    ]
    rules += [E("ExpectColumnValuesToNotBeNull", {"column": c}) for c in frame.columns]
    return rules + _price_rules(codec)


def output_suite(published: pd.DataFrame, codec: PriceCodec, n_sequences: int, length: int) -> list[E]:
    """The published table: exact columns, no gaps, valid prices, the requested shape."""
    columns = list(published.columns)
    rules = [
        E("ExpectTableColumnsToMatchOrderedList", {"column_list": columns}),
        E("ExpectTableRowCountToEqual", {"value": n_sequences * length}),
        E("ExpectColumnUniqueValueCountToBeBetween", {"column": "sequence_id", "min_value": n_sequences, "max_value": n_sequences}),
        E("ExpectColumnValuesToBeBetween", {"column": "step", "min_value": 1, "max_value": length}),
    ]
    rules += [E("ExpectColumnValuesToNotBeNull", {"column": c}) for c in columns]
    rules += [E("ExpectColumnValuesToBeBetween", {"column": f"logret_{c}", "min_value": -MAX_ABS_LOG_RETURN,
                                                   "max_value": MAX_ABS_LOG_RETURN}) for c in codec.return_columns]
    return rules + _price_rules(codec)
