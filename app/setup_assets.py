"""Copy the front-end files the app needs from app/node_modules (installed by `npm ci --prefix app`) into app/static/.

Run: `python app/setup_assets.py`. Exit code 2 with a message when node_modules is missing.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent
# (source under node_modules, target under static)
FILES = [
    ("leaflet/dist/leaflet.js", "leaflet/leaflet.js"),
    ("leaflet/dist/leaflet.css", "leaflet/leaflet.css"),
    ("leaflet/dist/images", "leaflet/images"),
    ("leaflet/LICENSE", "leaflet/LICENSE"),
    ("topojson-client/dist/topojson-client.min.js", "topojson/topojson-client.min.js"),
    ("topojson-client/LICENSE", "topojson/LICENSE"),
    ("world-atlas/countries-110m.json", "world/countries-110m.json"),
    ("world-atlas/LICENSE", "world/LICENSE"),
    ("@zazuko/yasqe/build/yasqe.min.js", "yasqe/yasqe.min.js"),
    ("@zazuko/yasqe/build/yasqe.min.css", "yasqe/yasqe.min.css"),
]


def missing(app: Path = APP) -> list[str]:
    """Static files the app needs that are not in place."""
    return [dst for _, dst in FILES if not (app / "static" / dst).exists()]


def install(app: Path = APP) -> int:
    nm = app / "node_modules"
    absent = [src for src, _ in FILES if not (nm / src).exists()]
    if absent:
        print(f"error: {nm} lacks {', '.join(absent)}\n  run `npm ci --prefix {app}` first (needs the npm registry once)",
              file=sys.stderr)
        return 2
    tmp = app / ".static-new"
    shutil.rmtree(tmp, ignore_errors=True)
    for src, dst in FILES:
        target = tmp / dst
        target.parent.mkdir(parents=True, exist_ok=True)
        if (nm / src).is_dir():
            shutil.copytree(nm / src, target)
        else:
            shutil.copy2(nm / src, target)
    old = app / ".static-old"
    shutil.rmtree(old, ignore_errors=True)
    if (app / "static").exists():
        (app / "static").rename(old)
    tmp.rename(app / "static")
    shutil.rmtree(old, ignore_errors=True)
    print(f"copied {len(FILES)} asset paths into {app / 'static'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(install())
