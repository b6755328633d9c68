"""A publishing process killed at any moment leaves no partial version visible."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from catalog import Catalog
from catalog.manifest import verify

PUBLISHER = textwrap.dedent("""
    import os, sys
    from catalog import Catalog
    def write(folder):
        for i in range(400):
            (folder / f"part-{i:03d}.bin").write_bytes(os.urandom(64 * 1024))
    catalog = Catalog(sys.argv[1])
    while True:
        catalog.publish("finance/killed", write, {})
        print("published", flush=True)
""")


@pytest.mark.parametrize("delay", [0.15, 0.4, 0.9, 1.7])
def test_kill_while_publishing(tmp_path, delay):
    home = tmp_path / "home"
    process = subprocess.Popen([sys.executable, "-c", PUBLISHER, str(home)], stdout=subprocess.PIPE,
                               env=dict(os.environ, PYTHONPATH=os.getcwd()))
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    catalog = Catalog(home)
    for version in catalog.versions("finance/killed"):
        folder = catalog.path(f"finance/killed@{version}")
        verify(folder)  # every visible version is whole
        assert len(list(folder.glob("part-*.bin"))) == 400
    latest = catalog.backend.alias("finance/killed")
    if latest:
        assert latest in catalog.versions("finance/killed")
    # A later publish still works and numbers on from what is visible.
    ref = catalog.publish("finance/killed", lambda f: (f / "x").write_text("x"), {})
    assert catalog.resolve("finance/killed").version == ref.version
