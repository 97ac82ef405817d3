"""Bayesian calibration by simulation-based inference (issue 14, part 4).

ABC-SMC (``pyabc``, the optional ``calibrate`` extra) over the uncertain parameters of a scenario:

- ``spec``: the calibration spec file (``experiments/calibration.toml``): scenario, ranges, parameters,
  the statistics and their observed values with source and date, the budget, and a small mode.
- ``prior``: priors from the sourced ranges file (``sim.analysis.calibration.load_ranges``), uniform or
  log-uniform on each range, sampled on the unit cube.
- ``statistics``: the model's summary statistics (levels and responses to shocks over dated week windows).
- ``simulator``: ``theta -> statistics``: the scenario with the parameters set, run to the spec's last week.
- ``screening``: Morris elementary effects of the candidate parameters on the statistics, with the seed as a
  null factor, and the declared rule that picks the parameters to calibrate (the rest are marginalised).
- ``engine``: the ABC-SMC run (process pool or Dask) and its posterior samples.
- ``output``: the posterior folder (samples, generations, manifest), written whole or not at all.

``scamsim calibrate SPEC --out DIR [--small]`` (``sim.cli.calibrate``) rebuilds it; docs/calibration.md.
"""
