"""Policy types: what agencies and governments do differently once an intervention starts."""
