"""Whom a ladder rung's symbolic recipients mean for one instance."""
from __future__ import annotations

from engine.reference.directory import MANAGEMENT
from engine.runtime.notifications import Audience, lane_departments, recipients


def test_a_lane_name_means_the_department_working_that_lane():
    lanes = lane_departments(["Acceptance", "Processing", "Relaying"],
                             {"acceptance_department": "front_desk",
                              "processing_department": "billing",
                              "relaying_department": None, "category": "x"})
    assert lanes == {"acceptance": "front_desk", "processing": "billing", "relaying": None}
    audience = Audience("network_ops", lanes, holders=("billing",))
    assert recipients(["Processing", "acceptance", "department", "holders", "management",
                       "audit_office"], audience, directory=None) == [
        "billing", "front_desk", "network_ops", MANAGEMENT, "audit_office"]


def test_a_lane_no_department_works_yet_tells_nobody():
    audience = Audience("network_ops", {"acceptance": "front_desk", "relaying": None})
    assert recipients(["relaying", "acceptance"], audience, directory=None) == ["front_desk"]
