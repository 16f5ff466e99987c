"""Benchmark scenarios; each returns one repetition's figures for one implementation."""
