"""/v1/clients: the group's shared registry of the companies its members sell to."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from app.auth.principal import Principal
from app.clients import service
from app.clients.schemas import ClientFoundOut, ClientIn, ClientOut, ClientResolvedOut
from app.core.pagination import Page
from app.deps import PageDep, SessionDep, require
from app.idempotency.route import Idempotent, IdempotentRoute
from app.portfolio import service as portfolio

router = APIRouter(route_class=IdempotentRoute, prefix="/v1/clients", tags=["clients"])

Reader = Annotated[Principal, Depends(require("clients:read"))]


@router.post(
    "",
    response_model=ClientResolvedOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": ClientResolvedOut, "description": "Resolved to an existing client."}},
)
def resolve_client(
    body: ClientIn,
    principal: Annotated[Principal, Depends(require("clients:write"))],
    session: SessionDep,
    idempotency: Idempotent,
    response: Response,
) -> ClientResolvedOut:
    """Find the group's client these identifiers name (200, `match` says by which key),
    or create it (201, `match` = `created`)."""
    client, match = service.resolve(session, principal, body)
    if match != "created":
        response.status_code = status.HTTP_200_OK
    return ClientResolvedOut(**ClientOut.of(client).model_dump(), match=match)


@router.get("", response_model=Page[ClientFoundOut])
def search_clients(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    q: Annotated[
        str | None,
        Query(max_length=300, description="Name words, in any order; small typos allowed."),
    ] = None,
    tax_id: Annotated[str | None, Query(max_length=64)] = None,
    duns: Annotated[str | None, Query(max_length=16)] = None,
    lei: Annotated[str | None, Query(max_length=24)] = None,
    postal_code: Annotated[str | None, Query(max_length=32)] = None,
    city: Annotated[str | None, Query(max_length=120)] = None,
) -> Page[ClientFoundOut]:
    """Search the group's clients: every criterion given must hold. Name results come
    best match first. Each result carries the pooled `risk_tier` and `payment_index`
    when you may read profiles and the profile is not suppressed."""
    rows, cursor = service.search(
        session, page, q=q, tax_id=tax_id, duns=duns, lei=lei, postal_code=postal_code, city=city
    )
    figures = portfolio.pooled_figures(session, principal, [c.id for c in rows])
    items = []
    for client in rows:
        found = figures.get(client.id)
        items.append(
            ClientFoundOut(
                **ClientOut.of(client).model_dump(),
                risk_tier=found.risk_tier if found else None,
                payment_index=found.payment_index if found else None,
            )
        )
    return Page(items=items, next_cursor=cursor)


@router.get("/{client_id}", response_model=ClientOut)
def get_client(client_id: str, principal: Reader, session: SessionDep) -> ClientOut:
    return ClientOut.of(service.get(session, client_id))
