"""Pattern-oriented validation (Grimm et al. 2005): does the model reproduce what was seen in the world?

One module per job, lowest first: ``observe`` (runs observed through the model's hooks),
``geography`` (the map's static geography, with the distance to an international border),
``predictive`` (where an observation falls in the model's predictive distribution; Holm; Kaplan-Meier),
``criteria`` (patterns, criteria, roles, dates and verdicts as data),
``measures`` (plain functions of runs), ``catalogue`` (variants and the ``Catalogue`` a region plugs
in), ``runner`` (replications and parameter sets, process pool, verdicts), ``steady`` (the burn-in drift
check), ``report`` (text and Markdown). None of them
knows a place name: the Mekong suite is data in ``mekong`` and ``mekong_measures``. The command is
``scamsim patterns`` (``sim.cli.patterns``).
"""
