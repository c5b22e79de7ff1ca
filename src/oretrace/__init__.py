"""oretrace: an open knowledge graph of critical-mineral supply chains.

Every module, in the order the data flows through them (tests/test_docs.py keeps this list whole):

Shared by all
    config          where things are (project folder, build folder) and the IRI base
    vocab           namespaces and the IRI policy ({base}/id/{kind}/{slug}, {base}/graph/{name})
    errors          InputError, the one error base class; cli.run maps it to exit codes
    progress        the one progress reporter (numbered steps, rates, time left) on stderr
    crash           named points where tests kill the process, to prove crash consistency
    units           the units curated files may use, as QUDT units
    reference       shipped references identifiers are checked against (ISO 3166, GeoNames, HS)
    ontology        the OWL ontology as the schema of the curated data; class closures

Data in
    curated/        read and check data/ (every problem at once, file:line)
      yamlio          YAML text -> values with line numbers (YAML 1.2, hard limits)
      files           which files of data/ are curated input
      format          the curated format, declared once (format.yaml): its types, records, checks, the app's forms
      valuetypes      the format's value types: parse (or say how to fix) and JSON Schema
      artefacts       the JSON Schemas and README tables made from `format`
      reader          files -> statements and nodes
      values          field values against the ontology (quantities, references, code lists)
      checks          checks across files (references, citations, flows, deprecations)
      labels          statements made from ISO 3166 / GeoNames; observation labels
      model           the data classes the rest of the path reads (Statement, Node, Source)
    importers/      open data -> N-Quads with provenance per row (`oretrace import`)
      reading         the strict reader of import input (encodings, quotes, numbers, JSON)
      common          the provenance of each row, batched N-Quads output
      nt              N-Quads text written term by term
      countries       country names in statistics -> ISO 3166, never guessed
      hs              Harmonized System codes and the materials they stand for
      trade, usgs, minmod, rmi   one importer per kind of file
      synthetic       seeded synthetic trade statistics for tests and benchmarks
    extract/        proposed statements read from a report, for review (`oretrace extract`)
      document        PDF, HTML, Markdown and text read into pages
      structure       each page's layout: headings, paragraphs, captions, footnotes, tables
      numbers         numbers as printed: notations, number words, fractions
      wordlists       the extractor's word lists (words/*.tsv: measures, measure words, name cues), checked
      lexicon         printed units and measure words -> the project's units, measures, classes
      registry        what the project knows: entities, sources, countries, regions, elements
      mentions        entity mentions linked by label, other spellings or fuzzy match
      citations       in-text citations matched to curated sources
      figures         figures in prose: value, unit, qualifier, range, period, measure, subject
      periods         the years and periods of a text, and the one a figure is of
      flows           the flow a trade figure is about: its kind and its ends, curated or proposed
      tables          statistical tables of labels against years or countries
      relations       ownership, trade and location relations from common phrasings
      model           what the extractor finds, before it becomes YAML
      pipeline        one document in, proposals out
      output          data/proposals/ID.yaml, written atomically
      yamlout         the small fast YAML writer of proposals
    proposals/      review of proposed statements (`oretrace proposals`), contributions from the app
      model           the items of a proposals file and their status; ProposalError
      files           a proposals file read and checked; items chosen; the passage; lock, atomic write
      yamlrt          the YAML written back: plain data, round-trip nodes in the curated layout
      accept          accepting (what the chosen need, merged, checked on a copy) and rejecting
      contribute      contributions and reviewers' edits, checked before they are saved
      command         `oretrace proposals list|show|accept|reject`

Becomes RDF, is classified and checked (the stages of build.STAGES)
    rdf             statements -> quads: one named graph per statement, provenance beside it
    reason          HermiT classifies the curated graph
    rules           SPARQL rules classify what HermiT is not given (imports, statement metadata)
    index           lookup tables for the catalogue ({base}/graph/index)
    validate        SHACL report grouped by rule, with the curated file:line to change
    shacl/          the SHACL engines behind validate
      model           terms, paths and results both engines share
      plan            focus nodes and the form of the constraint queries (spec section 2)
      sparql          the set-at-a-time engine over Oxigraph (spec section 3)
      core            core constraint components (spec section 4)
      sparql_based    SPARQL-based constraints (spec section 5)
      pyshacl_engine  pySHACL, the reference engine
      codes           the generated code-list shapes (shapes/integrity-codes.ttl)
    reconcile/      reconciled material balances, an optional build stage
      data            the graph's figures, flows, places and royalties, read by catalogue queries
      assumptions     default uncertainties and content assumptions (assumptions.yaml), overridable
      uncertainty     a figure's standard uncertainty from its confidence, flags, rounding and range
      balance         balance networks per element or material and year; findings from the tests
      solver          weighted least squares under the balances: estimates, errors, tests
      reduction       unmeasured quantities eliminated (on the network's graph, or by SVD)
      factor          the SPD solves and the variances (dense, sparse LU, selected inverse)
      content         element content and royalty ranges with every input named
      mirror          exporter's against importer's declarations, with a CIF/FOB allowance
      rdf             reconciled observations as RDF, each derived from its inputs
      run             one reconciliation run; the build stage reconcile_quads
      parts           the parts of a run, named without importing numpy and scipy
      command         `oretrace reconcile`
    store           the embedded store, the releases in build/ and their one writer
    dumps           dataset.nq, TriG, Turtle, JSON-LD, each written once
    describe        counts, VoID and DCAT description, manifest.json
    build           the declared list of stages, run in order (`oretrace build`)
    iris            the released IRIs (data/released-iris.txt) kept resolvable

Read and served
    media           media types and content negotiation, in one table
    sparqltext      SPARQL text: tokenizer, read-only policy, terms, IRI short names
    backend         run(text, timeout, cap) on the embedded store or any SPARQL 1.1 endpoint
    query           the named-query catalogue (queries/*.rq), parameters, result formatting
    figures         a figure in plain words, the one formatting every page uses
    trace           a material followed hop by hop along the chain
    cite            a statement or source as text, BibTeX and CSL-JSON
    httpfront       the gateway's HTTP side: body caps, timeouts, busy versus too long
    linkeddata      what an entity, statement or graph IRI dereferences to
    serve           the SPARQL endpoint and linked-data pages (`oretrace serve`)
    publish         the build copied into any SPARQL store (`oretrace publish`)
    virtuoso        OpenLink Virtuoso: SQL on its port and the bulk load of a build
    appdata         rows -> page data for the Streamlit app (app/)
    chartdata       rows -> the supply-chain pictures: Sankey stage columns, product links, map points
    app_launcher    starts the Streamlit app (`oretrace app`)

Command line
    cli             `oretrace` and its own commands; errors become exit codes here
    commands        the sub-commands other modules contribute
    bench           `oretrace bench` (the harness is bench/harness.py; `--stores`: Oxigraph beside Virtuoso, bench/stores.py)
    __main__        `python -m oretrace`
"""

__version__ = "0.1.0"
