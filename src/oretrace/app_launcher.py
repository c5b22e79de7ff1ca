"""`oretrace app [--port N] [--endpoint URL]`: start the Streamlit app on the loopback interface."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
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


# ------------------------------------------------------------------ for browser tests and the benchmark
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def running_app(root: Path, build_dir: Path, endpoint: str | None = None):
    """The app served by `streamlit run` on 127.0.0.1:<free port>; yields its base URL."""
    from .config import Settings

    app = Path(__file__).resolve().parents[2] / "app"
    sys.path.insert(0, str(app))
    import setup_assets

    if setup_assets.missing(app) and setup_assets.install(app):
        raise RuntimeError("the app's npm assets are missing: run `npm ci --prefix app`")
    s = Settings(root=Path(root), build=Path(build_dir))
    port = free_port()
    cmd = command(s, port)
    cmd[4] = str(app / "oretrace_app.py")  # the app code of this checkout, whatever the data root
    env = environment(s, endpoint)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("streamlit did not start:\n" + (proc.stdout.read().decode() if proc.stdout else ""))
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished its script run and drawn the page: connected, script state
    `notRunning`, a page title on screen, no element left stale from an earlier run, no running icon.

    After an interaction, first wait for an element that only the new run draws: until the rerun
    request reaches the browser, the state of the previous run still reads `notRunning`.
    """
    page.wait_for_function(
        """() => { const app = document.querySelector('[data-testid=stApp]');
                   return !!app && app.getAttribute('data-test-script-state') === 'notRunning'
                          && app.getAttribute('data-test-connection-state') === 'CONNECTED'
                          && !!document.querySelector('[data-testid=stMain] h1')
                          && !document.querySelector('[data-testid=stMain] [data-stale=true]')
                          && !document.querySelector('[data-testid=stStatusWidgetRunningIcon]'); }""",
        timeout=timeout, polling=50)


def chromium_available() -> bool:
    return os.path.exists(CHROMIUM)


def register(sub) -> dict:
    p = sub.add_parser("app", help="start the web app (Streamlit) on 127.0.0.1")
    p.add_argument("--port", type=int, help="port (default: a free one)")
    p.add_argument("--endpoint", help=f"read this SPARQL 1.1 endpoint instead of the last build (or ${ENDPOINT_ENV})")
    return {"app": cmd_app}
