"""Generated test data with known truth, importable by any test as ``tests.gen``."""
