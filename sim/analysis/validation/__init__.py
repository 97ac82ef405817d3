"""Pattern-oriented validation (Grimm et al. 2005): does the model reproduce what was seen in the world?

One module per job, lowest first: ``observe`` (runs observed through the model's hooks),
``geography`` (the map's static geography), ``criteria`` (patterns, criteria and verdicts as data),
``measures`` (plain functions of runs), ``catalogue`` (variants and the ``Catalogue`` a region plugs
in), ``runner`` (replications, process pool, verdicts), ``report`` (text and Markdown). None of them
knows a place name: the Mekong suite is data in ``mekong`` and ``mekong_measures``. The command is
``scamsim patterns`` (``sim.cli.patterns``).
"""
