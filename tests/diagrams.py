"""Small diagrams for tests, built from the same parts a designer would draw."""
from __future__ import annotations

from xml.sax.saxutils import escape

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)

FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"amount": {"type": "integer"}},
}


def gateway_process(
    condition: str = "amount > 10",
    *,
    key: str = "gated",
    timer: str = '"PT15M"',
    form: str | None = "check.json",
    in_lane: bool = True,
    extra: str = "",
) -> bytes:
    """start -> user task 'check' (lane, form, stage timer) -> gateway -> big | small."""
    form_xml = (
        "<bpmn:extensionElements><spiffworkflow:properties>"
        f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />'
        "</spiffworkflow:properties></bpmn:extensionElements>"
        if form else ""
    )
    lane_ref = "<bpmn:flowNodeRef>check</bpmn:flowNodeRef>" if in_lane else ""
    return (HEADER + f"""  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_a" name="Acceptance">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        {lane_ref}
        <bpmn:flowNodeRef>check_limit</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>overdue</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>choose</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>big</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>small</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:userTask id="check" name="Check">{form_xml}
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="check_limit" name="Check limit" cancelActivity="false"
        attachedToRef="check">
      <bpmn:outgoing>f5</bpmn:outgoing>
      <bpmn:timerEventDefinition id="check_timer">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{escape(timer)}</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f5" sourceRef="check_limit" targetRef="overdue" />
    <bpmn:endEvent id="overdue" name="Overdue">
      <bpmn:incoming>f5</bpmn:incoming>
      <bpmn:escalationEventDefinition id="esc_def" escalationRef="stage_overdue" />
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="choose" />
    <bpmn:exclusiveGateway id="choose" name="Big?" default="f4">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f3" sourceRef="choose" targetRef="big">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"
        >{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="choose" targetRef="small" />
    <bpmn:endEvent id="big" name="Big"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="small" name="Small"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    {extra}
  </bpmn:process>
  <bpmn:escalation id="stage_overdue" name="Stage overdue" escalationCode="stage_overdue" />
</bpmn:definitions>
""").encode()


def message_process(key: str = "waits") -> bytes:
    """start -> wait for message 'customer_info' (into `info`) -> user task 'review' -> end."""
    return (HEADER + f"""  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_a" name="Acceptance">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>wait</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>review_limit</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>late</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>done</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait" name="Customer info arrives">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:messageEventDefinition id="wait_message" messageRef="customer_info_message">
        <bpmn:extensionElements>
          <spiffworkflow:messageVariable>info</spiffworkflow:messageVariable>
        </bpmn:extensionElements>
      </bpmn:messageEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait" targetRef="review" />
    <bpmn:userTask id="review" name="Review">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="check.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:boundaryEvent id="review_limit" name="Review limit" cancelActivity="false"
        attachedToRef="review">
      <bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:timerEventDefinition id="review_timer">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="review_limit" targetRef="late" />
    <bpmn:endEvent id="late" name="Late">
      <bpmn:incoming>f4</bpmn:incoming>
      <bpmn:escalationEventDefinition id="late_esc" escalationRef="stage_overdue" />
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="done" />
    <bpmn:endEvent id="done" name="Done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmn:message id="customer_info_message" name="customer_info" />
  <bpmn:escalation id="stage_overdue" name="Stage overdue" escalationCode="stage_overdue" />
</bpmn:definitions>
""").encode()
