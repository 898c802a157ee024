"""Notifications: what each department (and management) has been told."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from engine.errors import NotFound
from engine.reference.directory import MANAGEMENT
from engine.store.models import Notification
from engine.store.queries import NotificationFilter

from ..auth import current_principal, requires
from ..presenters import notification_view, page_view
from ..schemas.notifications import (
    MarkedReadSchema,
    NotificationPageSchema,
    NotificationQueryArgs,
    NotificationSchema,
)
from .common import engine, own_department

blp = Blueprint("notifications", __name__,
                description="Notifications per recipient: urges, transfers, escalations")


def recipients_seen() -> list[str] | None:
    """Whose notifications the caller reads: its department's, management's for a
    manager, everyone's for an administrator."""
    own = own_department()
    if own is not None:
        return [own]
    return None if current_principal().is_admin else [MANAGEMENT]


def visible_notification(notification_id: int, seen: list[str] | None) -> Notification:
    """The notification if it is addressed to one of `seen`; 404 otherwise."""
    notification = engine().reads.notification(notification_id, seen)
    if notification is None:  # another's is not shown to exist
        raise NotFound(f"no notification {notification_id}")
    return notification


@blp.route("")
class Notifications(MethodView):
    @requires("department", "manager")
    @blp.arguments(NotificationQueryArgs, location="query", unknown=RAISE)
    @blp.response(200, NotificationPageSchema)
    def get(self, args):
        """Your notifications, newest first (`unread=true` for the unread ones)"""
        seen = recipients_seen()
        where = NotificationFilter(recipients=tuple(seen) if seen is not None else None,
                                   unread=args.get("unread"), event=args.get("event"),
                                   business_key=args.get("business_key"))
        return page_view(engine().reads.search_notifications(where, args["page"], args["per_page"]),
                         notification_view)


@blp.route("/<int:notification_id>/read")
class MarkRead(MethodView):
    @requires("department", "manager")
    @blp.response(200, NotificationSchema)
    def post(self, notification_id):
        """Mark one notification read (reading it again changes nothing)"""
        seen = recipients_seen()
        visible_notification(notification_id, seen)  # 404 before anything changes
        engine().reads.mark_notifications_read([notification_id], seen, current_principal().name)
        return notification_view(visible_notification(notification_id, seen))


@blp.route("/read-all")
class MarkAllRead(MethodView):
    @requires("department", "manager")
    @blp.response(200, MarkedReadSchema)
    def post(self):
        """Mark every unread notification of yours read"""
        marked = engine().reads.mark_notifications_read(None, recipients_seen(),
                                                  current_principal().name)
        return {"marked": marked}
