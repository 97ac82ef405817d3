"""Exit codes and the error type every input check raises.

Every command exits 0 on success, ``EXIT_BAD_INPUT`` when what the user gave was wrong (the message
names the file, the key, what was wrong and what is allowed), and ``EXIT_FAILURE`` otherwise.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
