"""Reproducible load runs for partywidget: ``python -m benchmarks.run``.

See ``benchmarks/README.md`` for what is measured and ``docs/performance.md``
for the figures and what they led to.
"""
