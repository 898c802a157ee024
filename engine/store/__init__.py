"""Persistence: the tables, the database set-up and the searches."""
