"""Cache the front-end files the installed solara fetches from a CDN, so the app works offline.

At request time solara's server proxies its JavaScript and CSS (the Vuetify app, requirejs, the
grid layout, font-awesome, ...) from a public CDN and caches them under
``<venv>/share/solara/cdn/<name>@<version>/``. On a machine without access to that CDN the page
stays blank. This script finds the exact ``name@version`` strings the installed solara asks for (by
reading solara's own templates and sources), fetches each package with ``npm pack`` from the npm
registry (or from ``$npm_config_registry`` / a mirror configured for npm), and unpacks it into that
cache. Packages already cached are skipped, so it is safe to re-run.

Usage: ``.venv/bin/python .ci/solara_assets.py [--list] [--strict] [--cache-dir DIR] [--skip NAME ...]``.
A package that cannot be fetched is reported and skipped (exit 0, so setup goes on); ``--strict`` makes it an error.
The venv is the one running this script (``sys.prefix``), the same prefix solara's server uses.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# `${this.getCdn()}/name@1.2.3/...`, `{{cdn}}/@scope/name@1.2.3/...`, fontawesome_path = "/name@1.2.3/..."
CDN_REF = re.compile(r"(?:getCdn\(\)\}|\{\{\s*cdn\s*\}\}|_path: str = \")/((?:@[a-z0-9][a-z0-9._-]*/)?[a-z0-9][a-z0-9._-]*)"
                     r"@(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)/")
SOURCE_SUFFIXES = {".py", ".vue", ".html", ".j2", ".js"}


def solara_dir() -> Path:
    spec = importlib.util.find_spec("solara")
    if spec is None or spec.origin is None:
        raise SystemExit("solara_assets: solara is not installed in " + sys.prefix)
    return Path(spec.origin).parent


def wanted_packages(root: Path) -> list[str]:
    """Exact ``name@version`` strings the installed solara loads through its CDN proxy (its website excluded)."""
    found: set[str] = set()
    for path in root.rglob("*"):
        if path.suffix not in SOURCE_SUFFIXES or "website" in path.relative_to(root).parts or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        for name, version in CDN_REF.findall(text):
            found.add(f"{name}@{version}")
    return sorted(found)


def cache_dir() -> Path:
    """solara's proxy cache: ``settings.assets.proxy_cache_dir`` (``<prefix>/share/solara/cdn``)."""
    try:
        from solara.server import settings

        return Path(settings.assets.proxy_cache_dir)
    except Exception:  # an old or broken solara: fall back to its documented default
        return Path(sys.prefix) / "share" / "solara" / "cdn"


def is_cached(target: Path) -> bool:
    return (target / "package.json").is_file()


def fetch(package: str, target: Path, npm: str) -> None:
    """``npm pack`` one package into a temporary folder and unpack its ``package/`` into ``target``."""
    with tempfile.TemporaryDirectory(prefix="solara-assets-") as tmp:
        out = subprocess.run([npm, "pack", package, "--silent", "--pack-destination", tmp], capture_output=True, text=True,
                             timeout=600, check=False)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if out.returncode != 0 or not tarballs:
            raise RuntimeError(f"npm pack {package} failed: {(out.stderr or out.stdout).strip()[-500:]}")
        staging = Path(tmp) / "unpacked"
        with tarfile.open(tarballs[0]) as tar:
            tar.extractall(staging, filter="data")
        inner = staging / "package"
        if not inner.is_dir():  # a few old tarballs use another top folder
            dirs = [d for d in staging.iterdir() if d.is_dir()]
            if len(dirs) != 1:
                raise RuntimeError(f"{package}: unexpected tarball layout {[d.name for d in staging.iterdir()]}")
            inner = dirs[0]
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(inner, partial)
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)  # the cache entry appears complete or not at all


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--list", action="store_true", help="only print the packages and whether each is cached")
    parser.add_argument("--cache-dir", type=Path, help="cache folder (default: solara's proxy cache in this venv)")
    parser.add_argument("--skip", nargs="*", default=[], metavar="NAME", help="package names not to fetch (e.g. mermaid)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a package cannot be cached (default: warn, exit 0)")
    args = parser.parse_args(argv)

    packages = [p for p in wanted_packages(solara_dir()) if p.rsplit("@", 1)[0] not in args.skip]
    cache = args.cache_dir or cache_dir()
    if args.list:
        for p in packages:
            print(f"{'cached ' if is_cached(cache / p) else 'missing'} {p}")
        return 0
    todo = [p for p in packages if not is_cached(cache / p)]
    if not todo:
        print(f"solara_assets: all {len(packages)} front-end packages already cached in {cache}")
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print(f"solara_assets: npm not found; cannot cache {', '.join(todo)}. Install Node.js/npm, or copy the packages into "
              f"{cache}/<name>@<version>/ by hand (see docs/app.md). Without them the app needs access to cdn.jsdelivr.net.",
              file=sys.stderr)
        return 1 if args.strict else 0
    failed = []
    for p in todo:
        print(f"solara_assets: fetching {p}", flush=True)
        try:
            fetch(p, cache / p, npm)
        except (RuntimeError, OSError, subprocess.SubprocessError, tarfile.TarError) as exc:
            failed.append(p)
            print(f"solara_assets: {exc}", file=sys.stderr)
    if failed:
        print(f"solara_assets: could not cache {', '.join(failed)}; the app needs the CDN for those", file=sys.stderr)
        return 1 if args.strict else 0
    print(f"solara_assets: cached {len(todo)} package(s) in {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
