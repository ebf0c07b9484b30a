"""pytest-benchmark suites (a package, so module names never clash with tests/)."""
