"""A throwaway OpenLink Virtuoso server for the tests and the benchmark: its own virtuoso.ini, its
database, log, lock and transaction files in one folder, its SQL and HTTP ports picked free on
127.0.0.1, and the folder's `load/` allowed to the bulk loader. Not part of the package."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from oretrace import virtuoso

SERVER_NAMES = ("virtuoso-t",)
FRESH_PASSWORD = "dba"  # dba's password in a new database; start() replaces it by a random one

INI = """; written by tests/virtuoso_server.py for one throwaway database
[Database]
DatabaseFile       = {d}/virtuoso.db
ErrorLogFile       = {d}/virtuoso.log
LockFile           = {d}/virtuoso.lck
TransactionFile    = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {d}/virtuoso-temp.db
TransactionFile    = {d}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = 127.0.0.1:{sql_port}
DisableUnixSocket        = 1
MaxClientConnections     = 20
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
AllowOSCalls             = 0
DirsAllowed              = ., {load}
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
MaxQueryMem              = {query_mem}
ThreadsPerQuery          = {threads}
AsyncQueueMaxThreads     = 10
NumberOfBuffers          = {buffers}
MaxDirtyBuffers          = {dirty}

[HTTPServer]
ServerPort                  = 127.0.0.1:{http_port}
ServerRoot                  = {d}/www
MaxClientConnections        = 20
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
ServerThreads               = 20
MaxKeepAlives               = 20
KeepAliveTimeout            = 10
HTTPThreadSize              = 280000
Charset                     = UTF-8
EnabledGzipContent          = 0

[SPARQL]
ResultSetMaxRows           = 10000000
MaxQueryCostEstimationTime = 3600
MaxQueryExecutionTime      = {query_seconds}
"""


def server_command() -> str | None:
    for name in SERVER_NAMES:
        exe = shutil.which(name)
        if exe:
            return exe
    return None


def unavailable() -> str | None:
    """Why no Virtuoso can be started here, or None."""
    if server_command() is None:
        return "Virtuoso is not installed (virtuoso-t; Debian: apt-get install virtuoso-opensource, as scripts/setup.sh --test does)"
    return virtuoso.missing()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VirtuosoServer:
    """`virtuoso-t +foreground` on a database of its own; a context manager."""

    def __init__(self, folder: Path, buffers: int = 20_000, dirty: int = 15_000, query_mem: str = "1G",
                 threads: int = 2, query_seconds: int = 600):
        self.folder = Path(folder)
        self.load_dir = self.folder / "load"
        self.settings = dict(buffers=buffers, dirty=dirty, query_mem=query_mem, threads=threads, query_seconds=query_seconds)
        self.proc: subprocess.Popen | None = None
        self.sql_port = self.http_port = 0
        self.password = secrets.token_hex(12)

    # ---- addresses
    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def sparql(self) -> str:
        return self.root + "/sparql"

    @property
    def gsp(self) -> str:
        return self.root + "/sparql-graph-crud"

    @property
    def isql_address(self) -> str:
        return f"127.0.0.1:{self.sql_port}"

    @property
    def auth(self) -> str:
        """USER:PASSWORD of the database administrator (as ORETRACE_VIRTUOSO_AUTH takes it)."""
        return f"dba:{self.password}"

    def sql(self) -> virtuoso.Sql:
        return virtuoso.Sql(self.isql_address, "dba", self.password)

    @property
    def ini(self) -> Path:
        return self.folder / "virtuoso.ini"

    # ---- life
    def start(self, wait_s: float = 180) -> "VirtuosoServer":
        exe = server_command()
        if exe is None:
            raise RuntimeError(unavailable())
        self.load_dir.mkdir(parents=True, exist_ok=True)
        (self.folder / "www").mkdir(exist_ok=True)
        for attempt in range(3):  # a port taken between the probe and the server's bind: try others
            self.sql_port, self.http_port = _free_port(), _free_port()
            self.ini.write_text(INI.format(d=self.folder, load=self.load_dir, sql_port=self.sql_port,
                                           http_port=self.http_port, **self.settings))
            log = open(self.folder / "stdout.log", "wb")
            self.proc = subprocess.Popen([exe, "+configfile", str(self.ini), "+foreground"], cwd=self.folder,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
            if self._wait(wait_s):
                with virtuoso.Sql(self.isql_address, "dba", FRESH_PASSWORD) as sql:
                    sql.execute("USER_SET_PASSWORD('dba', ?)", self.password)
                return self
            text = self.log_tail()
            self.stop()
            if "address already in use" not in text.lower() and "failed to start listening" not in text.lower():
                break
        raise RuntimeError(f"Virtuoso did not start (see {self.folder}/virtuoso.log):\n{self.log_tail()}")

    def _wait(self, wait_s: float) -> bool:
        url = self.sparql + "?" + urllib.parse.urlencode({"query": "ASK {}"})
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        return True
            except (OSError, urllib.error.HTTPError):
                pass
            time.sleep(0.3)
        return False

    def log_tail(self, lines: int = 25) -> str:
        out = []
        for name in ("virtuoso.log", "stdout.log"):
            p = self.folder / name
            if p.is_file():
                out += p.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(out)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def peak_rss_mb(self) -> float | None:
        """The server's largest resident set so far (VmHWM), in MB."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except (OSError, AttributeError):
            return None
        return None

    def disk_mb(self) -> float:
        """Size of the database files (database, temporary database, transaction log)."""
        return round(sum(p.stat().st_size for p in self.folder.glob("virtuoso*") if p.is_file()) / 2 ** 20, 1)

    def allow_updates_over_http(self) -> None:
        """Let the anonymous SPARQL user write through the Graph Store Protocol (/sparql-graph-crud)."""
        with self.sql() as sql:
            sql.execute('GRANT SPARQL_UPDATE TO "SPARQL"')

    def __enter__(self) -> "VirtuosoServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
