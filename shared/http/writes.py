"""Writes over HTTP in a few lines: the event store, If-Match, Idempotency-Key and the ETag of
what was written, as one dependency.

A write route states its body and calls its command through `Write`::

    @router.post("/member-states/{code}/admission", status_code=201)
    @SECRETARIAT_ONLY
    async def admit_member(code: StateCodePath, body: AdmissionIn, write: Write) -> Written:
        \"\"\"Record an applicant's admission by the Summit's decision.\"\"\"
        return await write(commands.admit_member, state=code, decision=body.decision)

`write(command, **arguments)` calls ``command(store=..., expected=..., **arguments)`` (the
version the client's If-Match expects, None without one), sets the ETag of the stream's new
version on the answer and returns `Written`. A route whose command returns something else
uses `write.store` and `write.expected` and shapes its own answer (`write.etag(version)`).

The Idempotency-Key itself is honoured by `shared.http.idempotency.IdempotencyMiddleware`
before the route runs; the dependency declares the header so that the API description says
a client may send it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from shared.commands import Recorded
from shared.eventstore.postgres import PostgresEventStore
from shared.http.etag import ExpectedVersion, set_etag


async def event_store(request: Request) -> PostgresEventStore:
    """Dependency: the app's event store (opened by its lifespan). Async, as every dependency
    of the kit and the services is: FastAPI runs a plain `def` one in a worker thread, a hop
    to the thread pool and back on every request for what is an attribute read."""
    return request.app.state.store


Store = Annotated[PostgresEventStore, Depends(event_store)]


class Written(BaseModel):
    """What a write recorded: the stream, its version now (also the ETag), the events."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"stream_id": "state-KWT", "version": 2, "recorded": ["MemberAdmitted"]}]
        }
    )

    stream_id: str = Field(examples=["state-KWT"])
    version: int = Field(examples=[2])
    recorded: list[str] = Field(examples=[["MemberAdmitted"]])

    @classmethod
    def of(cls, recorded: Recorded) -> Written:
        """What `recorded` wrote: nothing when its events were in the log already (a
        concurrent retry of the same request got in first)."""
        return cls(
            stream_id=recorded.stream_id,
            version=recorded.version,
            recorded=[] if recorded.duplicate else [e.event_type for e in recorded.events],
        )


@dataclass
class Writer:
    """A write request's store, expected version and answer (see the module's docstring)."""

    store: PostgresEventStore
    expected: int | None
    response: Response

    async def __call__(
        self, command: Callable[..., Awaitable[Recorded]], /, **arguments: Any
    ) -> Written:
        recorded = await command(store=self.store, expected=self.expected, **arguments)
        return self.written(recorded)

    def written(self, recorded: Recorded) -> Written:
        """`recorded` as the answer, with its ETag."""
        self.etag(recorded.version)
        return Written.of(recorded)

    def etag(self, version: int) -> None:
        set_etag(self.response, version)


async def writer(
    store: Store,
    response: Response,
    expected: ExpectedVersion,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Any 1 to 255 printable ASCII characters (a UUID will do): a retry "
            "with the same key gets the first answer, and records nothing again.",
            min_length=1,
            max_length=255,
            pattern=r"^[\x20-\x7e]+$",
        ),
    ] = None,
) -> Writer:
    """Dependency: the request's `Writer`."""
    return Writer(store, expected, response)


Write = Annotated[Writer, Depends(writer)]
