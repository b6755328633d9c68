"""Regimes: parsed strictly, measured correctly, found in the history, and sampled verifiably."""
import numpy as np
import pandas as pd
import pytest

import generators
from domains import get_domain
from domains.finance.codec import PriceCodec
from domains.finance.evaluation import fit_codec
from domains.finance.priming import PRIME_DAYS
from domains.finance.regimes import (Regime, RegimeSpec, comparison, history, largest_drawdown,
                                     real_stretches, regime_split, sample_regime)
from domains.finance.windows import SEGMENT, windows_of
from synthpipe.errors import InputDataError

finance = get_domain("finance")
LENGTH = 63


@pytest.fixture(scope="module")
def sp500():
    """The S&P 500 split as the quick profile cuts it, and a small mdn-gru fitted on it."""
    profile = finance.profile("quick")
    split = finance.split(finance.load(finance.parse_source("arch:sp500")), profile)
    model = generators.create("mdn-gru", hidden_size=16, n_components=2, epochs=4, random_state=0)
    model.fit(finance.training_data(split.train, profile, "mdn-gru"))
    return split, model


@pytest.mark.parametrize("text, expected", [
    ("high-vol", RegimeSpec("high-vol")), ("calm:12", RegimeSpec("calm", 12.0)),
    (" Drawdown:15 ", RegimeSpec("drawdown", 15.0)),
])
def test_regimes_parse(text, expected):
    assert RegimeSpec.parse(text) == expected


@pytest.mark.parametrize("text, says", [
    ("crash", "unknown regime"), ("drawdown", "needs a size"), ("calm:low", "not a number"),
    ("drawdown:120", "impossible"), ("high-vol:-3", "positive"), ("calm:nan", "positive"),
])
def test_bad_regimes_are_refused_with_what_to_write(text, says):
    with pytest.raises(InputDataError, match=says):
        RegimeSpec.parse(text)


def test_domains_without_regimes_refuse_one():
    with pytest.raises(InputDataError, match="applies to finance"):
        get_domain("healthcare").parse_regime("high-vol")


def test_measures_of_known_paths():
    levels = np.array([[100.0, 120, 90, 130, 117], [100, 101, 102, 103, 104]])
    assert largest_drawdown(levels) == pytest.approx([25.0, 0.0])
    assert Regime("high-vol", "X", "mean", 105, ">=").measure_levels(levels) == pytest.approx([111.4, 102])
    flat_growth = Regime("calm", "X", "volatility", 1, "<=").measure_levels(np.exp(0.01 * np.arange(50))[None])
    assert flat_growth == pytest.approx([0.0], abs=1e-9)  # a constant return has no volatility
    assert list(Regime("calm", "X", "mean", 102, "<=").holds(np.array([101.0, 102, 103]))) == [True, True, False]


def test_a_vix_column_is_measured_by_its_level_and_default_levels_come_from_the_history(market_frame):
    split = finance.split(market_frame, finance.profile("quick"))
    high = RegimeSpec("high-vol").resolve(history(split), fit_codec(split.train), LENGTH)
    assert (high.column, high.measure, high.direction) == ("VIX", "mean", ">=")
    means = real_stretches(history(split)["VIX"].to_numpy(), LENGTH).mean(axis=1)
    assert high.level == pytest.approx(np.quantile(means, 0.8))
    assert high.holds(means).mean() == pytest.approx(0.2, abs=0.01)
    drop = RegimeSpec("drawdown", 5).resolve(history(split), fit_codec(split.train), LENGTH)
    assert (drop.column, drop.measure, drop.level) == ("SP500_Close", "drawdown", 5.0)


def test_a_single_index_is_measured_by_its_volatility(sp500):
    split, _ = sp500
    calm = RegimeSpec("calm", 10).resolve(history(split), fit_codec(split.train), LENGTH)
    assert (calm.column, calm.measure, calm.direction, calm.level) == ("Close", "volatility", "<=", 10.0)


def test_data_without_a_positive_series_has_no_regimes():
    days = pd.bdate_range("2010-01-01", periods=300)
    spread = pd.DataFrame({"spread": np.sin(np.arange(300) / 9.0)}, index=days)
    with pytest.raises(InputDataError, match="positive price series"):
        RegimeSpec("calm").resolve(spread, PriceCodec.fit(spread), LENGTH)


def test_a_regime_the_history_never_reaches_is_refused(sp500):
    split, model = sp500
    regime = RegimeSpec("drawdown", 95).resolve(history(split), fit_codec(split.train), LENGTH)
    with pytest.raises(InputDataError, match="no real 63-day stretch.*most extreme"):
        regime_split(split, regime, LENGTH, 24)
    with pytest.raises(InputDataError, match="no real 63-day stretch"):
        sample_regime(model, regime, split, fit_codec(split.train), 10, LENGTH, seed=0)


def test_the_reference_holds_only_days_of_the_regime_and_no_window_joins_two_periods(sp500):
    split, _ = sp500
    regime = RegimeSpec("drawdown", 15).resolve(history(split), fit_codec(split.train), LENGTH)
    reference = regime_split(split, regime, LENGTH, 24)
    full = history(split)
    starts = regime.holds(regime.measure_levels(real_stretches(full["Close"].to_numpy(), LENGTH)))
    covered = set()
    for s in np.flatnonzero(starts):
        covered.update(full.index[s : s + LENGTH])
    for side, original in ((reference.train, split.train), (reference.holdout, split.holdout)):
        assert 0 < len(side) < len(original) and set(side.index) <= covered & set(original.index)
        for _, part in side.groupby(SEGMENT):  # each segment is consecutive days of one original block
            positions = original.index.get_indexer(part.index)
            assert (np.diff(positions) == 1).all()
            assert original[SEGMENT].iloc[positions].nunique() == 1
    windows, _ = windows_of(reference.train, fit_codec(split.train).encode, 24)
    assert len(windows) > 0


@pytest.mark.parametrize("spec", ["high-vol", "calm", "drawdown:10"])
def test_sampled_paths_are_of_the_regime_and_reproducible(sp500, spec):
    split, model = sp500
    codec = fit_codec(split.train)
    regime = RegimeSpec.parse(spec).resolve(history(split), codec, LENGTH)
    drawn = sample_regime(model, regime, split, codec, 40, LENGTH, seed=3)
    assert drawn.synthetic.shape == (40, LENGTH, len(codec.feature_names)) and drawn.drawn >= 40
    measured = regime.measure_levels(drawn.published[regime.column].to_numpy().reshape(40, LENGTH))
    assert regime.holds(measured).all() and measured == pytest.approx(drawn.values)
    assert drawn.published["sequence_id"].nunique() == 40 and not drawn.published.isna().any().any()
    again = sample_regime(model, regime, split, codec, 40, LENGTH, seed=3)
    pd.testing.assert_frame_equal(drawn.published, again.published)


def test_priming_with_a_regime_history_raises_the_share_of_paths_of_that_regime(sp500):
    split, model = sp500
    codec = fit_codec(split.train)
    regime = RegimeSpec("high-vol", 30).resolve(history(split), codec, LENGTH)
    primed = sample_regime(model, regime, split, codec, 30, LENGTH, seed=0)

    class Unprimed:  # the same model, told it cannot read history
        reads_history = False
        sample = staticmethod(lambda n, seed, length: model.sample(n, seed=seed, length=length))

    unprimed = sample_regime(Unprimed(), regime, split, codec, 30, LENGTH, seed=0)
    assert 30 / primed.drawn > 30 / unprimed.drawn


def test_paths_that_rarely_meet_the_regime_end_in_a_clear_error(sp500):
    split, _ = sp500
    codec = fit_codec(split.train)
    calm = generators.create("garch-t", random_state=0).fit(finance.training_data(split.train, finance.profile("quick"),
                                                                                   "garch-t"))
    regime = RegimeSpec("calm", 6).resolve(history(split), codec, LENGTH)  # history reaches ~5 %, GARCH rarely
    with pytest.raises(InputDataError, match=r"only \d+ of \d+ generated paths were of regime"):
        sample_regime(calm, regime, split, codec, 40, LENGTH, seed=0)


def test_context_must_fit_the_model(sp500):
    _, model = sp500
    with pytest.raises(InputDataError, match="context must be shaped"):
        model.sample(2, seed=0, length=5, context=np.zeros((2, 10, model.n_features_ + 1)))
    with pytest.raises(InputDataError, match="NaN"):
        model.sample(1, seed=0, length=5, context=np.full((1, 3, model.n_features_), np.nan))


def test_the_card_table_sets_the_scenarios_beside_the_real_periods_of_the_regime(sp500):
    split, model = sp500
    codec = fit_codec(split.train)
    regime = RegimeSpec("drawdown", 10).resolve(history(split), codec, LENGTH)
    drawn = sample_regime(model, regime, split, codec, 40, LENGTH, seed=0)
    table = comparison(regime, split, drawn.published, LENGTH, "Close")
    assert list(table.columns) == ["synthetic", "real, this regime", "real, every period"]
    label = f"{regime.label}, median"
    assert table.loc[label, "synthetic"] >= 10 and table.loc[label, "real, this regime"] >= 10
    assert table.loc[label, "real, every period"] < 10  # most real quarters fall less than 10 %
    assert table.loc["EMD of daily returns to this regime's (sd units)", "real, this regime"] == 0


def test_a_primed_levels_reading_model_starts_before_its_context_and_ends_it_on_the_start_day(market_frame):
    split = finance.split(market_frame, finance.profile("quick"))
    codec = fit_codec(split.train)
    regime = RegimeSpec("high-vol").resolve(history(split), codec, LENGTH)

    class Asked(Exception):
        pass

    class Recording:  # remembers its first request, then stops the draw
        reads_history = True
        level_features_ = codec.level_features

        def sample(self, n, *, seed, length, context, context_days, start_levels):
            self.context, self.start_levels = context, start_levels
            raise Asked

    model = Recording()
    with pytest.raises(Asked):
        sample_regime(model, regime, split, codec, 10, LENGTH, seed=0)
    vix = np.log(split.train.drop(columns=SEGMENT)["VIX"].to_numpy())
    primed = PRIME_DAYS
    for start, context in zip(model.start_levels[:, 0], model.context[:, :, codec.level_features[0]]):
        (day,) = np.flatnonzero(np.isclose(vix[primed:], start + context.sum()) & np.isclose(vix[:-primed], start))
        np.testing.assert_allclose(start + np.cumsum(context), vix[day + 1 : day + primed + 1])
