"""HTTP access to the stack with the standard library only."""

import http.client
import json
import urllib.parse


class Response:
    """A finished HTTP response; `json` is the parsed body or None."""

    def __init__(self, method, path, status, headers, body):
        self.method = method
        self.path = path
        self.status = status
        self.headers = headers
        self.body = body
        self.json = None
        try:
            self.json = json.loads(body.decode("utf-8")) if body else None
        except (UnicodeDecodeError, ValueError):
            self.json = None

    def header(self, name):
        return self.headers.get(name.lower())

    def describe(self):
        text = self.body[:400].decode("utf-8", "replace")
        return f"{self.method} {self.path} -> {self.status} {text!r}"


class Client:
    """Sends requests to one base URL, optionally from a chosen local address.

    The ingress passes the peer address on as X-Real-IP and the user-service
    throttles failed logins per address, so cases that fail logins on
    purpose each use their own loopback address (127.0.0.0/8 all reaches
    the local host) and do not throttle one another.
    """

    def __init__(self, base_url, source_address=None, timeout=30):
        parsed = urllib.parse.urlsplit(base_url)
        if parsed.scheme != "http":
            raise ValueError(f"only http:// base URLs are supported: {base_url}")
        self.host = parsed.hostname
        self.port = parsed.port or 80
        self.prefix = parsed.path.rstrip("/")
        self.source_address = source_address
        self.timeout = timeout

    def request(self, method, path, body=None, headers=None, token=None):
        """Sends one request. `body` may be bytes/str (sent as is) or any
        other value (sent as JSON)."""
        all_headers = {"Accept": "application/json"}
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        if body is not None:
            all_headers["Content-Type"] = "application/json"
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        source = (self.source_address, 0) if self.source_address else None
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=self.timeout, source_address=source)
        try:
            try:
                connection.request(method, self.prefix + path, body=body, headers=all_headers)
            except (BrokenPipeError, ConnectionResetError):
                # A server may answer (413) and close before a huge body is
                # fully sent; its answer is still there to read.
                pass
            raw = connection.getresponse()
            payload = raw.read()
            headers_by_name = {name.lower(): value for name, value in raw.getheaders()}
            return Response(method, path, raw.status, headers_by_name, payload)
        finally:
            connection.close()

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, body=None, **kwargs):
        return self.request("POST", path, body=body, **kwargs)

    def patch(self, path, body=None, **kwargs):
        return self.request("PATCH", path, body=body, **kwargs)
