"""The SimPy discrete-event technology market (the ``market`` scenario kind).

Modules: ``arrivals`` (achievements), ``catalog`` (what firms find), ``buyers``
(firms and their visits), ``choice`` (mechanism choice), ``policy`` (levers),
``kernels`` (adapters to the core kernels), ``ledger`` (contracts and checks),
``sim`` (the environment and its processes).
"""

from .sim import MarketRun, MarketSim, simulate

__all__ = ["MarketRun", "MarketSim", "simulate"]
