"""Helpers of the browser tests and the app benchmark (bench/bench_app.py): Debian's Chromium with
the project's flags, the app served by `streamlit run` on a free loopback port, and a wait for
Streamlit to finish drawing. `oretrace app` itself is oretrace.app_launcher."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from oretrace.app_launcher import command, environment, free_port
from oretrace.config import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def running_app(root: Path, build_dir: Path, endpoint: str | None = None):
    """The app served by `streamlit run` on 127.0.0.1:<free port>; yields its base URL."""
    app = Path(__file__).resolve().parents[1] / "app"
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
