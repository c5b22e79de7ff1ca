"""Named points where a test can stop the process as `kill -9` would, to prove crash consistency.

`ORETRACE_CRASH_AT=<point>` makes the process send itself SIGKILL the first time it reaches
`point(<point>)`; `<point>@<n>` waits for the n-th time. Without the variable a point costs one
dictionary lookup. Every point is listed in POINTS with what has happened when it is reached;
tests/test_crash.py runs the real commands once per point.
"""

from __future__ import annotations

import os
import signal

POINTS = {
    # oretrace import
    "import:writing": "part of the import's N-Quads is in its temporary file",
    "import:written": "the temporary file is complete and on disk; no release has it yet",
    "import:published": "the release with the import is current; build/imports/NAME.nq is not renamed yet",
    "import:renamed": "build/imports/NAME.nq is in place; the command has not reported yet",
    # oretrace build (and the build an import makes)
    "build:loaded": "the store of the new release is loaded in its staging folder",
    "build:assembled": "the staging folder holds the whole release (store, dumps, manifest)",
    "release:moved-aside": "a release of the same version that is not current was moved to .old-*",
    "release:placed": "the new release is in build/releases/ but build/current does not point to it yet",
    "release:swapped": "build/current points to the new release; older ones are not pruned yet",
    # oretrace publish
    "publish:put": "some graphs of the build are on the remote store, others not yet",
    "publish:delete": "every graph is on the remote store; graphs of earlier builds are not removed yet",
}

_counts: dict[str, int] = {}


def point(name: str) -> None:
    """Stop the process here with SIGKILL if ORETRACE_CRASH_AT names this point."""
    want = os.environ.get("ORETRACE_CRASH_AT")
    if not want:
        return
    if name not in POINTS:
        raise AssertionError(f"crash point {name!r} is not listed in oretrace.crash.POINTS")
    at, _, nth = want.partition("@")
    if at != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] >= (int(nth) if nth.isdigit() else 1):
        os.kill(os.getpid(), signal.SIGKILL)
