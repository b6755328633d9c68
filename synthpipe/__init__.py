"""synthpipe: a synthetic-data factory with a fidelity and privacy gate before publishing.

    import synthpipe
    synthpipe.run("finance")                      # train, validate, publish
    frame = synthpipe.load("finance/markets")     # latest published version
    synthpipe.pull("finance/markets@v1", to="downloads")
    synthpipe.audit("finance/markets@v1").reproduced   # re-run it from its manifest and compare
"""
from synthpipe.api import audit, load, pull, run
from synthpipe.errors import SynthpipeError

__all__ = ["SynthpipeError", "audit", "load", "pull", "run"]
__version__ = "0.1.0"
