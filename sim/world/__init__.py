"""The region: jurisdictions, zones and the static cell layers built from a scenario's map."""
