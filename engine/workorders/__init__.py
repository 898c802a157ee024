"""Complaint work orders, built on the generic engine: intake, operations, following,
hotspots, the demo."""
