"""Running instances: the sandbox, the step pipeline, limits, thrown events, the ladder,
notifications, timers, migration."""
