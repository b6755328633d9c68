"""Finance time series: daily multi-asset OHLCV, indices and commodities."""
from domains.finance.domain import FinanceDomain

__all__ = ["FinanceDomain"]
