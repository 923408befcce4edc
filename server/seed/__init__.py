"""The demo county: believable, deterministic data for demos, tests and benchmarks."""
