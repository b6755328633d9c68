"""What every benchmark script shares: one child process per (generator, profile), so each pair's
peak memory is its own; the wall time of one whole `synthpipe run`; and the command line each
benchmark records beside its figures."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def command_line(script: str, arguments: list[str] | None = None) -> str:
    """How this benchmark was started, as its output records it: the thread limit when one was
    set (it changes the seconds), then the script and its arguments (`sys.argv`'s, unless given,
    e.g. with a machine's own path replaced by a placeholder)."""
    threads = os.environ.get("OMP_NUM_THREADS")
    shown = sys.argv[1:] if arguments is None else arguments
    words = ["python", f"bench/{Path(script).name}", *(shlex.quote(a) for a in shown)]
    return (f"OMP_NUM_THREADS={threads} " if threads else "") + " ".join(words)


def run_isolated(script: str, generators: list[str], profiles: list[str], extra: list[str]) -> list[dict]:
    """Run `script --one GENERATOR PROFILE *extra` for every pair; the JSON rows they print last.
    A pair that fails is reported on stderr and left out."""
    rows = []
    for profile in profiles:
        for generator in generators:
            print(f"running {generator} / {profile} ...", file=sys.stderr, flush=True)
            out = subprocess.run([sys.executable, script, "--one", generator, profile, *extra],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                print(out.stderr[-3000:], file=sys.stderr)
                continue
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return rows


def time_pipeline(domain: str, extra: list[str] = ()) -> tuple[float, str]:
    """Seconds of one `synthpipe run DOMAIN` (quick) in a fresh data home, and the line it printed
    last, without the temporary folder a quarantine report names."""
    with tempfile.TemporaryDirectory() as home:
        command = [sys.executable, "-m", "synthpipe.cli", "run", domain, "--catalog", home, *extra]
        start = time.perf_counter()
        out = subprocess.run(command, check=False, capture_output=True, text=True)
        last = (out.stdout.strip().splitlines() or ["(no output)"])[-1]
        return time.perf_counter() - start, last.split("; report in")[0]
