"""Exit codes, and the error a run raises when its parameters together push it past what it can represent.

Every command exits 0 on success, ``EXIT_BAD_INPUT`` when what the user gave was wrong (the message
names the file, the key, what was wrong and what is allowed), and ``EXIT_FAILURE`` otherwise.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class SimulationError(RuntimeError):
    """A run that cannot go on: every parameter is within its declared range, but together they drive a
    quantity beyond what the model can represent (a recruitment market that runs away, say).

    Raised from inside the weekly loop with a message that names the parameters behind the quantity and
    which way to move them. ``scamsim run`` reports it like bad input (``EXIT_BAD_INPUT``), without a traceback,
    and writes nothing; a sweep records the message beside the failed run (``errors/``) and goes on.
    """
