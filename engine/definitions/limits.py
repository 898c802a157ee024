"""Bounds on what designers deploy, so that nothing they write runs unbounded: how long
a timer may be, how often and how many times a cycle may fire, how far a service level
may stretch a limit, and how large a diagram may be before it is parsed.

The defaults are those of `definitions` in data/settings.json (engine/reference/
settings.py reads them); an engine built without settings uses them as they are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from lxml import etree

from engine.definitions.xml_safety import MAX_XML_BYTES

BPMN_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# SpiffWorkflow parses a diagram recursively, about two stack frames per node along
# the longest path: far fewer nodes than Python's recursion limit (1000) allows.
MOST_FLOW_NODES = 400
# A limit scaled by the largest factor must stay a date (years up to 9999).
LONGEST_SCALED_LIMIT = timedelta(days=365 * 1000)
MOST_NESTING = 20
FLOW_NODES = frozenset({
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
    "boundaryEvent", "implicitThrowEvent", "exclusiveGateway", "inclusiveGateway",
    "parallelGateway", "eventBasedGateway", "complexGateway",
})
SUB_PROCESSES = frozenset({"subProcess", "transaction", "adHocSubProcess"})


@dataclass(frozen=True)
class DefinitionLimits:
    # Every timer duration written in a diagram: stage limits, department totals, others.
    min_duration: timedelta = timedelta(minutes=1)
    max_duration: timedelta = timedelta(days=365)
    # A cycle timer (timeCycle) repeats a stated number of times, and not too often.
    min_cycle_interval: timedelta = timedelta(minutes=5)
    max_cycle_repetitions: int = 100
    # A service level's limit_factor (and a factor written in a diagram): above 0.
    max_limit_factor: float = 100.0
    # A diagram, decision table or form file; checked before anything parses it.
    max_file_bytes: int = 1024 * 1024
    max_elements: int = 20_000  # XML elements of a diagram or table, layout included
    max_flow_nodes: int = 250  # tasks, events, gateways and sub-processes of a diagram
    max_nesting: int = 5  # sub-processes inside sub-processes

    def problems(self) -> list[str]:
        """What makes these limits unusable (each names its setting)."""
        problems = []
        if self.min_duration <= timedelta(0):
            problems.append("min_duration must be longer than zero")
        if self.max_duration < self.min_duration:
            problems.append("max_duration must not be shorter than min_duration")
        if self.min_cycle_interval < timedelta(seconds=1):
            problems.append("min_cycle_interval must be at least a second")
        if not self.max_limit_factor > 0 or \
                self.max_duration * self.max_limit_factor > LONGEST_SCALED_LIMIT:
            problems.append("max_limit_factor must be above 0, and max_duration x "
                            "max_limit_factor at most 1000 years")
        for name, most in (("max_cycle_repetitions", 1_000_000),
                           ("max_file_bytes", MAX_XML_BYTES),
                           ("max_elements", 10_000_000),
                           ("max_flow_nodes", MOST_FLOW_NODES),
                           ("max_nesting", MOST_NESTING)):
            if not 1 <= getattr(self, name) <= most:
                problems.append(f"{name} must be a whole number from 1 to {most}")
        return problems


DEFAULT_LIMITS = DefinitionLimits()


def file_size_problem(size: int, limits: DefinitionLimits) -> str | None:
    if size > limits.max_file_bytes:
        return (f"the file is {size:,} bytes; at most {limits.max_file_bytes:,} are "
                "deployed (settings: definitions.max_file_bytes)")
    return None


def size_problems(root: etree._Element, limits: DefinitionLimits) -> list[str]:
    """What makes a parsed diagram or table too large to check and parse quickly: counted
    before SpiffWorkflow sees it (it would fail on a long chain with a RecursionError)."""
    problems = []
    elements = flow_nodes = 0
    for node in root.iter():
        elements += 1
        if isinstance(node.tag, str) and node.tag.startswith(f"{{{BPMN_MODEL}}}") \
                and etree.QName(node).localname in FLOW_NODES:
            flow_nodes += 1
    if elements > limits.max_elements:
        problems.append(f"{elements:,} XML elements; at most {limits.max_elements:,} "
                        "(settings: definitions.max_elements)")
    if flow_nodes > limits.max_flow_nodes:
        problems.append(f"{flow_nodes:,} flow nodes (tasks, events, gateways, "
                        f"sub-processes); at most {limits.max_flow_nodes:,} "
                        "(settings: definitions.max_flow_nodes): split the flow")
    if not problems and (depth := _nesting(root)) > limits.max_nesting:
        problems.append(f"sub-processes nested {depth} deep; at most {limits.max_nesting} "
                        "(settings: definitions.max_nesting)")
    return problems


def _nesting(root: etree._Element) -> int:
    deepest = 0
    for kind in SUB_PROCESSES:
        for node in root.iter(f"{{{BPMN_MODEL}}}{kind}"):
            depth = 1 + sum(1 for above in node.iterancestors()
                            if isinstance(above.tag, str) and above.tag.startswith(
                                f"{{{BPMN_MODEL}}}")
                            and etree.QName(above).localname in SUB_PROCESSES)
            deepest = max(deepest, depth)
    return deepest
