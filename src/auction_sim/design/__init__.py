"""Design studies (issue 18): paired comparisons, optimisation and calibration.

* :mod:`.paired` paired differences between grid points (common random numbers);
* :mod:`.compare` ``auction-sim compare DIR --baseline KEY=VALUE``;
* :mod:`.space` ``--param`` search spaces, checked against the scenario's schema;
* :mod:`.evaluate` candidates run through the project's backends, with common random numbers;
* :mod:`.optimize` ``auction-sim optimize``: Optuna ask-and-tell, confirmation stage;
* :mod:`.targets` / :mod:`.calibrate` ``auction-sim calibrate``: simulated method of moments.
"""
