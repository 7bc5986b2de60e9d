"""``python -m cors_routes demo``: an API and a page on another origin, in one process.

The API (``--port``, default 8000) is built as a real app is (plain routers) and given its
CORS by one ``install(app, default=...)`` call: the browser app's credentialed policy by
default, a public read, a partner router's own default, an admin-only endpoint and one that
opts out. The page (``--port`` + 1) calls each of them with ``fetch()`` and shows what the
browser allowed or blocked, and which policy decided it. Both listen on loopback only unless
``--host`` says otherwise; Ctrl-C or SIGTERM stops them.
"""

from __future__ import annotations

import html
import json
import signal
import socket
import sys
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .decorators import cors, no_cors
from .policy import CORSPolicy

ERR = sys.stderr
PARTNER_ORIGIN = "https://partner.example"
ADMIN_ORIGIN = "https://admin.example"


@dataclass(frozen=True)
class Call:
    """One fetch() the page makes, and the policy that answers it (None: no CORS)."""

    title: str
    method: str
    path: str
    source: str
    policy: CORSPolicy | None
    headers: dict[str, str]
    body: str | None = None
    credentials: str = "same-origin"

    @property
    def preflighted(self) -> bool:
        return self.method not in ("GET", "HEAD", "POST") or any(
            name.lower() != "content-type" or value != "text/plain"
            for name, value in self.headers.items()
        )


def policies(page_origin: str) -> dict[str, CORSPolicy]:
    """The demo API's named policies; the browser app is the demo page's own origin."""
    return {
        "public": CORSPolicy(allow_origins=["*"]),
        "browser_app": CORSPolicy(
            allow_origins=[page_origin],
            allow_credentials=True,
            # the app's default: unset would mean ["GET"], as in CORSMiddleware
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization"],
            expose_headers=["X-Order-Id"],
        ),
        "partner": CORSPolicy(allow_origins=[PARTNER_ORIGIN], max_age=3600),
        "admin": CORSPolicy(allow_origins=[ADMIN_ORIGIN], allow_credentials=True),
    }


def calls(named: dict[str, CORSPolicy]) -> list[Call]:
    return [
        Call("Public catalogue", "GET", "/api/products", "@cors", named["public"], {}),
        Call(
            "Place an order (the browser app, with credentials)",
            "POST",
            "/api/orders",
            "install(app, default=BROWSER_APP)",
            named["browser_app"],
            {"Content-Type": "application/json", "Authorization": "Bearer demo-token"},
            '{"product_id": 1}',
            "include",
        ),
        Call(
            "Partner stock feed",
            "GET",
            "/partner/stock",
            "the partner router's default (PartnerRoute)",
            named["partner"],
            {},
        ),
        Call("Delete a product (admin)", "DELETE", "/api/products/1", "@cors", named["admin"], {}),
        Call("Internal health check", "GET", "/internal/health", "@no_cors", None, {}),
    ]


def build_api(page_origin: str) -> Any:
    """The example API: plain routers, then one ``install()`` (FastAPI is needed here)."""
    from fastapi import APIRouter, FastAPI, Header, HTTPException
    from fastapi.responses import JSONResponse

    from ._installation import install
    from .routing import CORSRoute

    named = policies(page_origin)

    class PartnerRoute(CORSRoute):
        """Every route of the partner router defaults to the partner policy."""

        cors_policy = named["partner"]

    app = FastAPI(title="cors_routes demo shop")
    api = APIRouter(prefix="/api")  # a plain router, as in any app

    @api.get("/products")
    @cors(named["public"])
    async def list_products() -> list[dict[str, object]]:
        return [{"id": 1, "name": "teapot", "price": 20}]

    @api.post("/orders")  # no @cors: the app's default (the browser app) applies
    async def create_order(authorization: str | None = Header(default=None)) -> JSONResponse:
        if authorization is None:
            raise HTTPException(401, "log in first")
        return JSONResponse({"order": 42, "status": "created"}, headers={"X-Order-Id": "42"})

    @api.delete("/products/{product_id}")
    @cors(named["admin"])
    async def delete_product(product_id: int) -> dict[str, object]:
        return {"deleted": product_id}

    @app.get("/internal/health")
    @no_cors
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    partner = APIRouter(route_class=PartnerRoute)

    @partner.get("/stock")
    async def stock() -> dict[str, int]:
        return {"teapot": 7}

    @partner.get("/stock/debug")
    @no_cors
    async def stock_debug() -> dict[str, str]:
        return {"detail": "server-side only"}

    app.include_router(api)
    app.include_router(partner, prefix="/partner")
    return install(app, default=named["browser_app"])


def describe(policy: CORSPolicy | None) -> str:
    """A policy in the words of its keyword arguments."""
    if policy is None:
        return "no CORS policy"
    parts = [f"allow_origins={list(policy.allow_origins)!r}"]
    if policy.allow_credentials:
        parts.append("allow_credentials=True")
    if policy.allow_methods is not None:
        parts.append(f"allow_methods={list(policy.allow_methods)!r}")
    if policy.allow_headers:
        parts.append(f"allow_headers={list(policy.allow_headers)!r}")
    if policy.expose_headers:
        parts.append(f"expose_headers={list(policy.expose_headers)!r}")
    return ", ".join(parts)


def why(call: Call, origin: str) -> tuple[bool, str]:
    """(whether the browser will allow ``call`` from ``origin``, the reason in words)."""
    policy = call.policy
    if policy is None:
        return False, (
            "the endpoint has no CORS policy, so its responses carry no "
            "Access-Control-Allow-Origin and the browser hides them from this page"
        )
    if policy.origin_value(origin.encode("latin-1")) is None:
        listed = ", ".join(policy.allow_origins)
        if call.preflighted:
            return False, (
                f"{origin} is not in allow_origins ({listed}): the preflight is refused, "
                f"so the browser never sends the {call.method}"
            )
        return False, (
            f"{origin} is not in allow_origins ({listed}): the request runs, but the "
            "response has no Access-Control-Allow-Origin, so the browser hides it"
        )
    if policy.allows_any_origin:
        reason = "allow_origins=['*']: any site may read it (without cookies)"
    else:
        reason = f"{origin} is listed in allow_origins"
    if call.preflighted:
        reason += f"; the preflight granted {call.method}"
        if any(name.lower() == "authorization" for name in call.headers):
            reason += " with the Authorization header"
    if call.credentials == "include":
        reason += "; allow_credentials=True lets cookies and Authorization through"
    if policy.expose_headers:
        reason += f"; JavaScript may read {', '.join(policy.expose_headers)}"
    return True, reason


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>cors_routes demo</title>
<style>
  body {{ font: 16px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem;
         padding: 0 1.5rem; color: #1d2330; background: #fafbfc; }}
  h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }}
  .origins {{ color: #4a5261; margin-top: 0; }}
  code {{ background: #eef0f4; padding: .05rem .3rem; border-radius: 4px; font-size: .9em; }}
  table {{ border-collapse: collapse; width: 100%; background: white;
          box-shadow: 0 1px 3px rgba(0,0,0,.12); }}
  th, td {{ text-align: left; vertical-align: top; padding: .7rem .8rem;
           border-bottom: 1px solid #e3e6eb; }}
  th {{ background: #f1f3f6; font-size: .85rem; text-transform: uppercase; letter-spacing: .04em; }}
  .call {{ font-weight: 600; }}
  .request {{ font-family: ui-monospace, monospace; font-size: .85rem; }}
  .policy {{ font-family: ui-monospace, monospace; font-size: .8rem; color: #4a5261; }}
  .verdict {{ display: inline-block; min-width: 6.5rem; text-align: center; font-weight: 700;
             padding: .25rem .6rem; border-radius: 999px; color: white; background: #8a93a3; }}
  tr[data-verdict=allowed] .verdict {{ background: #1f883d; }}
  tr[data-verdict=blocked] .verdict {{ background: #cf222e; }}
  .source {{ font-family: system-ui, sans-serif; font-size: .85rem; color: #1d2330;
            margin-bottom: .25rem; }}
  .detail {{ font-size: .85rem; color: #4a5261; margin-top: .3rem; }}
  .why {{ font-size: .92rem; }}
  footer {{ margin-top: 1.2rem; color: #4a5261; font-size: .9rem; }}
</style>
</head>
<body data-done="false">
<h1>cors_routes demo: what the browser allows</h1>
<p class="origins">This page: <code id="page-origin">{origin}</code> &nbsp;·&nbsp;
API: <code>{api}</code> (another origin, so every call below is a CORS request)</p>
<table>
<thead><tr><th>Endpoint</th><th>Its policy</th><th>Browser</th><th>Why</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
<footer>Open <code>{alternative}</code> to see the same calls from another origin.
Stop the demo with Ctrl-C.</footer>
<script id="calls" type="application/json">{calls}</script>
<script>
const api = {api_json};
const calls = JSON.parse(document.getElementById("calls").textContent);
async function run(call, row) {{
  const init = {{method: call.method, headers: call.headers, credentials: call.credentials}};
  if (call.body !== null) init.body = call.body;
  let verdict, detail;
  try {{
    const response = await fetch(api + call.path, init);
    const text = await response.text();
    const order = response.headers.get("X-Order-Id");
    verdict = "allowed";
    detail = `HTTP ${{response.status}}: ${{text}}` + (order ? ` · X-Order-Id: ${{order}}` : "");
  }} catch (error) {{
    verdict = "blocked";
    detail = `${{error.name}}: ${{error.message}} (the console says why)`;
  }}
  row.dataset.verdict = verdict;
  row.querySelector(".verdict").textContent = verdict.toUpperCase();
  row.querySelector(".detail").textContent = detail;
}}
const rows = document.querySelectorAll("tbody tr");
Promise.all(calls.map((call, i) => run(call, rows[i])))
  .finally(() => {{ document.body.dataset.done = "true"; }});
</script>
</body>
</html>
"""

ROW = """<tr data-verdict="pending" data-expected="{expected}" data-path="{path}">
<td><div class="call">{title}</div><div class="request">{method} {path}{extra}</div></td>
<td class="policy"><div class="source">{source}</div>{policy}</td>
<td><span class="verdict">…</span><div class="detail"></div></td>
<td class="why">{why}</td>
</tr>"""


def render_page(api_url: str, origin: str, alternative: str, demo_calls: list[Call]) -> str:
    rows = []
    for call in demo_calls:
        allowed, reason = why(call, origin)
        extra = [f"+ {name}" for name in call.headers if name.lower() != "content-type"]
        if call.credentials == "include":
            extra.append("+ credentials")
        rows.append(
            ROW.format(
                expected="allowed" if allowed else "blocked",
                path=html.escape(call.path),
                title=html.escape(call.title),
                method=call.method,
                extra=html.escape(" " + " ".join(extra) if extra else ""),
                source=html.escape(call.source),
                policy=html.escape(describe(call.policy)),
                why=html.escape(reason),
            )
        )
    data = [
        {
            "method": c.method,
            "path": c.path,
            "headers": c.headers,
            "body": c.body,
            "credentials": c.credentials,
        }
        for c in demo_calls
    ]
    return PAGE.format(
        origin=html.escape(origin),
        api=html.escape(api_url),
        api_json=json.dumps(api_url),
        alternative=html.escape(alternative),
        rows="\n".join(rows),
        calls=json.dumps(data).replace("<", "\\u003c"),
    )


def build_page(api_url: str, page_origin: str) -> ASGIApp:
    """The page: rendered for the origin it is opened at (the Host it was asked for)."""
    default_host = page_origin.split("://", 1)[1]
    demo_calls = calls(policies(page_origin))

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        if request.url.path != "/":
            response: Response = Response("not found", status_code=404)
        else:
            host = request.headers.get("host", default_host)
            port = host.rsplit(":", 1)[1] if ":" in host else "80"
            other = "127.0.0.1" if host.startswith("localhost") else "localhost"
            body = render_page(api_url, f"http://{host}", f"http://{other}:{port}", demo_calls)
            response = HTMLResponse(body)
        await response(scope, receive, send)

    return app


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # connections queue from now on, before the server loop starts
    except OSError:
        sock.close()
        raise
    return sock


class _Stop(Exception):
    """Raised by the SIGTERM handler, once the server has shut down."""


def _by_port(routes: dict[int, ASGIApp]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server") or ("", 0)
        await routes[int(server[1])](scope, receive, send)

    return app


def run(host: str = "127.0.0.1", port: int = 8000) -> int:
    """Serve the demo API on ``port`` and its page on ``port + 1``; blocks until stopped.

    Returns the process exit status: 0 after Ctrl-C or SIGTERM, 1 when it cannot start.
    """
    try:
        import uvicorn
    except ModuleNotFoundError:
        print("the demo needs uvicorn and FastAPI: pip install 'cors-routes[demo]'", file=ERR)
        return 1
    if not 0 < port < 65535:
        print(f"--port {port}: pick a port from 1 to 65534 (the page uses port + 1)", file=ERR)
        return 1
    url_host = _url_host(host)
    api_url = f"http://{url_host}:{port}"
    page_url = f"http://{url_host}:{port + 1}"
    sockets: list[socket.socket] = []
    try:
        for p in (port, port + 1):
            sockets.append(_bind(host, p))
    except OSError as error:
        for sock in sockets:
            sock.close()
        print(
            f"cannot listen on {host}:{p} ({error.strerror}): pick other ports with --port",
            file=ERR,
        )
        return 1

    def stop(signum: int, frame: object) -> None:
        raise _Stop

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        app = _by_port({port: build_api(page_url), port + 1: build_page(api_url, page_url)})
        server = uvicorn.Server(
            uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
        )
        print("cors_routes demo", flush=True)
        print(f"  API   {api_url}   (one CORS policy per endpoint)", flush=True)
        print(f"  page  {page_url}   <- open this: another origin, calling the API", flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        # uvicorn handles SIGINT/SIGTERM while serving (graceful shutdown), then re-raises
        # the signal it caught: KeyboardInterrupt for Ctrl-C, _Stop for SIGTERM.
        server.run(sockets=sockets)
    except (KeyboardInterrupt, _Stop):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for sock in sockets:
            sock.close()
    print("cors_routes demo stopped", flush=True)
    return 0
