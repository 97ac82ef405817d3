"""The ``scamsim`` command: one module per command, sharing exit codes, error printing and progress."""
