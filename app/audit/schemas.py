"""The audit trail as it leaves the building: an event, and the `detail` of each action.

`detail` is what the service that recorded the action wrote (app/*/service.py, each
`audit.record(...)` call): one shape per action, modelled below and named for it, so that
the OpenAPI document and a generated client know its fields. An event recorded before a
shape was modelled (or by an action added later) is passed on as the object it is,
never refused: the trail is append-only, and it is read as it was written.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, RootModel, model_serializer

from app.core.schemas import ResponseModel, UtcDateTime

# What a changed setting or field was and became: text, a number, a flag, a list or null.
Value = str | bool | int | float | list[str] | None


class _Detail(ResponseModel):
    # A key the model does not know makes the detail fall through to the next shape (and
    # at last to the plain object) instead of being dropped.
    model_config = ConfigDict(from_attributes=True, extra="forbid", populate_by_name=True)

    @model_serializer(mode="wrap")
    def _as_written(self, handler):
        # Only the keys the event holds: a field it does not have is left out, not null.
        written = handler(self)
        kept = set()
        for name in self.model_fields_set:
            kept |= {name, type(self).model_fields[name].alias}
        return {key: value for key, value in written.items() if key in kept}


def _optional(description: str) -> Any:
    """A key that some events of the action hold and others do not (never null)."""
    return Field(default=None, description=description, json_schema_extra=_no_default)


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


class NoDetail(_Detail):
    """`auth.login`, `user.password_changed`, `import.mapping_deleted`: nothing more
    than the event says."""


class LoginFailedDetail(_Detail):
    """`auth.login_failed`."""

    reason: Literal["bad_credentials", "disabled"]


class UserCreatedDetail(_Detail):
    """`user.created` (by an admin, with the group, or by `creditpool create-admin`)."""

    email: str
    role: str
    member_id: str | None = _optional("The user's member; absent for a group's first admin.")


class GroupCreatedDetail(_Detail):
    """`group.created`."""

    slug: str
    currency: str


class MemberCreatedDetail(_Detail):
    """`member.created`."""

    name: str


class ApiKeyCreatedDetail(_Detail):
    """`api_key.created` (never the key itself)."""

    name: str
    prefix: str
    scopes: list[str]
    member_id: str


class ApiKeyRevokedDetail(_Detail):
    """`api_key.revoked`."""

    prefix: str
    member_id: str


class ExperiencesSubmittedDetail(_Detail):
    """`experiences.submitted` (one line, or a batch: then no resource)."""

    received: int
    created: int
    updated: int
    rejected: int


class ExperienceDeletedDetail(_Detail):
    """`experiences.deleted`."""

    client_id: str
    as_of: str = Field(description="YYYY-MM-DD")


class ImportQueuedDetail(_Detail):
    """`import.queued`."""

    filename: str | None
    bytes: int
    sha256: str
    rows_total: int | None


class ImportDoneDetail(_Detail):
    """`import.done`."""

    rows: int
    created: int
    updated: int
    rejected: int


class ImportFailedDetail(_Detail):
    """`import.failed`."""

    reason: str


class ImportMappingSavedDetail(_Detail):
    """`import.mapping_saved`: the file's column names to ours (null: left out)."""

    columns: dict[str, str | None]
    date_format: str | None


class LegalActionCreatedDetail(_Detail):
    """`legal_action.created`."""

    client_id: str
    kind: str
    status: str


class FraudReportSubmittedDetail(_Detail):
    """`fraud_report.submitted` (the submitter shows here, for the group's admins only)."""

    client_id: str
    member_id: str
    category: str


class FraudReportDecidedDetail(_Detail):
    """`fraud_report.approved`, `.rejected`, `.info_requested`, `.retracted`."""

    decision: Literal["approve", "reject", "request_info", "retract"]
    note: str | None
    from_: str = Field(alias="from", description="The status before.")
    to: str = Field(description="The status after.")


class FraudReportUpdatedDetail(_Detail):
    """`fraud_report.updated`: the submitter's corrections."""

    fields: list[str] = Field(description="The fields whose value changed.")
    from_: str = Field(alias="from", description="The status before.")
    to: str = Field(description="The status after.")


class FraudReportWithdrawnDetail(_Detail):
    """`fraud_report.withdrawn`."""

    from_: str = Field(alias="from", description="The status before.")
    to: str = Field(description="The status after.")


class ProfileReadDetail(_Detail):
    """`profile.read`: a pooled profile shown (API, PDF or console)."""

    as_of: str = Field(description="YYYY-MM-DD: the profile's date.")
    member_id: str | None = _optional("The reading member; absent for a group admin's read.")


class BenchmarkSubmittedDetail(_Detail):
    """`benchmark.submitted`: the figures as decimal strings."""

    dso: str
    bad_debt_pct: str | None


class WebhookCreatedDetail(_Detail):
    """`webhook.created` (never the secret)."""

    url: str
    events: list[str]
    member_id: str


class WebhookDeletedDetail(_Detail):
    """`webhook.deleted`."""

    url: str
    member_id: str


class RedeliveryRequestedDetail(_Detail):
    """`webhook.redelivery_requested`."""

    delivery_id: str
    event_id: str
    was: str = Field(description="The delivery's status before.")


class MeetingCreatedDetail(_Detail):
    """`meeting.created`."""

    title: str
    held_on: str = Field(description="YYYY-MM-DD")


class MeetingClosedDetail(_Detail):
    """`meeting.closed`: how many items its frozen list holds."""

    items: int


class NominatedDetail(_Detail):
    """`meeting.nominated`."""

    client_id: str
    reason: str
    created: bool = Field(description="false: the member had named this client already.")


class PollCreatedDetail(_Detail):
    """`poll.created`."""

    client_id: str
    closes_at: str = Field(description="ISO 8601 UTC.")


class PollAnsweredDetail(_Detail):
    """`poll.answered`, `poll.answer_replaced`."""

    experience: str


class Change(_Detail):
    """One changed field or setting: what it was and what it became."""

    from_: Value = Field(alias="from")
    to: Value


class Changes(RootModel[dict[str, Change]]):
    """`user.updated`, `member.updated`, `member.suspended`, `member.reactivated`,
    `group.settings_changed`, `legal_action.updated`, `meeting.updated`,
    `webhook.updated`: each changed field (or setting) by name, with what it was and
    what it became."""


# Tried in this order (each shape refuses a key it does not know, so one fits); an
# action's detail not modelled here is passed on as the object it is.
AuditDetail = Annotated[
    NoDetail
    | LoginFailedDetail
    | UserCreatedDetail
    | GroupCreatedDetail
    | MemberCreatedDetail
    | ApiKeyCreatedDetail
    | ApiKeyRevokedDetail
    | ExperiencesSubmittedDetail
    | ExperienceDeletedDetail
    | ImportQueuedDetail
    | ImportDoneDetail
    | ImportFailedDetail
    | ImportMappingSavedDetail
    | LegalActionCreatedDetail
    | FraudReportSubmittedDetail
    | FraudReportDecidedDetail
    | FraudReportUpdatedDetail
    | FraudReportWithdrawnDetail
    | ProfileReadDetail
    | BenchmarkSubmittedDetail
    | WebhookCreatedDetail
    | WebhookDeletedDetail
    | RedeliveryRequestedDetail
    | MeetingCreatedDetail
    | MeetingClosedDetail
    | NominatedDetail
    | PollCreatedDetail
    | PollAnsweredDetail
    | Changes
    | dict[str, Any],
    Field(union_mode="left_to_right"),
]


class AuditEventOut(ResponseModel):
    id: str
    at: UtcDateTime
    actor: str
    action: str
    resource: str | None
    detail: AuditDetail = Field(
        description="What the action recorded: its shape is the one named for the action."
    )
