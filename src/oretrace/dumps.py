"""The dumps of a release, each written once.

`dataset.nq` holds every quad of the store. It starts with what the bulk loader read (each import
file and the superclass types concluded as it streamed, hashed while it was read and copied here
by the kernel), then the curated quads, the index, the report and any reconciled quads, sorted,
then the rules' conclusions. That is exactly the store unless the data stated a type that was
also concluded, or repeated a subject's types apart (the store merges what the stream repeats):
the load stage finds out by counting the inferred graph, and the inferred graph is then written
from the store instead. TriG, Turtle (the default graph: the distinct triples of all graphs) and
JSON-LD are written, sorted, from dataset.nq when the store has at most `full_max` quads, and
left out above that.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pyoxigraph as ox

from . import media, rules
from .store import sha256_file  # noqa: F401 - the one hash of a file; describe and importers use it here too

CHUNK = 1 << 22


def record(path: Path, media_type: str, sha: str | None = None) -> dict:
    """A dump as the manifest and the VoID description list it."""
    return {"sha256": sha or sha256_file(path), "bytes": path.stat().st_size, "media_type": media_type}


def sorted_quads(quads) -> list[ox.Quad]:
    """The quads, each once, in the order dataset.nq lists them (graph, subject, predicate, object)."""
    return sorted(set(quads), key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)))


class ImportReader:
    """An import file as Oxigraph's bulk loader reads it, followed by the superclass conclusions of
    its types (rules.TypeClosure, spooled to `spool`); hashes the file, counts its lines and the
    bytes read on the way, and hashes what the loader reads with `copy_sha` (the start of
    dataset.nq, which `parts` then lists: the file, a line end if it had none, the spool)."""

    def __init__(self, path: Path, closure: rules.TypeClosure, spool: Path, copy_sha):
        self.path, self.closure, self.spool, self.copy_sha = path, closure, spool, copy_sha
        self.f = open(path, "rb")
        self.out = open(spool, "wb")
        closure.start(self.out)
        self.sha, self.lines, self.bytes = hashlib.sha256(), 0, 0
        self.buf, self.pos, self.last, self.conclusions = b"", 0, b"\n", None

    def read(self, n: int = -1) -> bytes:
        if self.pos >= len(self.buf):
            self.buf, self.pos = self._next(), 0
            self.copy_sha.update(self.buf)
        end = len(self.buf) if n is None or n < 0 else self.pos + n
        b = self.buf[self.pos:end]
        self.pos += len(b)
        self.bytes += len(b)
        return b

    def _next(self) -> bytes:
        if self.conclusions is None:
            chunk = self.f.read(CHUNK)
            if chunk:
                self.sha.update(chunk)
                self.lines += chunk.count(b"\n")
                self.closure.feed(chunk)
                self.last = chunk[-1:]
                return chunk
            self.closure.finish()
            self.out.close()
            self.conclusions = open(self.spool, "rb")
            if self.last != b"\n":
                self.lines += 1
                return b"\n"
        return self.conclusions.read(CHUNK)

    @property
    def parts(self) -> list:
        """What the loader read, as files and bytes: the start of dataset.nq."""
        return [self.path] + ([b"\n"] if self.last != b"\n" else []) + [self.spool]

    def close(self) -> None:
        for f in (self.f, self.out, self.conclusions):
            if f is not None:
                f.close()



#SPLIT

def _append(paths: list[Path], w, sha) -> None:
    """Append the files, one after the other, to the binary file `w`, updating the hash `sha`."""
    for p in paths:
        with open(p, "rb") as r:
            for chunk in iter(lambda: r.read(CHUNK), b""):
                sha.update(chunk)
                w.write(chunk)


def _splice(parts: list, w) -> None:
    """Append files and bytes, in order, to the unbuffered binary file `w`; the files are copied
    by the kernel (copy_file_range) where it can."""
    for part in parts:
        if isinstance(part, bytes):
            w.write(part)
            continue
        with open(part, "rb") as r:
            size, done = os.fstat(r.fileno()).st_size, 0
            try:
                while done < size:
                    n = os.copy_file_range(r.fileno(), w.fileno(), size - done)
                    if not n:
                        break
                    done += n
            except (AttributeError, OSError):  # no copy_file_range here, or not between these files
                pass
            r.seek(done)
            shutil.copyfileobj(r, w, CHUNK)


def _graph_as_nquads(st: ox.Store, graph: ox.NamedNode, out: Path) -> None:
    """Write one graph of the store as N-Quads (Oxigraph writes it as N-Triples; the graph is added to each line)."""
    nt = out.with_suffix(".nt")
    st.dump(str(nt), ox.RdfFormat.N_TRIPLES, from_graph=graph)
    with open(out, "wb") as w:
        rules.append_as_nquads(nt, w, graph.value)
    nt.unlink()


def write_tail(staging: Path, quads: list[ox.Quad]) -> Path:
    """The part of dataset.nq the build made in Python, sorted, in a file of its own."""
    tail = staging / ".curated.nq"
    ox.serialize(sorted_quads(quads), str(tail), format=ox.RdfFormat.N_QUADS)
    return tail


def write_dataset(staging: Path, st: ox.Store, readers: list[ImportReader], head_sha, tail: Path,
                  rules_nq: Path, exact: bool, inferred_graph: ox.NamedNode) -> dict:
    """Write dataset.nq (see the module's docstring): `readers` are the import files as the loader
    read them and `head_sha` the hash of what they gave it; `tail` (write_tail) the quads the
    build made in Python, less those the stream already gave (`exact`) or outside the inferred
    graph (not `exact`); `rules_nq` the rules' conclusions. Return the dump's record."""
    path = staging / "dataset.nq"
    if exact:
        with open(path, "wb", buffering=0) as w:
            _splice([part for r in readers for part in r.parts], w)
            _append([tail, rules_nq], w, head_sha)
        sha = head_sha.hexdigest()
    else:
        inferred = staging / ".inferred.nq"
        _graph_as_nquads(st, inferred_graph, inferred)
        sha = hashlib.sha256()
        with open(path, "wb") as w:
            for r in readers:
                _append([r.path], w, sha)
                if r.last != b"\n":
                    sha.update(b"\n")
                    w.write(b"\n")
            _append([tail, inferred], w, sha)
        sha = sha.hexdigest()
        inferred.unlink()
    tail.unlink()
    return record(path, media.DUMPS["dataset.nq"].media_type, sha)


def write_full(staging: Path, quads: int, full_max: int) -> tuple[dict, dict]:
    """TriG, Turtle and JSON-LD, sorted, from dataset.nq (which holds the store) when the store
    has at most `full_max` quads: (records of the dumps written, why each other one was left out)."""
    dumps, left_out = {}, {}
    full = {name: fmt for name, fmt in media.DUMPS.items() if name != "dataset.nq"}
    if quads > full_max:
        why = f"the graph has {quads:,} quads, above the {full_max:,} for which this dump is written; use dataset.nq"
        return dumps, {name: why for name in full}
    dataset = sorted_quads(ox.parse(path=str(staging / "dataset.nq"), format=ox.RdfFormat.N_QUADS))
    default_view = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in dataset}, key=str)
    for name, fmt in full.items():
        path = staging / name
        ox.serialize(dataset if fmt.supports_datasets else default_view, str(path), format=fmt,
                     prefixes=media.prefixes_for(fmt))
        dumps[name] = record(path, fmt.media_type)
    return dumps, left_out
