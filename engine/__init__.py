"""Execution of the work-order flows on SpiffWorkflow, with persistence.

A library: drive it from a script, a test or the Flask app. It never imports Flask.
"""
from .clock import Clock, FixedClock, SimulatedClock, SystemClock
from .database import create_schema, make_engine, make_session_factory
from .definitions import DefinitionInvalid, Problem, ProcessSource
from .service import ProcessEngine

__all__ = [
    "Clock",
    "DefinitionInvalid",
    "FixedClock",
    "Problem",
    "ProcessEngine",
    "ProcessSource",
    "SimulatedClock",
    "SystemClock",
    "create_schema",
    "make_engine",
    "make_session_factory",
]
