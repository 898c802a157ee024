"""Message payload schemas: a diagram may name a form file of its deployment as the JSON
Schema of a message's payload, with the spiffworkflow property PAYLOAD_SCHEMA_PROPERTY
on the message (every event catching it) or on one catch event. Delivery checks the
payload against it before the instance is changed (engine/runtime/commands.py).

The schema is a form like any other (engine/definitions/forms.py): deployed with the
diagram, checked at deploy, `$ref`s resolved only inside it, patterns matched in linear
time. The property travels with the parsed spec: a message's is copied onto the events
catching it when the diagram is parsed, so a stored version needs nothing else.
"""
from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent

PAYLOAD_SCHEMA_PROPERTY = "payloadJsonSchemaFilename"
_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_NS = {"bpmn": _BPMN, "spiffworkflow": _SPIFF}
PAYLOAD_PROPERTY_PATH = (
    "bpmn:extensionElements/spiffworkflow:properties/"
    f"spiffworkflow:property[@name='{PAYLOAD_SCHEMA_PROPERTY}']"
)
# Elements that catch a message: with a messageEventDefinition, or a receive task.
_CATCH_EVENTS = frozenset({"startEvent", "intermediateCatchEvent", "boundaryEvent"})


def placement_problem(node: etree._Element) -> str | None:
    """Why `node` may not carry PAYLOAD_SCHEMA_PROPERTY, or None: only a message and an
    element catching one do (a throw event's payload is the diagram's own)."""
    kind = etree.QName(node).localname
    if kind in ("message", "receiveTask") or (
            kind in _CATCH_EVENTS and node.find(f"{{{_BPMN}}}messageEventDefinition") is not None):
        return None
    return (f"{PAYLOAD_SCHEMA_PROPERTY} belongs on a message or on an event that catches "
            f"one, not on a {kind}")


def attach_message_schemas(root: etree._Element, specs: list[Any]) -> None:
    """Copy each message's payload schema onto the task specs of the events catching it
    that name none of their own (their spiffworkflow properties, stored with the spec)."""
    schemas = {message.get("name"): value
               for message in root.xpath(f"//bpmn:message[{PAYLOAD_PROPERTY_PATH}]",
                                         namespaces=_NS)
               for value in message.xpath(f"./{PAYLOAD_PROPERTY_PATH}/@value",
                                          namespaces=_NS)[:1]}
    if not schemas:
        return
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if not isinstance(task_spec, CatchingEvent):
                continue
            definition = getattr(task_spec, "event_definition", None)
            extensions = getattr(task_spec, "extensions", None)
            if isinstance(definition, MessageEventDefinition) and isinstance(extensions, dict) \
                    and definition.name in schemas:
                properties = extensions.setdefault("properties", {})
                properties.setdefault(PAYLOAD_SCHEMA_PROPERTY, schemas[definition.name])


def payload_schema(task_spec: Any) -> str | None:
    """The payload schema (a form file of the version) an event's spec names, if any."""
    extensions = getattr(task_spec, "extensions", None) or {}
    value = (extensions.get("properties") or {}).get(PAYLOAD_SCHEMA_PROPERTY)
    return value if isinstance(value, str) else None
