"""What `bench/finance_record.py --rescore` measures again."""
import sys
from argparse import Namespace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from finance_record import rows_to_rescore  # noqa: E402


def test_a_resumed_rescore_skips_only_the_rows_the_same_command_measured():
    rows = [dict(dataset="arch", config="garch-t", seed=0, rescored_runs="python bench/finance_record.py --rescore runs"),
            dict(dataset="arch", config="garch-t", seed=1, rescored_runs="an earlier command"),
            dict(dataset="arch", config="garch-t", seed=2),
            dict(dataset="arch", config="garch-t", seed=3, fold=3),
            dict(dataset="arch", config="mdn-gru-quick", seed=0),
            dict(dataset="arch:sp500", config="garch-t", seed=0)]
    args = Namespace(rescore="runs", datasets=["arch"], configs=["garch-t"], rotate_holdout=False)
    seeds = lambda chosen: [r["seed"] for r in chosen]  # noqa: E731
    assert seeds(rows_to_rescore(rows, args)) == [0, 1, 2]
    assert seeds(rows_to_rescore(rows, args, "python bench/finance_record.py --rescore runs")) == [1, 2]
    assert seeds(rows_to_rescore(rows, Namespace(**{**vars(args), "rescore": "paths"}),
                                 "python bench/finance_record.py --rescore runs")) == [0, 1, 2]
    assert seeds(rows_to_rescore(rows, Namespace(**{**vars(args), "rotate_holdout": True}))) == [3]
