"""People and case work on the complaint side: staff accounts and their sessions
(accounts.py), assigning stages to handlers (assignment.py), per-handler figures
(figures.py). Builds on the work-order layer; the generic engine knows none of it."""
