"""Time from navigation to fully rendered content for each page of the app, in a real headless Chromium.

Usage: python bench/bench_app.py [--runs 5] [--screenshots DIR]
Reads the last build (build/current, or $ORETRACE_BUILD). Prints one line per page: median and worst
seconds over the runs (the first, cold load of each page is reported apart).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

from playwright.sync_api import sync_playwright

from oretrace.config import settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from browser import CHROMIUM, CHROMIUM_ARGS, running_app, wait_idle  # noqa: E402  (the browser tests' helpers)

# page name, path, what must be on screen for the page to count as rendered, and what to scroll to for the screenshot
PAGES = [
    ("overview", "", ".ot-chain", None),
    ("supply chain", "chain", "svg.ot-sankey >> nth=0", None),
    ("supply chain map", "chain", ".ot-map[data-ready='1']", ".ot-map"),
    ("supply chain network", "chain", "svg.ot-network", "svg.ot-network"),
    ("entity", "entity?iri=" + urllib.parse.quote("https://w3id.org/oretrace/id/site/nyrstar-auby", safe=""), ".ot-cite", None),
    ("entity search", "entity?q=Auby", "[data-testid=stMain] li a[href*='entity?iri=']", None),
    ("findings", "findings", "[data-testid=stMetric]", None),
    ("sources", "sources", "table.ot-table", None),
    ("sparql editor", "sparql", ".ot-yasqe[data-ready='1'] .CodeMirror", None),
    ("sparql result", "sparql?q=" + urllib.parse.quote("SELECT ?f ?l WHERE { ?f a ot:Flow ; rdfs:label ?l } LIMIT 50"),
     "table.ot-table tbody tr", None),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--screenshots", type=Path, help="save one screenshot of each page here")
    args = ap.parse_args()
    s = settings()
    results = {}
    with running_app(s.root, s.build_dir) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = ctx.new_page()
        for name, path, ready, scroll in PAGES:
            times = []
            for i in range(args.runs + 1):
                t0 = time.perf_counter()
                page.goto(f"{url}/{path}")
                page.wait_for_selector(ready, state="attached", timeout=30_000)
                wait_idle(page)
                times.append(time.perf_counter() - t0)
            results[name] = times
            if args.screenshots:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                if scroll:  # centre the part of the page this screenshot is about
                    page.locator(scroll).first.evaluate(
                        "e => e.scrollIntoView({block: 'center'})")
                page.wait_for_timeout(500)
                page.screenshot(path=str(args.screenshots / f"{name.replace(' ', '-')}.png"))
            print(f"{name:21} cold {times[0]:5.2f} s   median {statistics.median(times[1:]):5.2f} s   "
                  f"worst {max(times[1:]):5.2f} s", file=sys.stderr, flush=True)
        browser.close()
    worst = max(max(t[1:]) for t in results.values())
    print(f"slowest warm page load: {worst:.2f} s (target < 2 s)")
    return 0 if worst < 2 else 1


if __name__ == "__main__":
    sys.exit(main())
