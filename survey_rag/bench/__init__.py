"""``survey-rag bench``: load, ingest, retrieval, answer speed and memory of the configured models.

One module per job: ``plan`` (how much a full and a quick run measure), ``machine`` (the machine,
and each stage's time and peak memory), ``bandwidth`` (copy bandwidth and the generation bound),
``model_load``, ``ingest_run`` (cold, unchanged and one-changed ingests), ``retrieval`` (query
embedding and search times), ``synthetic`` (a large synthetic index), ``questions`` (the dev set),
``answers`` (answering through the pipeline, with llama.cpp's counters), ``result`` (the typed
``BenchResult`` and its JSON), ``table`` (the printed table with the issue's targets), ``run``
(``run_bench``) and ``command``. ``--quick`` measures a subset (one small document ingested cold,
three questions answered, a 10,000-passage synthetic index, fewer repetitions) in about two minutes
on two cores; targets are only meaningful for the full run.

Example:
    $ survey-rag bench --quick --json bench.json

    >>> result = run_bench(Settings.load(), quick=True)  # doctest: +SKIP
    >>> print(format_table(table_rows(result)))  # doctest: +SKIP
    | metric | measured | target | met |
    ...
"""

from survey_rag.bench.command import register_bench_command
from survey_rag.bench.run import run_bench

__all__ = ["register_bench_command", "run_bench"]
