"""Reaching the outside world from the work-order layer: webhook subscriptions and their
delivery from the outbox (signed per Standard Webhooks), the event feed integrators
pull, and the settings of both. Builds on the generic engine's outbox and incidents."""
