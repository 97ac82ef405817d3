"""scamsim: an agent-based model of scam compounds, their operators and the agencies that raid them."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("scamsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"
