"""The happy path of an account, from registration to password change."""

import threading
import time

from support import checks
from support.checks import expect, expect_error, expect_status, expect_user
from support.context import DEFAULT_PASSWORD
from support.framework import case
from support.tokens import decode_unverified


@case("register returns the new user with a normalised email")
def register_returns_user(ctx):
    email = ctx.unique_email("Mixed.Case")
    response = ctx.register({"email": f"  {email.upper()}  ", "password": DEFAULT_PASSWORD})
    expect_status(response, 200)
    checks.expect_json_content_type(response)
    expect(set(response.json) == {"user"}, f"register answer: {response.describe()}")
    user = response.json["user"]
    # The display name defaults to the local part of the normalised email.
    expect_user(user, email=email.lower(), display_name=email.lower().split("@")[0])
    expect(user["createTime"] == user["updateTime"], f"new user already updated: {user}")


@case("register keeps the given display name")
def register_with_display_name(ctx):
    response = ctx.register({"email": ctx.unique_email(), "password": DEFAULT_PASSWORD,
                             "displayName": "  Satoshi N.  "})
    expect_status(response, 200)
    expect_user(response.json["user"], display_name="Satoshi N.")


@case("login returns an ES256 token pair for the user")
def login_returns_tokens(ctx):
    account = ctx.new_account()
    header, claims = decode_unverified(account.access_token)
    expect(header.get("alg") == "ES256", f"token header {header}")
    expect(isinstance(header.get("kid"), str) and header["kid"], f"token header without kid: {header}")
    expect(claims.get("sub") == account.user["id"], f"sub {claims.get('sub')!r} is not the user id")
    now = time.time()
    expect(abs(claims["iat"] - now) < 120, f"iat {claims['iat']} is not now ({now})")
    lifetime = claims["exp"] - claims["iat"]
    expect(abs(lifetime - account.tokens["expiresIn"]) <= 5,
           f"exp - iat = {lifetime}, expiresIn = {account.tokens['expiresIn']}")
    expect(claims.get("iss") == "cryptotracker-user-service", f"iss {claims.get('iss')!r}")
    audience = claims.get("aud")
    expect(audience == "cryptotracker" or (isinstance(audience, list) and "cryptotracker" in audience),
           f"aud {audience!r}")


@case("login accepts the email in any case and with spaces")
def login_email_normalised(ctx):
    account = ctx.new_account()
    ctx.expect_login_works(f"  {account.email.upper()} ", account.password)


@case("GET /users/me returns the signed-in user")
def get_me(ctx):
    account = ctx.new_account(display_name="Ada")
    response = ctx.me(account.access_token)
    expect_status(response, 200)
    expect(response.json == account.user, f"me {response.json!r} != registered {account.user!r}")
    expect_user(response.json, email=account.email, display_name="Ada")


@case("PATCH /users/me changes the display name and keeps it")
def patch_me(ctx):
    account = ctx.new_account(display_name="Before")
    time.sleep(0.01)
    response = ctx.update_me(account.access_token, {"displayName": "  After  "})
    expect_status(response, 200)
    updated = response.json
    expect_user(updated, email=account.email, display_name="After")
    expect(updated["id"] == account.user["id"], "PATCH returned another user")
    expect(updated["createTime"] == account.user["createTime"], "createTime changed")
    expect(checks.parse_timestamp(updated["updateTime"], "updateTime") >
           checks.parse_timestamp(account.user["updateTime"], "updateTime"),
           f"updateTime did not advance: {updated['updateTime']} vs {account.user['updateTime']}")
    ctx.expect_profile_unchanged(account, updated)


@case("PATCH /users/me with no field set changes nothing")
def patch_me_empty_object(ctx):
    account = ctx.new_account(display_name="Stays")
    response = ctx.update_me(account.access_token, {})
    expect_status(response, 200)
    expect_user(response.json, display_name="Stays")
    ctx.expect_profile_unchanged(account, account.user)


@case("refresh rotates the token pair")
def refresh_rotates(ctx):
    account = ctx.new_account()
    rotated = checks.expect_token_pair(ctx.refresh(account.refresh_token))
    expect(rotated["refreshToken"] != account.refresh_token, "refresh returned the same refresh token")
    expect(rotated["accessToken"] != account.access_token, "refresh returned the same access token")
    response = ctx.me(rotated["accessToken"])
    expect_status(response, 200)
    expect(response.json["id"] == account.user["id"], "the new access token is for another user")
    # The new refresh token is usable in turn.
    checks.expect_token_pair(ctx.refresh(rotated["refreshToken"]))


@case("a reused refresh token is refused and revokes its whole family")
def refresh_reuse_revokes_family(ctx):
    account = ctx.new_account()
    rotated = checks.expect_token_pair(ctx.refresh(account.refresh_token))
    expect_error(ctx.refresh(account.refresh_token), 401, checks.GRPC_UNAUTHENTICATED)
    # The token issued by the first rotation belongs to the same family.
    expect_error(ctx.refresh(rotated["refreshToken"]), 401, checks.GRPC_UNAUTHENTICATED)
    # Another sign-in is a new family and unaffected.
    fresh = checks.expect_token_pair(ctx.login(account.email, account.password))
    checks.expect_token_pair(ctx.refresh(fresh["refreshToken"]))


@case("logout revokes the refresh token and is idempotent")
def logout(ctx):
    account = ctx.new_account()
    other_session = checks.expect_token_pair(ctx.login(account.email, account.password))
    checks.expect_empty_object(ctx.logout(account.refresh_token))
    expect_error(ctx.refresh(account.refresh_token), 401, checks.GRPC_UNAUTHENTICATED)
    checks.expect_empty_object(ctx.logout(account.refresh_token))
    # Only that session ended.
    checks.expect_token_pair(ctx.refresh(other_session["refreshToken"]))


@case("logout of a rotated token's family revokes the newer token")
def logout_revokes_family(ctx):
    account = ctx.new_account()
    rotated = checks.expect_token_pair(ctx.refresh(account.refresh_token))
    checks.expect_empty_object(ctx.logout(rotated["refreshToken"]))
    expect_error(ctx.refresh(rotated["refreshToken"]), 401, checks.GRPC_UNAUTHENTICATED)


@case("change password revokes every session and only the new password signs in")
def change_password(ctx):
    account = ctx.new_account()
    second_session = checks.expect_token_pair(ctx.login(account.email, account.password))
    new_password = "a brand new secret 7"

    wrong = ctx.change_password(account.access_token, "not the password 1", new_password)
    expect(wrong.status in (400, 401, 403), f"wrong current password: {wrong.describe()}")
    expect_error(wrong, wrong.status)
    ctx.expect_login_works(account.email, account.password)

    same = ctx.change_password(account.access_token, account.password, account.password)
    expect_error(same, 400, checks.GRPC_INVALID_ARGUMENT)

    weak = ctx.change_password(account.access_token, account.password, "short1")
    expect_error(weak, 400, checks.GRPC_INVALID_ARGUMENT)
    ctx.expect_login_works(account.email, account.password)

    checks.expect_empty_object(ctx.change_password(account.access_token, account.password, new_password))
    expect_error(ctx.refresh(account.refresh_token), 401, checks.GRPC_UNAUTHENTICATED)
    expect_error(ctx.refresh(second_session["refreshToken"]), 401, checks.GRPC_UNAUTHENTICATED)
    expect_error(ctx.login(account.email, account.password), 401, checks.GRPC_UNAUTHENTICATED)
    fresh = checks.expect_token_pair(ctx.login(account.email, new_password))
    expect_status(ctx.me(fresh["accessToken"]), 200)


@case("registering the same email concurrently creates exactly one account")
def concurrent_registration(ctx):
    email = ctx.unique_email("race")
    statuses = []
    lock = threading.Lock()

    def register():
        response = ctx.register({"email": email, "password": DEFAULT_PASSWORD})
        with lock:
            statuses.append(response.status)

    threads = [threading.Thread(target=register) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expect(sorted(statuses) == [200] + [409] * 5, f"statuses {sorted(statuses)}")
    ctx.expect_login_works(email, DEFAULT_PASSWORD)
