"""The words of an e-mail or SMS, in Chinese and English: a notification (what the
ladder or an order event told a department), and the daily digest of a department's
stages at risk. The event names come from data/integrations.json (`event_names`)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from html import escape
from typing import Any


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def event_label(names: Mapping[str, Mapping[str, str]], event: str) -> tuple[str, str]:
    """(Chinese, English) name of an event; its code where none is written."""
    entry = names.get(event, {})
    return entry.get("zh", event), entry.get("en", event)


def notification(payload: Mapping[str, Any], names: Mapping[str, Mapping[str, str]],
                 department_name: str, zone: tzinfo, at: datetime) -> Rendered:
    """A notification queued in the outbox, for its recipient."""
    zh, en = event_label(names, str(payload.get("event", "")))
    number = payload.get("business_key", "")
    stage = payload.get("stage_name") or payload.get("stage") or "-"
    local = at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    rows = [("工单 / Order", number), ("事件 / Event", f"{zh} / {en}"),
            ("环节 / Stage", stage), ("部门 / Department", department_name),
            ("时间 / Time", f"{local} ({zone})")]
    message = str(payload.get("message", ""))
    subject = f"[{number}] {zh} / {en}"
    text = "\n".join([f"{label}: {value}" for label, value in rows] + ["", message])
    html = ("<html><body><table>"
            + "".join(f"<tr><th align=\"left\">{escape(label)}</th><td>{escape(str(value))}"
                      "</td></tr>" for label, value in rows)
            + f"</table><p>{escape(message)}</p></body></html>")
    return Rendered(subject, text, html)


def digest(stages: list[dict[str, Any]], department_name: str, day: str) -> Rendered:
    """The day's list of a department's stages at risk or past their limit."""
    subject = f"[{day}] 风险环节日报 / Stages at risk: {department_name} ({len(stages)})"
    header = ("工单 / Order", "环节 / Stage", "部门 / Department", "到期 / Due (UTC)",
              "已用 / Used", "状态 / Status")
    rows = [(s["business_key"], s["stage_name"], s["department"],
             s["due_at"].strftime("%Y-%m-%d %H:%M"), f"{s['percent_used']:g}%",
             "已超时 / breached" if s["status"] == "breached" else "临近超时 / at risk")
            for s in stages]
    text = "\n".join([f"{department_name} — {day}", " | ".join(header)]
                     + [" | ".join(row) for row in rows])
    html = ("<html><body><p>" + escape(f"{department_name} — {day}") + "</p><table border=1>"
            + "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>"
                      for row in rows)
            + "</table></body></html>")
    return Rendered(subject, text, html)
