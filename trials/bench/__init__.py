"""Benchmarks: `make bench` runs `python -m trials.bench` and prints figures."""
