"""The baseline of the HTTP benchmark: a bare FastAPI endpoint on the route the documents
service revises drafts on, which reads the JSON body and answers 201 with an ETag, touching no
database. Served by uvicorn in a process of its own, like the service:

    python -m uvicorn tests.benchmarks.http_baseline:app --port 8100
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Response

app = FastAPI(title="bare endpoint")
_versions: dict[str, int] = {}


@app.post("/documents/{symbol:path}/revisions", status_code=201)
async def revise(symbol: str, body: dict[str, Any], response: Response) -> dict[str, Any]:
    version = _versions.get(symbol, 1) + 1
    _versions[symbol] = version
    response.headers["ETag"] = f'"{version}"'
    return {"symbol": f"{symbol}/Rev.{version - 1}", "title": body["text"]["title"]["en"]}
