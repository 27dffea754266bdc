"""/v1/benchmarks: members' DSO and past-due figures beside the group's quartiles."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from app.auth.principal import Principal
from app.benchmarks import service
from app.benchmarks.schemas import PERIOD_PATTERN, BenchmarkEntryIn, BenchmarkEntryOut, BenchmarkOut
from app.deps import SessionDep, require, require_member

router = APIRouter(prefix="/v1/benchmarks", tags=["benchmarks"])

Period = Annotated[str, Path(pattern=PERIOD_PATTERN, description="A quarter: YYYY-Qn.")]


@router.put("/{period}", response_model=BenchmarkEntryOut)
def submit_benchmark(
    period: Period,
    body: BenchmarkEntryIn,
    principal: Annotated[Principal, Depends(require_member("benchmarks:write"))],
    session: SessionDep,
) -> BenchmarkEntryOut:
    """Your member's DSO (and bad-debt share) for the quarter (member admins); a second
    PUT replaces it. Nobody else ever sees it, only the group's quartiles."""
    return service.submit(session, principal, period, body)


@router.get("/{period}", response_model=BenchmarkOut)
def read_benchmark(
    period: Period,
    principal: Annotated[Principal, Depends(require("benchmarks:read"))],
    session: SessionDep,
) -> BenchmarkOut:
    """The group's quartiles of DSO, bad debt, past-due share and weighted DBT for the
    quarter (each shown from `min_contributors` members giving it), and yours."""
    return service.read(session, principal, period)
