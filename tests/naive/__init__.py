"""Slow, obviously-correct NumPy/Python twins of every numba kernel (one module per core module)."""
