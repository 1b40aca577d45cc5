"""Assertions on responses, with messages that show what came back."""

import datetime
import re

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# gRPC status codes as the gateway reports them in {"code": ...}.
GRPC_INVALID_ARGUMENT = 3
GRPC_NOT_FOUND = 5
GRPC_ALREADY_EXISTS = 6
GRPC_RESOURCE_EXHAUSTED = 8
GRPC_UNAVAILABLE = 14
GRPC_UNAUTHENTICATED = 16


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


def expect_status(response, status):
    expect(response.status == status,
           f"expected HTTP {status}, got {response.describe()}")


def expect_json_content_type(response):
    content_type = response.header("content-type") or ""
    expect(content_type.startswith("application/json"),
           f"expected a JSON content type, got {content_type!r}: {response.describe()}")


def expect_error(response, status, grpc_code=None, mentions=None):
    """An error answer: the HTTP status, a JSON body {code, message, details}
    with a non-empty message, optionally a gRPC code and words the message
    must contain (case-insensitive). Returns the message."""
    expect_status(response, status)
    expect_json_content_type(response)
    body = response.json
    expect(isinstance(body, dict), f"error body is not a JSON object: {response.describe()}")
    message = body.get("message")
    expect(isinstance(message, str) and message.strip(),
           f"error body has no message: {response.describe()}")
    expect(isinstance(body.get("code"), int), f"error body has no numeric code: {response.describe()}")
    if grpc_code is not None:
        expect(body["code"] == grpc_code,
               f"expected gRPC code {grpc_code}, got {body['code']}: {response.describe()}")
    for word in [mentions] if isinstance(mentions, str) else (mentions or []):
        expect(word.lower() in message.lower(),
               f"expected the message to mention {word!r}: {response.describe()}")
    return message


def expect_no_internals(message):
    """An error message must not leak SQL, stack traces or addresses."""
    lowered = message.lower()
    for leak in ("sql", "pqxx", "postgres", "exception", "stack", "127.0.0.1", "::"):
        expect(leak not in lowered, f"error message leaks internals ({leak!r}): {message!r}")


def parse_timestamp(value, what):
    expect(isinstance(value, str), f"{what} is not a string: {value!r}")
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise AssertionError(f"{what} is not an RFC 3339 timestamp: {value!r}") from None


def expect_user(user, email=None, display_name=None):
    """The User message as JSON: id (UUID), email, displayName, createTime,
    updateTime. Checks given values exactly."""
    expect(isinstance(user, dict), f"user is not an object: {user!r}")
    expected_keys = {"id", "email", "displayName", "createTime", "updateTime"}
    expect(set(user) == expected_keys, f"user has keys {sorted(user)}, expected {sorted(expected_keys)}")
    expect(UUID_RE.match(user["id"] or ""), f"user id is not a UUID: {user['id']!r}")
    created = parse_timestamp(user["createTime"], "createTime")
    updated = parse_timestamp(user["updateTime"], "updateTime")
    expect(updated >= created, f"updateTime {updated} before createTime {created}")
    if email is not None:
        expect(user["email"] == email, f"email {user['email']!r}, expected {email!r}")
    if display_name is not None:
        expect(user["displayName"] == display_name,
               f"displayName {user['displayName']!r}, expected {display_name!r}")


def expect_token_pair(response):
    """A successful Login/Refresh answer; returns the body."""
    expect_status(response, 200)
    expect_json_content_type(response)
    body = response.json
    expected_keys = {"accessToken", "refreshToken", "expiresIn", "tokenType", "refreshExpiresIn"}
    expect(isinstance(body, dict) and set(body) == expected_keys,
           f"token answer has keys {sorted(body or {})}, expected {sorted(expected_keys)}")
    expect(body["tokenType"] == "Bearer", f"tokenType {body['tokenType']!r}")
    expect(body["accessToken"].count(".") == 2, f"access token is not a JWT: {body['accessToken']!r}")
    expect(isinstance(body["refreshToken"], str) and len(body["refreshToken"]) >= 20,
           f"refresh token too short to be unguessable: {body['refreshToken']!r}")
    expect(body["refreshToken"] != body["accessToken"], "refresh token equals access token")
    expect(isinstance(body["expiresIn"], int) and 0 < body["expiresIn"] <= 3600,
           f"expiresIn {body['expiresIn']!r}")
    expect(isinstance(body["refreshExpiresIn"], int) and body["refreshExpiresIn"] > body["expiresIn"],
           f"refreshExpiresIn {body['refreshExpiresIn']!r}")
    return body


def expect_empty_object(response):
    expect_status(response, 200)
    expect(response.json == {}, f"expected {{}}, got {response.describe()}")
