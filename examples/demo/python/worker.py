"""python-worker: the demo's Python service (FastAPI + the hopscope Python package).

It exports no spans: it only writes structlog JSON lines to DEMO_LOG_FILE, which
`hopscope ingest --follow` sends to the server. The server builds its hop, with timing, from
those lines alone. Incoming x-request-id/traceparent are continued by HopscopeMiddleware, and
outgoing httpx calls carry them on (to the Node llm-gateway).

Routes: POST /classify (complexity score, embeds the prompt through the llm-gateway),
POST /tools/search (the agent's web_search tool; `[fault:tool_error]` makes it fail for real),
GET /healthz.
"""

import os
import sys
import threading

import uvicorn
from fastapi import FastAPI

import hopscope
from hopscope.integrations.asgi import HopscopeMiddleware
from hopscope.integrations.httpx import traced_async_client
from hopscope.integrations.structlog import configure_structlog

SERVICE = "python-worker"
log_file = open(os.environ["DEMO_LOG_FILE"], "a", buffering=1, encoding="utf-8")  # noqa: SIM115
hopscope.configure(SERVICE, stream=log_file, pretty=False, services_encountered=True)
log = configure_structlog(SERVICE)

app = FastAPI()
app.add_middleware(HopscopeMiddleware, received_level="info", exclude_paths=["/healthz"])
llm = traced_async_client(base_url=os.environ["DEMO_LLM_GATEWAY_URL"], timeout=10.0)

COMPLEX_WORDS = ("research", "analyze", "analyse", "write code", "plan", "compare", "chart")


@app.get("/healthz")
async def healthz() -> dict:
    return {"ok": True}


@app.post("/classify")
async def classify(body: dict) -> dict:
    text = str(body.get("text", ""))
    response = await llm.post("/v1/embeddings", json={"model": "text-embedding-3-small", "input": [text]})
    response.raise_for_status()
    signals = [w for w in COMPLEX_WORDS if w in text.lower()]
    score = min(1.0, 0.2 + 0.25 * len(signals) + len(text) / 400)
    complexity = "complex" if signals and score >= 0.5 else "simple"
    log.info("complexity_scored", score=round(score, 2), signals=signals, complexity=complexity)
    return {"complexity": complexity, "score": round(score, 2), "signals": signals}


def parse_result_count(raw: str) -> int:
    return int(raw)


@app.post("/tools/search")
@hopscope.timed("web_search")
async def search(body: dict) -> dict:
    query = str(body.get("query", ""))
    log.info("search_started", query_chars=len(query))
    # the fault is a real exception from real code, not a faked status
    raw_count = "n/a" if "[fault:tool_error]" in query else "3"
    count = parse_result_count(raw_count)
    response = await llm.post(
        "/v1/chat/completions",
        json={
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": f"Summarize search results for: {query}"}],
        },
    )
    response.raise_for_status()
    summary = response.json()["choices"][0]["message"]["content"]
    return {"results": [f"result {i + 1} for {query[:40]}" for i in range(count)], "summary": summary}


def exit_when_parent_goes() -> None:
    """The topology holds our stdin open; EOF means it is gone, so no orphan is left behind."""
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    threading.Thread(target=exit_when_parent_goes, daemon=True).start()
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["DEMO_PORT"]), log_level="warning")
