"""numba kernels: arrays in, arrays out; the single implementation of every rule.

Importing the package announces a first compile on stderr (see :mod:`auction_sim.jit`).
"""

from ..jit import announce_compiles

announce_compiles()
