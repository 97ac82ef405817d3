"""Helpers every layer may use: constants, statistics, atomic files, shipped resources, provenance. Imports nothing else of sim."""
