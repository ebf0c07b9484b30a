"""Mechanisms: the trading rules (auctions, negotiated pricing, listed trade), built on core/."""
