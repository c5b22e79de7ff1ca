"""OpenLink Virtuoso: SQL through its `isql` client, and the bulk load of a build (`ld_dir` + `rdf_loader_run`).

The password never goes on a command line: `isql` is started without one and answers its own
password prompt over a pseudo-terminal, so it does not show in the process list. Each call is one
short `isql` session running one batch of statements from a private file; an error message of the
server fails the call with that message.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import termios
import time
from pathlib import Path

ISQL_NAMES = ("isql-vt", "isql-v")  # Debian's name, then the name of OpenLink's own packages


class VirtuosoError(Exception):
    """isql is missing, could not log in, or the server refused a statement."""


def isql_command() -> str | None:
    for name in ISQL_NAMES:
        exe = shutil.which(name)
        if exe:
            return exe
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
        raise VirtuosoError("no Virtuoso credentials: set ORETRACE_VIRTUOSO_AUTH=USER:PASSWORD (a user with the right "
                            "to run the bulk loader, e.g. dba)")
    user, _, password = text.partition(":")
    if not user:
        raise VirtuosoError("ORETRACE_VIRTUOSO_AUTH has no user name before the ':'")
    return user, password


def sql_string(value: str) -> str:
    """A Virtuoso SQL string literal (quotes doubled; a backslash or control character is refused)."""
    if "\\" in value or any(ord(c) < 32 for c in value):
        raise VirtuosoError(f"{value!r} holds a backslash or a control character, which the loader's SQL cannot carry")
    return "'" + value.replace("'", "''") + "'"


class Isql:
    """`isql` sessions against one server, as one user."""

    def __init__(self, addr: str, user: str, password: str, exe: str | None = None, timeout: float = 24 * 3600):
        self.host, self.port = address(addr)
        self.user, self.password, self.timeout = user, password, timeout
        self.exe = exe or isql_command()
        if self.exe is None:
            raise VirtuosoError("Virtuoso's isql client is not installed (Debian: apt-get install virtuoso-opensource)")

    def run(self, sql: str) -> str:
        """Run the statements (each ending in ';') in one session; their printed output, or VirtuosoError."""
        with tempfile.TemporaryDirectory(prefix="oretrace-isql-") as tmp:
            script = Path(tmp) / "batch.sql"
            script.write_text(sql.rstrip() + "\n", encoding="utf-8")
            os.chmod(script, 0o600)
            out, err = self._session([f"LOAD {script};", "EXIT;"])
        if "*** Error" in err or "*** Error" in out:
            msg = _first_error(err + "\n" + out)
            raise VirtuosoError(f"Virtuoso at {self.host}:{self.port} refused: {msg}")
        return out

    def _session(self, lines: list[str]) -> tuple[str, str]:
        master, slave = pty.openpty()
        cmd = [self.exe, f"{self.host}:{self.port}", self.user, "VERBOSE=OFF", "PROMPT=OFF", "ECHO=OFF"]
        try:
            p = subprocess.Popen(cmd, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                 env={**os.environ, "TERM": "dumb"})
        finally:
            os.close(slave)
        out, err = bytearray(), bytearray()
        streams = {p.stdout.fileno(): out, p.stderr.fileno(): err}
        state = "login"  # -> "sent" once the password is given (once) -> "running" once the batch is typed
        deadline = time.monotonic() + self.timeout
        try:
            while streams:
                if time.monotonic() > deadline:
                    raise VirtuosoError(f"isql did not finish within {self.timeout:.0f} s")
                ready, _, _ = select.select(list(streams), [], [], 0.05)
                for fd in ready:
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        del streams[fd]
                        continue
                    streams[fd].extend(chunk)
                if state != "running" and b"Enter password" in err:
                    if state == "sent" or err.count(b"Enter password") > 1:
                        raise VirtuosoError(f"Virtuoso at {self.host}:{self.port} refused the login of {self.user!r} "
                                            "(check ORETRACE_VIRTUOSO_AUTH)")
                    del err[:]  # the failed default login before the prompt is not an error of the batch
                    _wait_for_no_echo(master, deadline)  # isql flushes what was typed before it reads
                    os.write(master, self.password.encode() + b"\n")
                    state = "sent"
                # logged in: isql's line editor has taken over the terminal (no longer line by line), and
                # what is typed from then on is kept (the password reader throws away what came before it)
                if state != "running" and _line_editing(master):
                    os.write(master, ("\n".join(lines) + "\n").encode())
                    state = "running"
                if p.poll() is not None and not ready:
                    break
            p.wait(30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            os.close(master)
            p.stdout.close()
            p.stderr.close()
        text_out, text_err = out.decode(errors="replace"), err.decode(errors="replace")
        if state != "running":
            raise VirtuosoError(f"cannot reach Virtuoso at {self.host}:{self.port}: "
                                f"{_first_error(text_err + text_out) or 'isql gave no answer'}")
        return text_out, text_err

    def rows(self, select_sql: str, tag: str = "OTROW") -> list[str]:
        """The single-column values of a SELECT whose column starts with the tag (isql prints a table around them)."""
        out = self.run(select_sql)
        return [line[len(tag) + 1:].rstrip("\r") for line in out.splitlines() if line.startswith(tag + " ")]


def _wait_for_no_echo(fd: int, deadline: float) -> None:
    """Until the terminal stops echoing: the password reader has then set it up (and flushed its input)."""
    while termios.tcgetattr(fd)[3] & termios.ECHO:
        if time.monotonic() > deadline:
            raise VirtuosoError("isql asked for a password but never read it")
        time.sleep(0.01)


def _line_editing(fd: int) -> bool:
    return not termios.tcgetattr(fd)[3] & termios.ICANON


def _first_error(text: str) -> str:
    lines = [ln.strip() for ln in text.replace("\r", "").splitlines() if ln.strip()]
    for i, ln in enumerate(lines):
        if ln.startswith("*** Error"):
            return re.sub(r"^\*\*\* Error ", "", ln) + (f" ({lines[i + 1]})" if i + 1 < len(lines) and
                                                       lines[i + 1].startswith("at line") is False else "")
    return lines[-1] if lines else ""


# ------------------------------------------------------------------ the bulk load of a build
def _under(prefix: str) -> str:
    """A SQL test that a quad's graph IRI starts with the prefix."""
    return f"starts_with(id_to_iri(G), {sql_string(prefix)})"


def dataset_graphs(isql: Isql, base: str) -> set[str]:
    """The named graphs on the server whose IRI is under the dataset's base."""
    return set(isql.rows(f"SELECT DISTINCT 'OTROW ' || id_to_iri(G) FROM DB.DBA.RDF_QUAD WHERE {_under(base + '/')};"))


def dataset_quads(isql: Isql, base: str) -> int:
    (n,) = isql.rows(f"SELECT 'OTROW ' || cast(count(*) AS varchar) FROM DB.DBA.RDF_QUAD WHERE {_under(base + '/')};")
    return int(n)


def bulk_load(isql: Isql, files: list[tuple[Path, str]], stage_dir: Path, base: str, log=None) -> None:
    """Replace the dataset's graphs on the server with the given files (path, graph for triples without one).

    The files are hard-linked (or copied) into a folder of `stage_dir`, which must be a path the
    server reads at the same place and lists in its DirsAllowed; the graphs under `base` are
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
    d = sql_string(str(folder))
    try:
        for path, _ in files:
            target = folder / path.name
            try:
                os.link(path, target)
            except OSError:  # another file system, or no hard links there
                shutil.copyfile(path, target)
            os.chmod(target, 0o644)
        # the loader's own record of files read: entries of this folder from a run that was stopped are dropped
        isql.run(f"DELETE FROM DB.DBA.load_list WHERE ll_file LIKE {sql_string(str(folder) + '/%')};")
        say("removing the dataset's graphs from the server")
        isql.run(f"log_enable(3, 1);\nDELETE FROM DB.DBA.RDF_QUAD WHERE {_under(base + '/')};")
        for path, graph in files:
            isql.run(f"ld_dir({d}, {sql_string(path.name)}, {sql_string(graph)});")
        say(f"bulk loading {', '.join(p.name for p, _ in files)}")
        isql.run("rdf_loader_run();")
        failed = isql.rows(f"SELECT 'OTROW ' || ll_file || ': ' || coalesce(ll_error, 'not loaded') FROM DB.DBA.load_list "
                           f"WHERE ll_file LIKE {sql_string(str(folder) + '/%')} AND (ll_state <> 2 OR ll_error IS NOT NULL);")
        if failed:
            raise VirtuosoError("the bulk loader stopped: " + "; ".join(failed))
        say("checkpoint")
        isql.run("checkpoint;")
    finally:
        try:
            isql.run(f"DELETE FROM DB.DBA.load_list WHERE ll_file LIKE {sql_string(str(folder) + '/%')};")
        except VirtuosoError:
            pass
        shutil.rmtree(folder, ignore_errors=True)
