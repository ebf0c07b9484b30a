"""The SimPy discrete-event technology market (the ``market`` scenario kind).

Modules: ``arrivals`` (achievements), ``catalog`` (what firms find), ``buyers``
(firms and their visits), ``choice`` (mechanism choice), ``policy`` (levers),
``pricing`` (the platform's pricer and price rules), ``trades`` (auctions, listings and
negotiations: adapters to the core kernels), ``ledger`` (contracts and checks),
``sim`` (the environment and its processes).
"""

from .sim import MarketRun, MarketSim, simulate

__all__ = ["MarketRun", "MarketSim", "simulate"]
