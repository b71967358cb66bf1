"""Benchmark tables and their readers."""

from omni.data.benchmark import Benchmark
from omni.data.loading import load_benchmark

__all__ = ["Benchmark", "load_benchmark"]
