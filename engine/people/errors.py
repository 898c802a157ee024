"""What the people layer refuses, as the engine's kinds of error."""
from __future__ import annotations

from engine.errors import Conflict, EngineError, Forbidden, NotFound, Unprocessable


class StaffNotFound(NotFound):
    def __init__(self, staff_id: str) -> None:
        super().__init__(f"no staff member {staff_id!r}")


class StaffIdInUse(Conflict):
    def __init__(self, staff_id: str) -> None:
        super().__init__(f"staff id {staff_id!r} is taken")


class LoginRefused(EngineError):
    """Wrong staff id or password (the same answer for both), or a disabled account."""

    def __init__(self) -> None:
        super().__init__("staff id or password is wrong")


class AccountLocked(EngineError):
    def __init__(self, until: str) -> None:
        self.until = until
        super().__init__(f"too many wrong passwords: the account is locked until {until}; "
                         "an administrator may unlock it sooner")


class NotASupervisor(Forbidden):
    def __init__(self, department: str) -> None:
        super().__init__(f"only a supervisor of {department!r} (a staff member with the "
                         "supervisor role there) assigns its stages")


class AssigneeInvalid(Unprocessable):
    """The staff member named to take a stage cannot take it; `field` names the request
    field that named them."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")
