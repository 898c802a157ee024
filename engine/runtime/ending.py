"""Ending a running instance at once, from outside its diagram (an application settled
what it was started for): its open tasks and timers are cancelled, it is marked ended,
and all of it is recorded, in the caller's unit of work."""
from __future__ import annotations

from engine.runtime.pipeline import Pipeline
from engine.runtime.step import Step


def end_now(pipeline: Pipeline, step: Step) -> None:
    """Cancel what is open in the locked instance and save it ended."""
    pipeline.run(step, lambda: step.workflow.cancel())
    pipeline.advance(step)  # records the cancelled stages and timers, then the end
    pipeline.save(step)
