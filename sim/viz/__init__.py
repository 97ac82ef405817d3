"""Figures and the browser app: run overviews, sweep figures, the map and the Solara page."""
