"""Parameter declarations: every parameter once, with its type, unit, range, default and source."""
