"""diffing."""
