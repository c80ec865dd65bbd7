"""Benchmarks of the export pipeline, stage by stage, with comparison rows.

``holopack bench`` (see ``cli``), or from Python::

    from holopack.bench import BenchSettings, bench
    report = bench(["twin.glb"], BenchSettings(device="3dcircle-42f2", frames=60))
    report["runs"][0]["end_to_end"]["fps"]

The report's layout is documented as a JSON schema in docs/bench-schema.json.
"""

from .cli import add_bench_parser, cmd_bench
from .run import SCHEMA_ID, BenchSettings, bench, bench_input

__all__ = ["BenchSettings", "bench", "bench_input", "add_bench_parser", "cmd_bench", "SCHEMA_ID"]
