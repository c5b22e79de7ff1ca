"""`oretrace publish` into a real, writable Oxigraph server that the tests start and stop, and
`oretrace query --endpoint` against it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from collections import Counter

import pyoxigraph as ox
import pytest

from oretrace import cli, publish, query
from oretrace.vocab import IRIs

pytestmark = pytest.mark.server


@pytest.fixture()
def oxigraph(tmp_path):
    """A writable `oxigraph serve` on a free loopback port; yields its root URL."""
    exe = shutil.which("oxigraph")
    if exe is None:
        pytest.fail("the oxigraph command is missing (pip install oxigraph)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen([exe, "serve", "--location", str(tmp_path / "remote"), "--bind", f"127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert p.poll() is None, p.stderr.read().decode()
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        p.terminate()
        p.wait(10)


def remote_dataset(root: str) -> list[ox.Quad]:
    req = urllib.request.Request(root + "/store", headers={"Accept": "application/n-quads"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return list(ox.parse(r.read(), format=ox.RdfFormat.N_QUADS))


def local_dataset(store) -> list[ox.Quad]:
    return list(store.quads_for_pattern(None, None, None))


def summary(quads):
    """Ground quads as a set, and how many quads each graph holds (blank nodes get new labels on a store)."""
    def ground(q):
        return not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object))
    return {q for q in quads if ground(q)}, Counter(str(q.graph_name) for q in quads)


def test_publish_copies_every_named_graph(built, store, oxigraph):
    r = publish.publish(built, oxigraph + "/store", oxigraph + "/query")
    local = local_dataset(store)
    assert r.graphs == len({q.graph_name for q in local}) and r.triples == len(local)
    assert summary(remote_dataset(oxigraph)) == summary(local)


def test_publish_twice_leaves_the_same_content_and_drops_stale_graphs(built, store, oxigraph):
    iris = IRIs(built.base)
    publish.publish(built, oxigraph + "/store", oxigraph + "/query")
    first = summary(remote_dataset(oxigraph))
    stale = iris.statement("gone/removed-in-a-later-build")
    foreign = "http://example.org/another-dataset"
    for g in (stale, foreign):
        req = urllib.request.Request(publish.graph_url(oxigraph + "/store", g), method="PUT",
                                     data=b"<urn:a> <urn:b> <urn:c> .\n", headers={"Content-Type": "application/n-triples"})
        urllib.request.urlopen(req, timeout=30).read()
    r = publish.publish(built, oxigraph + "/store", oxigraph + "/query")
    assert r.removed == [stale]
    after = remote_dataset(oxigraph)
    ground, counts = summary([q for q in after if q.graph_name.value != foreign])
    assert (ground, counts) == first
    assert any(q.graph_name.value == foreign for q in after)


def test_query_endpoint_option_runs_catalogue_queries_remotely(built, store, oxigraph, capsys):
    publish.publish(built, oxigraph + "/store")
    text = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY DESC(?n) ?g LIMIT 5"
    code = cli.main(["--root", str(built.root), "--build", str(built.build_dir), "query", "--endpoint", oxigraph + "/query", "-f", "csv", text])
    remote_out = capsys.readouterr().out
    assert code == 0
    local = query.format_result(query.run_store(store, text), "csv")
    assert remote_out.strip() == local.strip() and len(remote_out.strip().splitlines()) == 6


def test_publish_command_reports_an_unreachable_store(built, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = cli.main(["--root", str(built.root), "--build", str(built.build_dir), "publish", "--store", f"http://127.0.0.1:{port}/store"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot reach" in err


def test_publish_command(built, oxigraph, capsys):
    code = cli.main(["--root", str(built.root), "--build", str(built.build_dir), "publish", "--store", oxigraph + "/store", "--endpoint", oxigraph + "/query"])
    out = capsys.readouterr().out
    assert code == 0 and out.startswith("published ") and "removed 0 graphs" in out
