"""Every kind of bad request body, and that it leaves no trace.

Each case checks the error (status, JSON body, a message naming the
problem) and then that nothing changed: no account was created, the
profile is as before, signing in still works.
"""

from support import checks
from support.checks import GRPC_INVALID_ARGUMENT, expect, expect_error
from support.context import DEFAULT_PASSWORD, USER_API
from support.framework import case

REGISTER = f"{USER_API}/auth/register"
LOGIN = f"{USER_API}/auth/login"


def expect_not_registered(ctx, email, password=DEFAULT_PASSWORD):
    """No account exists for `email`: signing in fails like a wrong password."""
    expect_error(ctx.login(email, password), 401, checks.GRPC_UNAUTHENTICATED)


@case("malformed JSON bodies are refused with 400 on every JSON route")
def malformed_json(ctx):
    account = ctx.new_account()
    bodies = ['{"email": "a@example.com", "password": ', "{email: 1}", "not json", '{"a":1}}',
              '{"email": "x@example.com"} trailing', "\x00\x01", "{'single': 'quotes'}"]
    routes = [("POST", REGISTER), ("POST", LOGIN), ("POST", f"{USER_API}/auth/refresh"),
              ("POST", f"{USER_API}/auth/logout"), ("PATCH", f"{USER_API}/users/me"),
              ("POST", f"{USER_API}/users/me/password")]
    for method, path in routes:
        for body in bodies:
            response = ctx.http.request(method, path, body=body, token=account.access_token)
            expect_error(response, 400, GRPC_INVALID_ARGUMENT)
    ctx.expect_profile_unchanged(account, account.user)
    ctx.expect_login_works(account.email, account.password)


@case("empty and non-object bodies are refused with 400")
def empty_bodies(ctx):
    account = ctx.new_account()
    for body in ["", "   ", "null", "[]", '"text"', "42", "true"]:
        for method, path in [("POST", REGISTER), ("POST", LOGIN), ("PATCH", f"{USER_API}/users/me")]:
            response = ctx.http.request(method, path, body=body, token=account.access_token)
            expect_error(response, 400, GRPC_INVALID_ARGUMENT)
    # No body at all (no Content-Length) as well.
    expect_error(ctx.http.request("POST", REGISTER), 400, GRPC_INVALID_ARGUMENT)
    ctx.expect_profile_unchanged(account, account.user)


@case("register without email or password names the missing field")
def register_missing_fields(ctx):
    email = ctx.unique_email()
    expect_error(ctx.register({"password": DEFAULT_PASSWORD}), 400, GRPC_INVALID_ARGUMENT, "email")
    expect_error(ctx.register({"email": email}), 400, GRPC_INVALID_ARGUMENT, "password")
    expect_error(ctx.register({"email": "", "password": DEFAULT_PASSWORD}), 400, GRPC_INVALID_ARGUMENT, "email")
    expect_error(ctx.register({"email": email, "password": ""}), 400, GRPC_INVALID_ARGUMENT, "password")
    expect_error(ctx.register({}), 400, GRPC_INVALID_ARGUMENT)
    expect_not_registered(ctx, email)


@case("unknown fields are refused and named")
def unknown_fields(ctx):
    account = ctx.new_account()
    email = ctx.unique_email()
    expect_error(ctx.register({"email": email, "password": DEFAULT_PASSWORD, "isAdmin": True}),
                 400, GRPC_INVALID_ARGUMENT, "isAdmin")
    expect_not_registered(ctx, email)
    expect_error(ctx.http.post(LOGIN, {"email": account.email, "password": account.password, "otp": "1"}),
                 400, GRPC_INVALID_ARGUMENT, "otp")
    expect_error(ctx.update_me(account.access_token, {"displayName": "X", "email": "evil@example.com"}),
                 400, GRPC_INVALID_ARGUMENT, "email")
    expect_error(ctx.update_me(account.access_token, {"id": "00000000-0000-0000-0000-000000000000"}),
                 400, GRPC_INVALID_ARGUMENT, "id")
    ctx.expect_profile_unchanged(account, account.user)


@case("fields of the wrong JSON type are refused with 400")
def wrong_types(ctx):
    account = ctx.new_account()
    email = ctx.unique_email()
    for body in [{"email": 123, "password": DEFAULT_PASSWORD},
                 {"email": email, "password": True},
                 {"email": [email], "password": DEFAULT_PASSWORD},
                 {"email": {"address": email}, "password": DEFAULT_PASSWORD},
                 {"email": email, "password": DEFAULT_PASSWORD, "displayName": 7},
                 {"email": None, "password": DEFAULT_PASSWORD, "displayName": ["a"]}]:
        expect_error(ctx.register(body), 400, GRPC_INVALID_ARGUMENT)
    expect_not_registered(ctx, email)
    for body in [{"displayName": 5}, {"displayName": False}, {"displayName": {"x": 1}}, {"displayName": ["a"]}]:
        expect_error(ctx.update_me(account.access_token, body), 400, GRPC_INVALID_ARGUMENT)
    expect_error(ctx.http.post(f"{USER_API}/auth/refresh", {"refreshToken": 12}), 400, GRPC_INVALID_ARGUMENT)
    ctx.expect_profile_unchanged(account, account.user)
    ctx.expect_login_works(account.email, account.password)


@case("a 10 MB body is refused with 413 by the ingress")
def huge_body(ctx):
    account = ctx.new_account()
    filler = "x" * (10 * 1024 * 1024)
    body = '{"email": "big@example.com", "password": "' + filler + '"}'
    response = ctx.http.post(REGISTER, body)
    message = expect_error(response, 413, checks.GRPC_RESOURCE_EXHAUSTED)
    expect("bytes" in message or "large" in message.lower(), f"413 message: {message!r}")
    response = ctx.http.patch(f"{USER_API}/users/me", '{"displayName": "' + filler + '"}',
                              token=account.access_token)
    expect_error(response, 413)
    ctx.expect_profile_unchanged(account, account.user)


@case("a body over the gateway's limit is refused with 413 by the sidecar itself")
def sidecar_body_limit(ctx):
    body = '{"email": "big@example.com", "password": "' + "y" * (2 * 1024 * 1024) + '"}'
    response = ctx.sidecar.post("/api/v1/auth/register", body)
    expect_error(response, 413, checks.GRPC_RESOURCE_EXHAUSTED)


INVALID_EMAILS = [
    "plainaddress", "@example.com", "user@", "user@@example.com", "user@exa mple.com",
    "us er@example.com", "user@example", "user@.com", "user@example..com", "a@b@example.com",
    "user@example.com, other@example.com", "User <user@example.com>", "user\n@example.com",
    "user@example.com\r\nBcc: x@example.com", "user\u0000@example.com",
]


@case("invalid emails are refused and named")
def invalid_emails(ctx):
    for email in INVALID_EMAILS:
        response = ctx.register({"email": email, "password": DEFAULT_PASSWORD})
        expect_error(response, 400, GRPC_INVALID_ARGUMENT, "email")
        checks.expect_no_internals(response.json["message"])


@case("emails longer than 254 characters are refused")
def overlong_email(ctx):
    # 64 + 1 + 247 = 312 characters, each part within its own limit.
    email = "a" * 64 + "@" + ".".join(["d" * 60] * 4) + ".com"
    expect_error(ctx.register({"email": email, "password": DEFAULT_PASSWORD}), 400, GRPC_INVALID_ARGUMENT, "email")
    huge = "b" * 5000 + "@example.com"
    expect_error(ctx.register({"email": huge, "password": DEFAULT_PASSWORD}), 400, GRPC_INVALID_ARGUMENT, "email")
    # At login an overlong email is either refused as such or simply unknown.
    response = ctx.login(huge, DEFAULT_PASSWORD)
    expect(response.status in (400, 401), f"login with a 5000-character email: {response.describe()}")
    expect_error(response, response.status)


@case("weak passwords are refused and named")
def weak_passwords(ctx):
    email = ctx.unique_email()
    for password in ["short1!", "abc123", "abcdefghijklmnop", "ABCDEFGHIJKLMNOP", "1234567890123",
                     "!!!!!!!!!!!!!", "          ", "ääääääää1"]:
        response = ctx.register({"email": email, "password": password})
        expect_error(response, 400, GRPC_INVALID_ARGUMENT, "password")
    # Equal to the email (itself long enough and mixed).
    expect_error(ctx.register({"email": email, "password": email}), 400, GRPC_INVALID_ARGUMENT, "password")
    expect_not_registered(ctx, email)


@case("password length limits count code points: 10 and 128 pass, 129 fails")
def password_lengths(ctx):
    too_long = "p4" + "x" * 127
    email = ctx.unique_email()
    expect_error(ctx.register({"email": email, "password": too_long}), 400, GRPC_INVALID_ARGUMENT, "password")
    expect_not_registered(ctx, email, too_long[:128])
    for password in ["ü" * 9 + "1", "p4" + "€" * 126]:
        email = ctx.unique_email()
        expect(ctx.register({"email": email, "password": password}).status == 200,
               f"{len(password)} code points refused")
        ctx.expect_login_works(email, password)


@case("overlong passwords at login are refused without checking them")
def login_overlong_password(ctx):
    account = ctx.new_account()
    response = ctx.login(account.email, "x1" * 5000)
    expect(response.status in (400, 401), f"overlong login password: {response.describe()}")
    expect_error(response, response.status)
    ctx.expect_login_works(account.email, account.password)


@case("display name limits: 64 characters pass, 65 and control characters fail")
def display_name_limits(ctx):
    account = ctx.new_account(display_name="Original")
    sixty_four = "é" * 64
    response = ctx.update_me(account.access_token, {"displayName": sixty_four})
    checks.expect_status(response, 200)
    checks.expect_user(response.json, display_name=sixty_four)
    current = response.json
    for bad in ["é" * 65, "", "    ", "tab\there", "bell\u0007", "nul\u0000byte", "line\nbreak", "\u009f"]:
        expect_error(ctx.update_me(account.access_token, {"displayName": bad}), 400, GRPC_INVALID_ARGUMENT,
                     "display")
        ctx.expect_profile_unchanged(account, current)
    email = ctx.unique_email()
    expect_error(ctx.register({"email": email, "password": DEFAULT_PASSWORD, "displayName": "x" * 65}),
                 400, GRPC_INVALID_ARGUMENT, "display")
    expect_not_registered(ctx, email)


@case("duplicate registration is 409, also with other case and spaces")
def duplicate_registration(ctx):
    account = ctx.new_account()
    for email in [account.email, account.email.upper(), f"  {account.email.title()} "]:
        response = ctx.register({"email": email, "password": "another password 9"})
        expect_error(response, 409, checks.GRPC_ALREADY_EXISTS)
    # The original account keeps its password.
    ctx.expect_login_works(account.email, account.password)
    expect_error(ctx.login(account.email, "another password 9"), 401, checks.GRPC_UNAUTHENTICATED)


@case("wrong password and unknown email give the same 401")
def login_failures_identical(ctx):
    account = ctx.new_account()
    wrong_password = ctx.login(account.email, "not the password 1")
    unknown_email = ctx.login(ctx.unique_email("nobody"), "not the password 1")
    first = expect_error(wrong_password, 401, checks.GRPC_UNAUTHENTICATED)
    second = expect_error(unknown_email, 401, checks.GRPC_UNAUTHENTICATED)
    expect(first == second, f"messages differ: {first!r} vs {second!r}")
    expect(wrong_password.json == unknown_email.json,
           f"bodies differ: {wrong_password.json!r} vs {unknown_email.json!r}")
    ctx.expect_login_works(account.email, account.password)


@case("login without email or password is 400")
def login_missing_fields(ctx):
    expect_error(ctx.http.post(LOGIN, {"email": ctx.unique_email()}), 400, GRPC_INVALID_ARGUMENT, "password")
    expect_error(ctx.http.post(LOGIN, {"password": DEFAULT_PASSWORD}), 400, GRPC_INVALID_ARGUMENT, "email")


@case("refresh and logout without a token are 400, with a junk token 400 or 401")
def refresh_bad_tokens(ctx):
    for path in [f"{USER_API}/auth/refresh", f"{USER_API}/auth/logout"]:
        expect_error(ctx.http.post(path, {}), 400, GRPC_INVALID_ARGUMENT, "refresh")
        expect_error(ctx.http.post(path, {"refreshToken": ""}), 400, GRPC_INVALID_ARGUMENT, "refresh")
    # A token that cannot be one is either invalid input or simply not
    # accepted; never anything else.
    for junk in ["junk", "x" * 5000, "' OR '1'='1", "\u00e9\u00e8"]:
        response = ctx.refresh(junk)
        expect(response.status in (400, 401), f"refresh with {junk[:20]!r}: {response.describe()}")
        expect_error(response, response.status)
    account = ctx.new_account()
    # An access token is not a refresh token.
    response = ctx.refresh(account.access_token)
    expect(response.status in (400, 401), f"refresh with an access token: {response.describe()}")
    expect_error(response, response.status)
    checks.expect_token_pair(ctx.refresh(account.refresh_token))


@case("change password without fields is 400 and changes nothing")
def change_password_missing_fields(ctx):
    account = ctx.new_account()
    path = f"{USER_API}/users/me/password"
    expect_error(ctx.http.post(path, {"newPassword": "fresh secret 77"}, token=account.access_token),
                 400, GRPC_INVALID_ARGUMENT, "password")
    expect_error(ctx.http.post(path, {"currentPassword": account.password}, token=account.access_token),
                 400, GRPC_INVALID_ARGUMENT, "password")
    ctx.expect_login_works(account.email, account.password)
    checks.expect_token_pair(ctx.refresh(account.refresh_token))
