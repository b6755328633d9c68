"""A benchmark records the command that reproduces it, thread limit included."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from harness import command_line  # noqa: E402


def test_command_line_names_the_script_its_arguments_and_the_thread_limit(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["/anywhere/bench/finance_record.py", "--configs", "garch-t", "a b"])
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert command_line("/anywhere/bench/finance_record.py") == \
        "python bench/finance_record.py --configs garch-t 'a b'"
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert command_line("finance_record.py").startswith("OMP_NUM_THREADS=1 python bench/finance_record.py ")
    monkeypatch.setattr(sys, "argv", ["finance_cost.py"])
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert command_line("finance_cost.py") == "python bench/finance_cost.py"
