"""Synthetic regions of any size for tests and benchmarks (``gep synth``).

A seed and a number of cells give a complete region: fractal terrain with valleys, lakes and
reservoirs, land cover following it (CLCD codes), climate, vegetation and soil layers as tiled
cloud-optimised GeoTIFFs on the accounting grid, two levels of units, registers, statistics,
the tables gepkit does not ship, and a gep.toml that ``gep run`` accounts as it is.  Every
value is a pure function of the cell's coordinates and the seed, computed window by window, so
memory does not grow with the grid and the same seed gives the same bytes.
"""

from gepkit.synth.generate import SynthResult, show, synthesize

__all__ = ["SynthResult", "show", "synthesize"]
