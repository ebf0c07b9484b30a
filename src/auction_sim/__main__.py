"""``python -m auction_sim`` runs the ``auction-sim`` command."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
