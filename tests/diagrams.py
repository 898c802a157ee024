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


def _reminder(stage: str, expression: str) -> str:
    return f"""
      <bpmn:boundaryEvent id="{stage}_remind" name="{stage} reminder" cancelActivity="false"
          attachedToRef="{stage}">
        <bpmn:outgoing>{stage}_remind_flow</bpmn:outgoing>
        <bpmn:timerEventDefinition id="{stage}_remind_timer">
          <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDuration>
        </bpmn:timerEventDefinition>
      </bpmn:boundaryEvent>
      <bpmn:sequenceFlow id="{stage}_remind_flow" sourceRef="{stage}_remind"
          targetRef="{stage}_reminded" />
      <bpmn:endEvent id="{stage}_reminded" name="{stage} reminded">
        <bpmn:incoming>{stage}_remind_flow</bpmn:incoming></bpmn:endEvent>"""


def _staged_task(stage: str, incoming: str, outgoing: str, reminder: str | None) -> str:
    extra = _reminder(stage, reminder) if reminder else ""
    return extra + f"""      <bpmn:userTask id="{stage}" name="{stage.title()}">
        <bpmn:extensionElements><spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="check.json" />
        </spiffworkflow:properties></bpmn:extensionElements>
        <bpmn:incoming>{incoming}</bpmn:incoming><bpmn:outgoing>{outgoing}</bpmn:outgoing>
      </bpmn:userTask>
      <bpmn:boundaryEvent id="{stage}_limit" name="{stage} limit" cancelActivity="false"
          attachedToRef="{stage}">
        <bpmn:outgoing>{stage}_late_flow</bpmn:outgoing>
        <bpmn:timerEventDefinition id="{stage}_timer">
          <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"PT1H"</bpmn:timeDuration>
        </bpmn:timerEventDefinition>
      </bpmn:boundaryEvent>
      <bpmn:sequenceFlow id="{stage}_late_flow" sourceRef="{stage}_limit"
          targetRef="{stage}_late" />
      <bpmn:endEvent id="{stage}_late" name="{stage} late">
        <bpmn:incoming>{stage}_late_flow</bpmn:incoming>
        <bpmn:escalationEventDefinition id="{stage}_esc" escalationRef="stage_overdue" />
      </bpmn:endEvent>"""


def staged_process(stages: list[str], key: str = "staged",
                   reminders: dict[str, str] | None = None) -> bytes:
    """start -> sub-process "work" (the stages in order, each with a 1 h limit, and a
    reminder timer with the given expression on the stages named in `reminders`) -> end."""
    tasks, flows, previous = [], [], "sub_start"
    for n, stage in enumerate(stages):
        tasks.append(_staged_task(stage, f"sf{n}", f"sf{n + 1}", (reminders or {}).get(stage)))
        flows.append(f'<bpmn:sequenceFlow id="sf{n}" sourceRef="{previous}" targetRef="{stage}"/>')
        previous = stage
    flows.append(f'<bpmn:sequenceFlow id="sf{len(stages)}" sourceRef="{previous}" '
                 'targetRef="sub_end"/>')
    lane = "".join(f"<bpmn:flowNodeRef>{node}</bpmn:flowNodeRef>"
                   for node in ["start", "work", "end", *stages])
    nl = "\n"
    return (HEADER + f"""  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane_a" name="Acceptance">{lane}</bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:subProcess id="work" name="Work">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:startEvent id="sub_start" name="Begin"><bpmn:outgoing>sf0</bpmn:outgoing>
      </bpmn:startEvent>
{nl.join(tasks)}
      {nl.join(flows)}
      <bpmn:endEvent id="sub_end" name="Done">
        <bpmn:incoming>sf{len(stages)}</bpmn:incoming></bpmn:endEvent>
    </bpmn:subProcess>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end" name="End"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmn:escalation id="stage_overdue" name="Stage overdue" escalationCode="stage_overdue" />
</bpmn:definitions>
""").encode()


# A non-interrupting timer on gateway_process's user task, for `extra=`: format it with
# the timer element (timeDuration, timeDate, timeCycle) and its value.
REMINDER = """<bpmn:boundaryEvent id="reminder" name="Reminder" cancelActivity="false"
        attachedToRef="check">
      <bpmn:outgoing>f9</bpmn:outgoing>
      <bpmn:timerEventDefinition id="reminder_timer">
        <bpmn:{element} xsi:type="bpmn:tFormalExpression">{value}</bpmn:{element}>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f9" sourceRef="reminder" targetRef="reminded" />
    <bpmn:endEvent id="reminded" name="Reminded">
      <bpmn:incoming>f9</bpmn:incoming></bpmn:endEvent>"""
