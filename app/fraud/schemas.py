"""Fraud report responses shared with the profile (`fraud_alerts`)."""

from datetime import date

from app.core.schemas import MoneyOut, ResponseModel, UtcDateTime


class FraudAlertOut(ResponseModel):
    """An approved fraud report as the profile shows it: no submitter, no description."""

    id: str
    category: str
    incident_date: date
    amount: MoneyOut | None = None
    approved_at: UtcDateTime | None = None
