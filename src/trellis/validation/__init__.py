"""Code validation (P4): trace requirements to the code of a repository and score the result (seed 000).

The engine (indexing, symbols, text, tracing, evidence, scoring, engine, report) is pure and offline; the service,
router and job store and serve its results for a project.
"""
