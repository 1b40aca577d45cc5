"""The NGINX ingress and the gateway sidecar around the services."""

import re

from support import checks
from support.checks import expect, expect_error, expect_status
from support.context import USER_API
from support.framework import Skip, case

SERVICES = ("user", "pricing", "portfolio", "alert")


@case("the web app is served at / and unknown paths fall back to index.html")
def spa_fallback(ctx):
    index = ctx.http.get("/", headers={"Accept": "text/html"})
    expect_status(index, 200)
    expect((index.header("content-type") or "").startswith("text/html"), f"/ is not HTML: {index.describe()}")
    expect(b"<html" in index.body.lower(), "/ is not an HTML page")
    for path in ["/portfolio/123/holdings", "/settings", "/alerts?filter=active", "/a/b/c/d.e"]:
        deep = ctx.http.get(path, headers={"Accept": "text/html"})
        expect_status(deep, 200)
        expect(deep.body == index.body, f"{path} is not the app shell")


@case("the ingress strips the service prefix and keeps the query string")
def prefix_routing(ctx):
    response = ctx.http.get(f"{USER_API}/.well-known/jwks.json?unused=1&x=%2F")
    expect_status(response, 200)
    expect("keys" in response.json, f"{response.describe()}")
    # Without the prefix the API is not reachable (that would be the SPA).
    bare = ctx.http.get("/api/v1/.well-known/jwks.json")
    expect(bare.json is None, f"unprefixed API path reached a service: {bare.describe()}")


@case("unknown API routes and methods get JSON errors from the gateway")
def unknown_routes(ctx):
    expect_error(ctx.http.get(f"{USER_API}/no/such/route"), 404, checks.GRPC_NOT_FOUND)
    response = ctx.http.request("DELETE", f"{USER_API}/users/me")
    expect(response.status in (404, 405), f"DELETE /users/me: {response.describe()}")
    expect_error(response, response.status)


@case("an unknown service prefix is a JSON 404 from the ingress")
def unknown_service(ctx):
    expect_error(ctx.http.get("/nosuch-service/api/v1/things"), 404, checks.GRPC_NOT_FOUND)


@case("a route whose sidecar is down answers with a JSON 502")
def sidecar_down(ctx):
    down = [name for name in SERVICES if name not in ctx.config.running_services]
    if not down:
        raise Skip("every service runs, so no sidecar is down")
    response = ctx.http.get(f"/{down[0]}-service/api/v1/anything")
    message = expect_error(response, 502, checks.GRPC_UNAVAILABLE)
    expect(down[0] in message, f"502 message does not name the service: {message!r}")


@case("the ingress passes a valid X-Request-Id through and makes one otherwise")
def request_ids(ctx):
    response = ctx.http.get(f"{USER_API}/.well-known/jwks.json", headers={"X-Request-Id": "e2e-trace-42"})
    expect_status(response, 200)
    expect(response.header("x-request-id") == "e2e-trace-42", f"X-Request-Id {response.header('x-request-id')!r}")
    generated = ctx.http.get(f"{USER_API}/.well-known/jwks.json", headers={"X-Request-Id": "bad id\twith spaces"})
    request_id = generated.header("x-request-id") or ""
    expect(re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", request_id), f"generated X-Request-Id {request_id!r}")
    # Error answers of the ingress itself carry one too.
    expect(ctx.http.get("/nosuch-service/api/x").header("x-request-id"), "ingress 404 without X-Request-Id")


@case("the gateway serves the OpenAPI document of the service")
def openapi(ctx):
    response = ctx.http.get("/user-service/api/openapi.json")
    expect_status(response, 200)
    checks.expect_json_content_type(response)
    paths = response.json.get("paths", {})
    for path in ["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/users/me"]:
        expect(path in paths, f"OpenAPI document lacks {path}: has {sorted(paths)}")


@case("the sidecar's /healthz reports the service healthy on its own port")
def sidecar_healthz(ctx):
    response = ctx.sidecar.get("/healthz")
    expect_status(response, 200)
    # The sidecar also answers the API directly, without the ingress prefix.
    expect_status(ctx.sidecar.get("/api/v1/.well-known/jwks.json"), 200)
