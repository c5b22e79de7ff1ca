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
        wait_for(url + "/_stcore/health", proc, "streamlit")
        yield url
    finally:
        stop(proc)


def wait_for(url: str, proc: subprocess.Popen, what: str, seconds: float = 60) -> None:
    """Wait until `url` answers 200, or fail with what the process `proc` printed."""
    deadline = time.time() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout and proc.poll() is not None else ""
            raise RuntimeError(f"{what} did not start (exit code {proc.poll()}):\n{out}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    """Stop a server the test started: terminate, then kill if it lingers."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


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
