"""Pieces the benchmarks share."""
