"""The model: agents as column tables, the weekly orchestrator, and the hooks through which observers see a run."""
