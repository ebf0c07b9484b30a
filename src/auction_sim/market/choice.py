"""Mechanism choice: how a holder sells an achievement.

``choice = "rule"`` (the documented rule): the holder's expected interest is the
number of inquiries (firm quotes) the result drew while under review.

* at least ``auction_min_interest`` (default 2) -> a timed English auction with soft
  close (competition is expected, so let bidders set the price);
* at least ``negotiation_min_interest`` (default 1) -> negotiated pricing with the
  first interested firm (one counterpart: bargain);
* otherwise -> a listed trade (post a price and wait for buyers).

After a round of failed attempts and a wait, a holder under the rule chooses again
with the number of firms that took part in its last attempt (bidders, buyers who
found the listing, or the negotiation partner) as its expected interest.

Any other value of ``choice`` forces that method for every holder.  Results put
up by the use-first deadline always go to a public auction.
"""

from __future__ import annotations

__all__ = ["AUCTION", "LISTING", "NEGOTIATION", "FREE", "METHODS", "choose"]

AUCTION, LISTING, NEGOTIATION, FREE = 0, 1, 2, 3
METHODS = ("auction", "listing", "negotiation", "free_license")


def choose(choice: str, interest: int, auction_min: int, negotiation_min: int) -> int:
    """Method code for a holder whose result drew ``interest`` inquiries."""
    if choice == "auction":
        return AUCTION
    if choice == "listing":
        return LISTING
    if choice == "negotiation":
        return NEGOTIATION
    if interest >= auction_min:
        return AUCTION
    if interest >= negotiation_min:
        return NEGOTIATION
    return LISTING
