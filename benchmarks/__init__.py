"""Reproducible benchmarks. Every target is a ratio against a baseline measured in the same run; see README.md."""
