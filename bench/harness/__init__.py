"""The side-by-side benchmark harness (bench/run.py): traffic generation
(pcaps), scenario definitions (scenarios), contenders (contenders, procs),
measurement (measure) and reporting (report)."""
