"""`oretrace app [--port N] [--endpoint URL]`: start the Streamlit app on the loopback interface."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ENDPOINT_ENV = "ORETRACE_ENDPOINT"


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_dir(settings) -> Path:
    return Path(settings.root) / "app"


def command(settings, port: int) -> list[str]:
    """The `streamlit run` command line of the app."""
    return [sys.executable, "-m", "streamlit", "run", str(app_dir(settings) / "oretrace_app.py"),
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.enableStaticServing", "true", "--server.address", "127.0.0.1",
            "--server.port", str(port), "--server.fileWatcherType", "none"]


def environment(settings, endpoint: str | None) -> dict:
    env = dict(os.environ, ORETRACE_ROOT=str(settings.root), ORETRACE_BASE=settings.base,
               ORETRACE_BUILD=str(settings.build_dir))
    if endpoint:
        env[ENDPOINT_ENV] = endpoint
    return env


def cmd_app(args, settings) -> int:
    app = app_dir(settings)
    if not (app / "oretrace_app.py").is_file():
        print(f"error: {app / 'oretrace_app.py'} is missing", file=sys.stderr)
        return 2
    sys.path.insert(0, str(app))
    import setup_assets

    if setup_assets.missing(app):
        code = setup_assets.install(app)
        if code:
            return code
    endpoint = args.endpoint or os.environ.get(ENDPOINT_ENV)
    if not endpoint:
        from . import store

        try:
            store.current_release(settings)
        except store.NoBuildError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    port = args.port or free_port()
    print(f"oretrace app on http://127.0.0.1:{port}/  ({'endpoint ' + endpoint if endpoint else 'last build'}; Ctrl+C stops it)",
          file=sys.stderr)
    try:
        return subprocess.call(command(settings, port), env=environment(settings, endpoint))
    except KeyboardInterrupt:
        return 0


def register(sub) -> dict:
    p = sub.add_parser("app", help="start the web app (Streamlit) on 127.0.0.1")
    p.add_argument("--port", type=int, help="port (default: a free one)")
    p.add_argument("--endpoint", help=f"read this SPARQL 1.1 endpoint instead of the last build (or ${ENDPOINT_ENV})")
    return {"app": cmd_app}
