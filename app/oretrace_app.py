"""The oretrace app: `oretrace app` (or `streamlit run app/oretrace_app.py`) starts it.

Pages: overview, supply chain, entity pages, findings, sources and SPARQL; every page and
entity has a shareable URL made of its path and query parameters.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import streamlit as st  # noqa: E402

from views import chain, contribute, entity, findings, overview, review, sources, sparql  # noqa: E402

st.set_page_config(page_title="oretrace", page_icon="⛏", layout="wide")

PAGES = [
    st.Page(overview.render, title="Overview", url_path="overview", default=True),
    st.Page(chain.render, title="Supply chain", url_path="chain"),
    st.Page(entity.render, title="Entity", url_path="entity"),
    st.Page(findings.render, title="Findings", url_path="findings"),
    st.Page(sources.render, title="Sources", url_path="sources"),
    st.Page(sparql.render, title="SPARQL", url_path="sparql"),
    st.Page(review.render, title="Review", url_path="review"), st.Page(contribute.render, title="Contribute", url_path="contribute"),
]
st.navigation(PAGES).run()
