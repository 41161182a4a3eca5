"""affsite's benchmarks: one script per subject (``bench/bench_*.py``), each printing one
markdown section, and ``python -m bench`` (``bench/__main__.py``), which runs them all and
writes ``docs/benchmarks.md``. Modules whose names start with ``_`` hold what several scripts
share: starting servers and driving load (``_serving``), a gateway over HTTP (``_gateway``),
the machine's description (``_machine``) and the shipped nginx site (``_nginx``).
"""

__all__: list[str] = []
