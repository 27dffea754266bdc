"""The fraud report state machine: every allowed move, in one table.

A move not listed here is refused with 409 `invalid_transition`, whoever asks. Group
admins take the moderation decisions; the submitting member edits and withdraws.
"""

from __future__ import annotations

from app.core.errors import InvalidTransition

MODERATOR = "moderator"
SUBMITTER = "submitter"

# (state, action) -> next state
TRANSITIONS: dict[tuple[str, str], str] = {
    ("pending", "approve"): "approved",
    ("pending", "reject"): "rejected",
    ("pending", "request_info"): "needs_info",
    ("approved", "retract"): "retracted",
    ("pending", "edit"): "pending",
    ("needs_info", "edit"): "pending",
    ("pending", "withdraw"): "withdrawn",
    ("needs_info", "withdraw"): "withdrawn",
}

# Who takes each action.
ACTORS: dict[str, str] = {
    "approve": MODERATOR,
    "reject": MODERATOR,
    "request_info": MODERATOR,
    "retract": MODERATOR,
    "edit": SUBMITTER,
    "withdraw": SUBMITTER,
}

STATES = ("pending", "needs_info", "approved", "rejected", "withdrawn", "retracted")


def next_state(state: str, action: str) -> str:
    """The state `action` leads to from `state`, or InvalidTransition."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        allowed = sorted(a for (s, a) in TRANSITIONS if s == state)
        hint = f" (possible now: {', '.join(allowed)})" if allowed else " (it is final)"
        raise InvalidTransition(
            f"A report that is {state} cannot be {_PAST.get(action, action)}{hint}."
        ) from None


_PAST = {
    "approve": "approved",
    "reject": "rejected",
    "request_info": "sent back for information",
    "retract": "retracted",
    "edit": "edited",
    "withdraw": "withdrawn",
}
