"""Analyses over many runs: sensitivity, scenario discovery, calibration and pattern-oriented validation."""
