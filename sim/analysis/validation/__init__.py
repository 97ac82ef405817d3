"""Pattern-oriented validation: stylised facts as patterns measured on observed runs."""
