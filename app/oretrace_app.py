"""The oretrace app: `oretrace app` (or `streamlit run app/oretrace_app.py`) starts it.

Pages: overview, supply chain, entity pages, findings, balance, royalty, sources and SPARQL; every page and
entity has a shareable URL made of its path and query parameters.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import streamlit as st  # noqa: E402

from views import balance, chain, diligence, entity, findings, overview, royalty, sources, sparql, trace  # noqa: E402

st.set_page_config(page_title="oretrace", page_icon="⛏", layout="wide")

PAGES = [
    st.Page(overview.render, title="Overview", url_path="overview", default=True),
    st.Page(chain.render, title="Supply chain", url_path="chain"),
    st.Page(entity.render, title="Entity", url_path="entity"),
    st.Page(trace.render, title="Trace", url_path="trace"),
    st.Page(diligence.render, title="Due diligence", url_path="diligence"),
    st.Page(findings.render, title="Findings", url_path="findings"),
    st.Page(balance.render, title="Balance", url_path="balance"),
    st.Page(royalty.render, title="Royalty", url_path="royalty"),
    st.Page(sources.render, title="Sources", url_path="sources"),
    st.Page(sparql.render, title="SPARQL", url_path="sparql"),
]
st.navigation(PAGES).run()
