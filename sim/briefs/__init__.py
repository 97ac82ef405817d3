"""Policy briefs: parameterised notebooks executed and exported to standalone HTML."""
