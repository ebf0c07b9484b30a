"""Shared test set-up: make ``tests/`` importable (for the naive reference twins)."""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
