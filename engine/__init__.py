"""Execution of the work-order flows on SpiffWorkflow, with persistence.

A library: drive it from a script, a test or the Flask app. It never imports Flask.
"""
from engine.clock import Clock, FixedClock, SimulatedClock, SystemClock
from engine.definitions.bpmn import DefinitionInvalid, Problem, ProcessSource
from engine.process_engine import ProcessEngine
from engine.store.database import create_schema, make_engine, make_session_factory

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
