"""How a notification reaches a person: in the app today, by SMS once a gateway exists.

Jobs and operations call :func:`deliver` with users and a :class:`Message`; the
senders named in ``LIANXIN_NOTIFICATION_SENDERS`` (comma-separated, default
``in_app``) each pass it on. An SMS gateway is one more class registered with
:func:`register_sender` and named in the configuration; no job changes.

A sender runs inside the caller's transaction. The in-app sender writes a synced
``Notification`` row, which commits or rolls back with the job. A sender that
talks to the outside world cannot be rolled back, so it should be marked
``best_effort`` (its failures are logged, never raised) and ideally queue its
messages for after the commit.
"""

import logging
from dataclasses import dataclass
from typing import Protocol

from flask import current_app

from .operations import notify

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    kind: str  # machine code, e.g. "feedback_due_soon"
    title: str
    body: str
    link: str | None = None  # a PWA route, e.g. "#/case/<id>"


class Sender(Protocol):
    #: the name used in LIANXIN_NOTIFICATION_SENDERS
    name: str
    #: True: a failure is logged and the other senders still run
    best_effort: bool

    def send(self, user, message: Message) -> None: ...


class InAppSender:
    """The notification list of the app, synced to the user's phone."""

    name = "in_app"
    best_effort = False

    def send(self, user, message):
        notify(user.id, message.kind, message.title, message.body, message.link)


_REGISTRY = {InAppSender.name: InAppSender}


def register_sender(cls):
    """Make a sender class available by its ``name`` (usable as a decorator)."""
    _REGISTRY[cls.name] = cls
    return cls


def configured_senders():
    names = current_app.config.get("LIANXIN_NOTIFICATION_SENDERS") or InAppSender.name
    if isinstance(names, str):
        names = [name.strip() for name in names.split(",") if name.strip()]
    unknown = [name for name in names if name not in _REGISTRY]
    if unknown:
        raise RuntimeError(f"unknown notification sender(s): {', '.join(unknown)}")
    return [_REGISTRY[name]() for name in names]


def deliver(users, message):
    """Send ``message`` to each of ``users`` (each once) through every configured sender.

    Returns the number of users reached.
    """
    users = list({user.id: user for user in users}.values())
    for sender in configured_senders():
        for user in users:
            try:
                sender.send(user, message)
            except Exception:
                if not sender.best_effort:
                    raise
                log.exception("notification sender %s failed for user %s", sender.name, user.id)
    return len(users)
