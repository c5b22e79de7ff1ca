"""`oretrace publish` into a real Virtuoso server: with its bulk loader (ld_dir + rdf_loader_run) through the
SQL port, and over the Graph Store Protocol; twice in a row, with a stale and a foreign graph on the server."""

from __future__ import annotations

import subprocess
import urllib.request
from collections import Counter

import pyoxigraph as ox
import pytest

from oretrace import cli, publish, query
from oretrace.virtuoso import dataset_quads
from oretrace.vocab import IRIs

from sparql_compare import term

pytestmark = pytest.mark.server


def dataset(srv, base: str):
    """The server's quads under the dataset's base: ground quads as comparable values, and quads per graph."""
    res = query.run_endpoint(srv.sparql, f'SELECT ?g ?s ?p ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} '
                                         f'FILTER(STRSTARTS(STR(?g), "{base}/")) }}', timeout=120)
    return summary([ox.Quad(s, p, o, g) for g, s, p, o in res.rows])


def summary(quads):
    ground = {tuple(term(t) for t in (q.subject, q.predicate, q.object, q.graph_name)) for q in quads
              if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)}
    return ground, Counter(q.graph_name.value for q in quads)


def put(srv, graph: str, body: bytes = b"<urn:a> <urn:b> <urn:c> .\n"):
    req = urllib.request.Request(publish.graph_url(srv.gsp, graph), method="PUT", data=body,
                                 headers={"Content-Type": "text/turtle"})
    urllib.request.urlopen(req, timeout=30).read()


def drop(srv, graph: str):
    urllib.request.urlopen(urllib.request.Request(publish.graph_url(srv.gsp, graph), method="DELETE"), timeout=30).read()


def test_bulk_load_gives_the_build_and_twice_gives_the_same_store(built, store, virtuoso):
    iris = IRIs(built.base)
    r = publish.publish_virtuoso(built, virtuoso.isql_address, virtuoso.load_dir, virtuoso.auth)
    local = summary(list(store))
    first = dataset(virtuoso, built.base)
    assert first == local and r.triples == len(store) == sum(first[1].values())
    assert r.graphs == len(first[1]) and r.removed == []
    # an earlier build's graph (under the base) and another dataset's graph
    stale, foreign = iris.statement("gone/removed-in-a-later-build"), "http://example.org/another-dataset"
    put(virtuoso, stale)
    put(virtuoso, foreign)
    try:
        r2 = publish.publish_virtuoso(built, virtuoso.isql_address, virtuoso.load_dir, virtuoso.auth)
        assert r2.removed == [stale]
        assert dataset(virtuoso, built.base) == first
        kept = query.run_endpoint(virtuoso.sparql, f"ASK {{ GRAPH <{foreign}> {{ <urn:a> <urn:b> <urn:c> }} }}")
        assert kept.boolean is True
    finally:
        drop(virtuoso, foreign)
    assert not list(virtuoso.load_dir.iterdir()), "the staged dumps are removed after the load"
    with virtuoso.sql() as sql:
        assert not sql.execute("SELECT ll_file FROM DB.DBA.load_list WHERE ll_file LIKE ?", str(virtuoso.load_dir) + "/%")


def test_graph_store_protocol_into_virtuoso_gives_the_same_store(built, store, virtuoso):
    try:
        publish.publish(built, virtuoso.gsp, virtuoso.sparql)
        assert dataset(virtuoso, built.base) == summary(list(store))
    finally:  # the other tests read the bulk-loaded store
        publish.publish_virtuoso(built, virtuoso.isql_address, virtuoso.load_dir, virtuoso.auth)


def test_publish_command_takes_the_password_from_the_environment_only(built, virtuoso, monkeypatch, capsys):
    """The password goes to the server over the driver, never on a command line (a child's or ours)."""
    started = []
    real = subprocess.Popen

    def spy(*a, **k):
        started.append(a[0] if a else k.get("args"))
        return real(*a, **k)

    monkeypatch.setattr(subprocess, "Popen", spy)
    monkeypatch.setenv("ORETRACE_VIRTUOSO_AUTH", virtuoso.auth)
    code = cli.main(["--root", str(built.root), "--build", str(built.build_dir), "publish",
                     "--virtuoso-isql", virtuoso.isql_address, "--virtuoso-dir", str(virtuoso.load_dir)])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("published ") and "removed 0 graphs" in out
    assert "bulk loading dataset.nq, void.ttl" in err
    assert virtuoso.password not in out + err
    assert all(virtuoso.password not in " ".join(map(str, cmd)) for cmd in started)


@pytest.mark.parametrize("auth,folder,message", [
    ("wrong", None, "refused the login of 'dba'"),
    (None, None, "no Virtuoso credentials: set ORETRACE_VIRTUOSO_AUTH"),
    ("right", "missing", "is not a folder"),
])
def test_publish_command_reports_what_is_wrong(built, virtuoso, monkeypatch, capsys, auth, folder, message):
    if auth:
        monkeypatch.setenv("ORETRACE_VIRTUOSO_AUTH", virtuoso.auth if auth == "right" else "dba:not-the-password")
    else:
        monkeypatch.delenv("ORETRACE_VIRTUOSO_AUTH", raising=False)
    where = virtuoso.load_dir / folder if folder else virtuoso.load_dir
    code = cli.main(["--root", str(built.root), "--build", str(built.build_dir), "publish",
                     "--virtuoso-isql", virtuoso.isql_address, "--virtuoso-dir", str(where)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert "part of this build" not in err, "nothing was changed on the server"


def test_publish_command_needs_a_folder_and_an_address(built, monkeypatch, capsys):
    argv = ["--root", str(built.root), "--build", str(built.build_dir), "publish"]
    assert cli.main(argv + ["--virtuoso-isql", "127.0.0.1:1111"]) == 2
    assert "needs --virtuoso-dir" in capsys.readouterr().err
    monkeypatch.setenv("ORETRACE_VIRTUOSO_AUTH", "dba:x")
    assert cli.main(argv + ["--virtuoso-isql", "not-a-port", "--virtuoso-dir", "/tmp"]) == 2
    assert "is not a Virtuoso SQL address" in capsys.readouterr().err


def test_a_changed_dump_is_refused_before_the_server_is_touched(built, virtuoso, tmp_path):
    """The loader reads the dump, not the store: a dump that no longer matches the manifest is not loaded."""
    import shutil

    from oretrace.config import Settings
    from oretrace.store import current_release

    copy = tmp_path / "build"
    shutil.copytree(built.build_dir, copy, symlinks=True)
    s = Settings(root=built.root, build=copy)
    assert current_release(s).is_relative_to(copy)  # the session's own build stays untouched
    with open(current_release(s) / "dataset.nq", "ab") as f:
        f.write(b"<urn:x> <urn:y> <urn:z> <urn:g> .\n")
    with pytest.raises(publish.PublishError, match="does not match the SHA-256") as e:
        publish.publish_virtuoso(s, virtuoso.isql_address, virtuoso.load_dir, virtuoso.auth)
    assert not e.value.partial
    with virtuoso.sql() as sql:
        assert dataset_quads(sql, built.base) == len(ox.Store.read_only(str(current_release(s) / "store")))
