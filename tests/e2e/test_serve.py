"""`synthpipe serve` against a real Prefect server on loopback: a triggered deployment publishes."""
import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from catalog import Catalog
from flows.serve import load_schedules
from synthpipe.errors import SynthpipeError

pytestmark = [pytest.mark.e2e, pytest.mark.server]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


def test_schedule_config_overrides_and_errors(tmp_path):
    assert [(s.domain, s.cron) for s in load_schedules()] == [("driving", "0 3 * * *"), ("finance", "0 6 * * 2-6"),
                                                             ("healthcare", "0 2 * * 0")]
    config = tmp_path / "schedules.toml"
    config.write_text('[finance]\ncron = "*/5 * * * *"\nprofile = "full"\n')
    assert {s.domain: s for s in load_schedules(config)}["finance"].deployment_name == "finance-full"
    config.write_text('[weather]\ncron = "* * * * *"\n')
    with pytest.raises(SynthpipeError, match="unknown domain"):
        load_schedules(config)
    config.write_text('[finance]\nprofile = "medium"\n')
    with pytest.raises(SynthpipeError, match="profile"):
        load_schedules(config)


def test_served_deployment_run_publishes(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_API_URL=api,
               SYNTHPIPE_HOME=str(tmp_path / "home"), PREFECT_SERVER_ANALYTICS_ENABLED="false")
    processes = []
    try:
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for(lambda: httpx.get(f"{api}/health", timeout=5).status_code == 200, 120, "the Prefect server")
        processes.append(subprocess.Popen([sys.executable, "-m", "synthpipe.cli", "serve"], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

        def deployment_id():
            response = httpx.post(f"{api}/deployments/filter", json={}, timeout=10)
            found = [d for d in response.json() if d["name"] == "finance-quick"]
            return found and found[0]["id"]

        wait_for(deployment_id, 120, "the served deployment")
        trigger = ("from prefect.deployments import run_deployment\n"
                   "run = run_deployment('synthpipe-pipeline/finance-quick', timeout=600)\n"
                   "print(run.id, run.state.type.value)")
        out = subprocess.run([sys.executable, "-c", trigger], env=env, capture_output=True, text=True, timeout=700)
        run_id, state = out.stdout.split()[-2:]
        assert state == "COMPLETED", out.stderr[-2000:]
        catalog = Catalog(tmp_path / "home")
        assert catalog.datasets() == ["finance/markets"]
        assert catalog.manifest("finance/markets")["flow_run_id"] == run_id
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
