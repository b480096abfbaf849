"""Benchmarks, load and outage tests (see bench/README.md)."""
