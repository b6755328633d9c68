"""synthpipe: a synthetic-data factory with a fidelity and privacy gate before publishing.

    import synthpipe
    synthpipe.run("finance")                      # train, validate, publish
    frame = synthpipe.load("finance/markets")     # latest published version
    synthpipe.pull("finance/markets@v1", to="downloads")
"""
from synthpipe.api import load, pull, run
from synthpipe.errors import SynthpipeError

__all__ = ["SynthpipeError", "load", "pull", "run"]
__version__ = "0.1.0"
