"""oretrace: an open knowledge graph of critical-mineral supply chains.

Data path, one module per stage:
    curated   read and check the curated YAML files      (data/ -> Statement objects)
    rdf       turn statements into quads                  (Statement -> named graphs)
    reason    classify with HermiT                        (quads -> inferred-type graph)
    store     the embedded pyoxigraph store and releases  (quads -> build/current)
    build     run the stages above, write dumps and the manifest
    query     run SPARQL against a store or any endpoint
"""

__version__ = "0.1.0"
