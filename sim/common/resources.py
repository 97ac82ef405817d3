"""Where the files shipped with scamsim are: scenarios, experiments, notebooks and the posterior headline's tables.

In a source checkout they are the repository's own folders; in an installed wheel they are copied
into the package (``sim/_shipped/``, see ``[tool.hatch.build.targets.wheel.force-include]`` in
pyproject.toml). Every module finds them here, so the same code works from both.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SHIPPED = ("scenarios", "experiments", "notebooks", "headline_posterior")
#: Where a shipped folder lives in a checkout, when not at the top (the headline tables the briefs quote).
IN_CHECKOUT = {"headline_posterior": "docs/headline_posterior"}


def source_root() -> Path | None:
    """The repository checkout this package was imported from, or None when it is installed."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "scenarios").is_dir() else None


def shipped(folder: str) -> Path:
    """The folder of shipped ``scenarios``, ``experiments``, ``notebooks`` or ``headline_posterior`` (the tables of
    docs/headline_posterior/, which the briefs quote)."""
    if folder not in SHIPPED:
        raise ValueError(f"no shipped folder {folder!r}; shipped folders are {', '.join(SHIPPED)}")
    packaged = Path(str(resources.files("sim"))) / "_shipped" / folder
    if packaged.is_dir():
        return packaged
    root = source_root()
    if root is None:
        raise FileNotFoundError(f"the shipped {folder}/ folder is missing from this installation of scamsim")
    return root / IN_CHECKOUT.get(folder, folder)
