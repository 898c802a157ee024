"""Reference data a designer maintains in data/: categories, departments, settings."""
