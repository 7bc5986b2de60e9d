"""A multi-tenant API whose CORS origins live in a database: each tenant (by ``Host``) lists
its own origins (custom domains, OAuth clients registered at run time).

- SQLite by default (embedded, nothing to run): ``uvicorn examples.tenant_origins:app``;
  PostgreSQL by changing the URL only:
  ``DATABASE_URL=postgresql+asyncpg://user:pw@db/app uvicorn examples.tenant_origins:app``.
  Needs ``pip install 'cors-routes[store]'`` (SQLAlchemy 2 async, aiosqlite, asyncpg).
- The database is asked once per tenant and origin per TTL (``cached_origins``), never by
  every preflight, and one tenant's answer is never given to another.
- Several workers and hosts each cache on their own. On PostgreSQL every change is announced
  with ``NOTIFY cors_origins`` in the transaction that makes it; each worker ``LISTEN``s and
  forgets the answers it held about that tenant and origin, so a change is seen everywhere
  as soon as it is committed. Without a broker (SQLite) a change is seen within the TTL:
  ``ORIGIN_TTL`` seconds for a removed origin, ``ORIGIN_REFUSAL_TTL`` for a new one.

Add or remove origins with ``add_origin`` / ``remove_origin`` (from an admin endpoint of
your own, a job, or another service), or with any SQL client followed by
``SELECT pg_notify('cors_origins', '{"host": "...", "origin": "..."}')``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, delete, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cors_routes import CORSPolicy, OriginCache, cached_origins, install

logger = logging.getLogger("tenant_origins")

CHANNEL = "cors_origins"

metadata = MetaData()
tenant_origins = Table(
    "tenant_origins",
    metadata,
    Column("host", String(253), primary_key=True),  # the tenant: the Host it is served on
    Column("origin", String(270), primary_key=True),  # scheme://host[:port], as browsers send
)


def tenant_of(request: HTTPConnection) -> str:
    """The tenant a request is for: its host name, without the port, lower-cased."""
    return (request.url.hostname or "").lower()


class OriginStore:
    """The tenants' origins in a database, asked through a cache."""

    def __init__(self, url: str, *, ttl: float = 300.0, refusal_ttl: float = 30.0) -> None:
        self.url = make_url(url)
        self.engine: AsyncEngine = create_async_engine(self.url)
        self.queries = 0  # what the database was asked: the cache keeps this low
        self.name = uuid.uuid4().hex  # names this worker's own announcements
        # Keyed by tenant_of (not the raw Host header): a notification names the tenant,
        # and invalidate(key=...) must find every answer held for it.
        self.cache: OriginCache = cached_origins(
            self.allows, ttl=ttl, refusal_ttl=refusal_ttl, key=tenant_of
        )

    @property
    def notifies(self) -> bool:
        """Whether changes are announced to other workers (PostgreSQL LISTEN/NOTIFY)."""
        return self.url.get_backend_name() == "postgresql"

    async def allows(self, origin: str, request: HTTPConnection) -> bool:
        """The predicate: has the request's tenant registered ``origin``?"""
        self.queries += 1
        query = select(tenant_origins.c.origin).where(
            tenant_origins.c.host == tenant_of(request), tenant_origins.c.origin == origin
        )
        async with self.engine.connect() as connection:
            return (await connection.execute(query)).first() is not None

    async def create_tables(self) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

    async def add_origin(self, host: str, origin: str) -> None:
        await self._change(insert(tenant_origins).values(host=host, origin=origin), host, origin)

    async def remove_origin(self, host: str, origin: str) -> None:
        statement = delete(tenant_origins).where(
            tenant_origins.c.host == host, tenant_origins.c.origin == origin
        )
        await self._change(statement, host, origin)

    async def _change(self, statement: Any, host: str, origin: str) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(statement)
            if self.notifies:
                # Sent when the transaction commits, to every listening worker on every host.
                payload = json.dumps({"host": host, "origin": origin, "from": self.name})
                await connection.execute(
                    text("SELECT pg_notify(:channel, :payload)"),
                    {"channel": CHANNEL, "payload": payload},
                )
        self.forget(host, origin)  # this worker at once, whatever the database

    def forget(self, host: str, origin: str | None) -> None:
        if origin is None:
            self.cache.invalidate(key=host)
        else:
            self.cache.invalidate(origin, key=host)

    # -- LISTEN: the other workers' changes ---------------------------------------------------

    async def listen(self, listening: asyncio.Event) -> None:
        """Forget cached answers as other workers announce changes; reconnect if the
        connection drops (forgetting everything then: announcements may have been missed)."""
        import asyncpg  # only with PostgreSQL

        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)

        def on_notification(connection: Any, pid: int, channel: str, payload: str) -> None:
            try:
                change = json.loads(payload)
                if change.get("from") != self.name:  # this worker forgot at once
                    self.forget(str(change["host"]), change.get("origin"))
            except (ValueError, KeyError, TypeError):
                logger.warning("unreadable %s notification %r: forgetting all", channel, payload)
                self.cache.invalidate_all()

        while True:
            try:
                connection = await asyncpg.connect(dsn)
            except (OSError, asyncpg.PostgresError) as error:
                logger.warning("cannot LISTEN for origin changes (%s); retrying", error)
                await asyncio.sleep(1.0)
                continue
            lost = asyncio.Event()
            connection.add_termination_listener(lambda _, lost=lost: lost.set())
            try:
                await connection.add_listener(CHANNEL, on_notification)
                self.cache.invalidate_all()  # changes made while nobody listened
                listening.set()
                await lost.wait()
                logger.warning("lost the LISTEN connection; reconnecting")
            finally:
                with contextlib.suppress(Exception):
                    await connection.close()


def create_app(url: str | None = None) -> Starlette:
    url = url or os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///tenant_origins.db")
    store = OriginStore(
        url,
        ttl=float(os.environ.get("ORIGIN_TTL", "300")),
        refusal_ttl=float(os.environ.get("ORIGIN_REFUSAL_TTL", "30")),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await store.create_tables()
        listener = None
        if store.notifies:
            listening = asyncio.Event()
            listener = asyncio.create_task(store.listen(listening))
            # Serve only once changes are heard (or after 10 s, on the TTL alone).
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(listening.wait(), 10)
        try:
            yield
        finally:
            if listener is not None:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
            await store.engine.dispose()

    async def items(request: Request) -> JSONResponse:
        return JSONResponse({"tenant": tenant_of(request), "items": ["teapot"]})

    app = Starlette(
        routes=[Route("/api/items", items, methods=["GET", "POST", "PUT"])], lifespan=lifespan
    )
    app.state.store = store
    install(
        app,
        default=CORSPolicy(
            allow_origin_func=store.cache,
            allow_methods=["GET", "POST", "PUT"],
            allow_headers=["content-type", "authorization"],
            allow_credentials=True,
        ),
    )
    return app


app = create_app()
