"""OpenLink Virtuoso: SQL on its SQL port (the one `isql` uses, 1111 by default), and the bulk load of a
build (`ld_dir` + `rdf_loader_run`).

The connection is made in this process through Virtuoso's own ODBC driver (pyodbc on unixODBC), so
the password is handed over in memory: it is never on a command line (Virtuoso's `isql` client takes
it as an argument, which every local user can read from the process list).
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
from pathlib import Path

DRIVER_ENV = "ORETRACE_VIRTUOSO_ODBC_DRIVER"
DRIVER_GLOBS = ("/usr/lib/*/odbc/virtodbc_r.so", "/usr/lib/odbc/virtodbc_r.so", "/usr/lib64/odbc/virtodbc_r.so",
                "/usr/local/lib/virtodbc_r.so", "/usr/local/virtuoso-opensource/lib/virtodbc_r.so",
                "/opt/virtuoso*/lib/virtodbc_r.so")
INSTALL = ("Debian: apt-get install unixodbc libvirtodbc0, then pip install pyodbc; or set "
           f"{DRIVER_ENV} to the path of virtodbc_r.so")


class VirtuosoError(Exception):
    """No driver, no connection, a refused login, or a statement the server refused."""


def driver() -> str | None:
    """Virtuoso's ODBC driver (the thread-safe build), from $ORETRACE_VIRTUOSO_ODBC_DRIVER or where packages put it."""
    if os.environ.get(DRIVER_ENV):
        return os.environ[DRIVER_ENV]
    for pattern in DRIVER_GLOBS:
        found = sorted(glob.glob(pattern))
        if found:
            return found[0]
    return None


def missing() -> str | None:
    """What is missing to talk to Virtuoso from here, or None."""
    try:
        import pyodbc  # noqa: F401
    except ImportError as e:
        return f"pyodbc cannot be loaded ({e}); {INSTALL}"
    d = driver()
    if d is None or not Path(d).is_file():
        return f"Virtuoso's ODBC driver (virtodbc_r.so) is not installed{f' at {d}' if d else ''}; {INSTALL}"
    return None


def address(text: str) -> tuple[str, int]:
    """(host, port) from 'PORT' or 'HOST:PORT' (Virtuoso's SQL port, 1111 by default)."""
    host, _, port = text.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise VirtuosoError(f"{text!r} is not a Virtuoso SQL address (write PORT or HOST:PORT, e.g. 127.0.0.1:1111)")
    return host or "127.0.0.1", int(port)


def credentials(text: str | None) -> tuple[str, str]:
    """(user, password) from 'USER:PASSWORD'."""
    if not text or ":" not in text:
        raise VirtuosoError("no Virtuoso credentials: set ORETRACE_VIRTUOSO_AUTH=USER:PASSWORD (a user allowed to run "
                            "the bulk loader, e.g. dba)")
    user, _, password = text.partition(":")
    if not user:
        raise VirtuosoError("ORETRACE_VIRTUOSO_AUTH has no user name before the ':'")
    return user, password


def _odbc_value(v: str) -> str:
    if any(c in v for c in ";{}"):
        return "{" + v.replace("}", "}}") + "}"
    return v


class Sql:
    """One SQL session (autocommit) with a Virtuoso server; a context manager."""

    def __init__(self, addr: str, user: str, password: str, timeout: int = 30):
        why = missing()
        if why:
            raise VirtuosoError(why)
        import pyodbc

        self.host, self.port = address(addr)
        self._error = pyodbc.Error
        conn = (f"DRIVER={driver()};HOST={self.host}:{self.port};UID={_odbc_value(user)};PWD={_odbc_value(password)}")
        try:
            self.conn = pyodbc.connect(conn, autocommit=True, timeout=timeout)
        except pyodbc.Error as e:
            text = _message(e)
            if "login" in text.lower():
                raise VirtuosoError(f"Virtuoso at {self.host}:{self.port} refused the login of {user!r} "
                                    "(check ORETRACE_VIRTUOSO_AUTH)") from None
            raise VirtuosoError(f"cannot reach Virtuoso at {self.host}:{self.port}: {text}") from None
        for kind in (pyodbc.SQL_CHAR, pyodbc.SQL_WCHAR):
            self.conn.setdecoding(kind, encoding="utf-8")
        self.conn.setencoding(encoding="utf-8")

    def execute(self, statement: str, *params) -> list[tuple]:
        """Run one statement; its rows (none for a statement that is not a query), or VirtuosoError."""
        cur = self.conn.cursor()
        try:
            cur.execute(statement, *params)
            return [tuple(r) for r in cur.fetchall()] if cur.description else []
        except self._error as e:
            what = " ".join(statement.split())
            raise VirtuosoError(f"Virtuoso at {self.host}:{self.port} refused {what[:70] + ('...' if len(what) > 70 else '')!r}: "
                                f"{_message(e)}") from None
        finally:
            cur.close()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Sql":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _message(e: Exception) -> str:
    """The server's own words from a pyodbc error ('[42000] [OpenLink][...][Virtuoso Server]FA003: ...')."""
    text = str(e.args[1] if len(e.args) > 1 else e)
    text = text.rsplit("]", 1)[-1] if "[Virtuoso Server]" in text else text
    return text.replace(" (-1) (SQLExecDirectW)", "").replace(" (-1) (SQLDriverConnect)", "").strip()


# ------------------------------------------------------------------ the bulk load of a build
UNDER = "starts_with(id_to_iri(G), ?)"  # a quad's graph IRI starts with the parameter


def dataset_graphs(sql: Sql, base: str) -> set[str]:
    """The named graphs on the server whose IRI is under the dataset's base."""
    return {r[0] for r in sql.execute(f"SELECT DISTINCT id_to_iri(G) FROM DB.DBA.RDF_QUAD WHERE {UNDER}", base + "/")}


def dataset_quads(sql: Sql, base: str) -> int:
    return int(sql.execute(f"SELECT count(*) FROM DB.DBA.RDF_QUAD WHERE {UNDER}", base + "/")[0][0])


def bulk_load(sql: Sql, files: list[tuple[Path, str]], stage_dir: Path, base: str, log=None) -> None:
    """Replace the dataset's graphs on the server with the given files (path, graph for triples without one).

    The files are hard-linked (or copied) into a new folder in `stage_dir`, which must be a path
    that the server reads at the same place and lists in DirsAllowed; the graphs under `base` are
    deleted, the loader reads the files (`ld_dir` + `rdf_loader_run`), and a checkpoint makes the
    result durable. Graphs of other datasets are not touched.
    """
    def say(msg):
        if log:
            log(msg)

    stage_dir = Path(stage_dir).resolve()
    if not stage_dir.is_dir():
        raise VirtuosoError(f"{stage_dir} is not a folder (give one that the Virtuoso server may read: "
                            "it must be listed in DirsAllowed of its virtuoso.ini)")
    folder = Path(tempfile.mkdtemp(prefix="oretrace-load-", dir=stage_dir))
    os.chmod(folder, 0o755)
    mine = str(folder) + "/%"
    try:
        for path, _ in files:
            target = folder / path.name
            try:
                os.link(path, target)
            except OSError:  # another file system, or no hard links there
                shutil.copyfile(path, target)
        say("removing the dataset's graphs from the server")
        sql.execute("log_enable(3, 1)")  # row by row, without the transaction log: a large delete stays cheap
        sql.execute(f"DELETE FROM DB.DBA.RDF_QUAD WHERE {UNDER}", base + "/")
        for path, graph in files:
            sql.execute("ld_dir(?, ?, ?)", str(folder), path.name, graph)
        say(f"bulk loading {', '.join(p.name for p, _ in files)}")
        sql.execute("rdf_loader_run()")
        failed = sql.execute("SELECT ll_file, ll_error FROM DB.DBA.load_list WHERE ll_file LIKE ? "
                             "AND (ll_state <> 2 OR ll_error IS NOT NULL)", mine)
        if failed:
            raise VirtuosoError("the bulk loader stopped: " + "; ".join(f"{f}: {e or 'not loaded'}" for f, e in failed))
        say("checkpoint")
        sql.execute("checkpoint")
    finally:
        try:  # the loader's record of the files read goes with the folder
            sql.execute("DELETE FROM DB.DBA.load_list WHERE ll_file LIKE ?", mine)
        except VirtuosoError:
            pass
        shutil.rmtree(folder, ignore_errors=True)
