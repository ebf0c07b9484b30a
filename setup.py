"""Build configuration beyond pyproject.toml: the optional C accelerator of the order book.

``auction_sim.core._bookcall`` (a small CPython extension type, no matching rule of its own:
it calls the numba kernels of ``core/orderbook_kernels.py``) makes per-order calls cheaper.  It is
``optional``: without a C compiler the package installs without it and the order book uses
its pure-Python per-order methods, with the same results.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "auction_sim.core._bookcall",
            ["src/auction_sim/core/_bookcall.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
