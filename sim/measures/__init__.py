"""What a run produced: its records, the paired counterfactual run, persistence and displacement measures."""
