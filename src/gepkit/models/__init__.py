"""Pure model functions over xarray DataArrays (lazy and dask-friendly).

Models never read files, log or call ``.compute()``.  Every argument that carries a physical
quantity is checked for its unit; every result carries fresh ``attrs`` with its unit.
"""
