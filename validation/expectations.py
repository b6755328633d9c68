"""Great Expectations suites, declared as plain data and run on a pandas DataFrame.

Domains declare their suites as `Expectation` records so the core never imports Great
Expectations at module import time; `run_suite` builds and runs a real GX suite.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

import pandas as pd


@dataclass(frozen=True)
class Expectation:
    """A GX expectation class name (e.g. `ExpectColumnValuesToNotBeNull`) and its arguments."""

    type: str
    kwargs: dict = field(default_factory=dict)


def run_suite(name: str, frame: pd.DataFrame, expectations: list[Expectation]) -> dict:
    """Validate `frame`; returns `{suite, success, evaluated, failed: [...], results: [...]}`."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch = (context.data_sources.add_pandas("synthpipe")
             .add_dataframe_asset(name="frame")
             .add_batch_definition_whole_dataframe("whole")
             .get_batch(batch_parameters={"dataframe": frame}))
    suite = gx.ExpectationSuite(name=name)
    for spec in expectations:
        suite.add_expectation(getattr(gx.expectations, spec.type)(**spec.kwargs))
    suite = context.suites.add(suite)
    outcome = batch.validate(suite)
    results = []
    for item in outcome.results:
        config = item.expectation_config
        observed = {k: item.result.get(k) for k in ("observed_value", "unexpected_count", "unexpected_percent")
                    if item.result.get(k) is not None}
        if item.exception_info and item.exception_info.get("raised_exception"):
            observed["exception"] = item.exception_info.get("exception_message")
        results.append({"expectation": config.type, "kwargs": {k: v for k, v in config.kwargs.items() if k != "batch_id"},
                        "success": bool(item.success), "observed": _plain(observed)})
    failed = [r for r in results if not r["success"]]
    return {"suite": name, "success": bool(outcome.success), "evaluated": len(results),
            "failed": failed, "results": results}


def describe_failures(summary: dict, limit: int = 5) -> str:
    lines = []
    for r in summary["failed"][:limit]:
        target = r["kwargs"].get("column") or r["kwargs"].get("column_A") or r["kwargs"].get("column_list") or ""
        lines.append(f"{r['expectation']}({target}) observed {r['observed']}")
    more = len(summary["failed"]) - limit
    return "; ".join(lines) + (f"; and {more} more" if more > 0 else "")


def _plain(value):
    """JSON-friendly copies of numpy scalars and containers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value
