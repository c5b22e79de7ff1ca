"""Shared fixtures: a project copy built once per test session, and ../shared lookup."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ORETRACE_SHARED", ROOT.parent / "shared"))


def shared_path(*parts: str) -> Path:
    """A path in ../shared/external, or skip the test with the reason when it is absent."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        if os.environ.get("ORETRACE_REQUIRE_SHARED"):
            pytest.fail(f"{p} is absent, and CI (ORETRACE_REQUIRE_SHARED) must not skip tests that need ../shared")
        pytest.skip(f"{p} is absent: this test needs ../shared beside the checkout (CI always has it)")
    return p


@pytest.fixture(scope="session")
def settings():
    """Settings of the real checkout, building into a private folder (the user's build/ is not touched)."""
    from oretrace.config import Settings

    return Settings(root=ROOT)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The curated graph built once into a temporary build folder; yields its Settings."""
    from oretrace.build import build
    from oretrace.config import Settings

    build_dir = tmp_path_factory.mktemp("build")
    s = Settings(root=ROOT, build=build_dir)
    build(s, quiet=True)
    return s


@pytest.fixture(scope="session")
def store(built):
    from oretrace.store import open_store

    return open_store(built)


@pytest.fixture(scope="session")
def iris(built):
    from oretrace.vocab import IRIs

    return IRIs(built.base)


@pytest.fixture(scope="session")
def outcome(built, store):
    """`oretrace validate` of the curated build (the SPARQL engine)."""
    from oretrace import validate
    from oretrace.vocab import IRIs

    return validate.run(built, store, IRIs(built.base))


@pytest.fixture()
def project_copy(tmp_path):
    """A throw-away copy of ontology/ and data/ to break on purpose."""
    for d in ("ontology", "data", "shapes", "queries"):
        if (ROOT / d).is_dir():
            shutil.copytree(ROOT / d, tmp_path / d)
    return tmp_path


MINIMAL_DATA = ("sources/iso-3166.yaml", "sources/geonames.yaml", "sources/oretrace-project.yaml",
                "entities/curators.yaml", "entities/reference-publishers.yaml")


@pytest.fixture()
def minimal_project(tmp_path):
    """The ontology with only the reference sources and curators: a small, always-clean project."""
    shutil.copytree(ROOT / "ontology", tmp_path / "ontology")
    shutil.copytree(ROOT / "shapes", tmp_path / "shapes")
    for rel in MINIMAL_DATA:
        (tmp_path / "data" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "data" / rel, tmp_path / "data" / rel)
    return tmp_path


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory):
    """A throwaway Virtuoso server (its own virtuoso.ini and database, free ports on 127.0.0.1), stopped at the end.

    Skips only where Virtuoso is not installed, and fails instead when ORETRACE_REQUIRE_VIRTUOSO is set (CI)."""
    from virtuoso_server import VirtuosoServer, unavailable

    why = unavailable()
    if why:
        if os.environ.get("ORETRACE_REQUIRE_VIRTUOSO"):
            pytest.fail(f"{why}, and CI (ORETRACE_REQUIRE_VIRTUOSO) must not skip the Virtuoso tests")
        pytest.skip(why)
    srv = VirtuosoServer(tmp_path_factory.mktemp("virtuoso")).start()
    try:
        srv.allow_updates_over_http()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def virtuoso_published(built, virtuoso):
    """The session's curated build bulk-loaded into the Virtuoso server (as `oretrace publish --virtuoso-isql` does)."""
    from oretrace import publish

    publish.publish_virtuoso(built, virtuoso.isql_address, virtuoso.load_dir, virtuoso.auth)
    return virtuoso
