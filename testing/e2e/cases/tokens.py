"""Access tokens: the published keys, and every kind of bad bearer token.

Forged tokens are built here: an expired one and ones for another
audience or issuer signed with the service's real key (read from the
stack's key directory), one signed with a fresh key, one with `alg: none`,
and one HMAC'd with the public key as the secret (the RS/HS confusion
attack). A re-signed copy of a real token must be accepted, which shows
that the forgeries fail for the one reason each is built for.
"""

import json
import os
import time

from support import checks, tokens
from support.checks import GRPC_UNAUTHENTICATED, expect, expect_error, expect_status
from support.context import USER_API
from support.framework import Skip, case

JWKS = f"{USER_API}/.well-known/jwks.json"


def fetch_jwks(ctx):
    response = ctx.http.get(JWKS)
    expect_status(response, 200)
    checks.expect_json_content_type(response)
    keys = response.json.get("keys") if isinstance(response.json, dict) else None
    expect(isinstance(keys, list) and keys, f"JWKS without keys: {response.describe()}")
    return keys


def key_paths(ctx):
    private_key = os.path.join(ctx.config.keys_dir, "private.pem")
    public_key = os.path.join(ctx.config.keys_dir, "public.pem")
    if not (os.access(private_key, os.R_OK) and os.access(public_key, os.R_OK)):
        raise Skip(f"the service's keys are not readable in {ctx.config.keys_dir}")
    return private_key, public_key


@case("JWKS publishes an EC P-256 signing key whose kid is its RFC 7638 thumbprint")
def jwks_shape(ctx):
    keys = fetch_jwks(ctx)
    for key in keys:
        expect(key.get("kty") == "EC", f"kty {key.get('kty')!r}")
        expect(key.get("crv") == "P-256", f"crv {key.get('crv')!r}")
        expect(key.get("alg") == "ES256", f"alg {key.get('alg')!r}")
        expect(key.get("use") == "sig", f"use {key.get('use')!r}")
        expect(isinstance(key.get("kid"), str) and key["kid"], f"kid {key.get('kid')!r}")
        for coordinate in ("x", "y"):
            value = key.get(coordinate)
            expect(isinstance(value, str) and "=" not in value, f"{coordinate} {value!r} is not base64url")
            expect(len(tokens.b64url_decode(value)) == 32, f"{coordinate} is not 32 bytes")
        expect(key["kid"] == tokens.jwk_thumbprint(key),
               f"kid {key['kid']!r} is not the thumbprint {tokens.jwk_thumbprint(key)!r}")
        expect("d" not in key, "the JWKS leaks the private key")


@case("JWKS key is the service's public key and verifies issued tokens")
def jwks_verifies_tokens(ctx):
    _, public_key = key_paths(ctx)
    x, y = tokens.public_point(public_key)
    keys = fetch_jwks(ctx)
    matching = [key for key in keys if tokens.b64url_decode(key["x"]) == x and tokens.b64url_decode(key["y"]) == y]
    expect(matching, "no JWKS key equals public.pem")
    account = ctx.new_account()
    header, _ = tokens.decode_unverified(account.access_token)
    expect(header["kid"] == matching[0]["kid"], f"token kid {header['kid']!r} not the published key")
    expect(tokens.verify_es256(account.access_token, public_key, ctx.config.work_dir),
           "the access token's signature does not verify with the public key")


class Forger:
    """Copies of a real access token with chosen changes."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.private_key, self.public_key = key_paths(ctx)
        self.account = ctx.new_account("tokens")
        self.header, self.claims = tokens.decode_unverified(self.account.access_token)

    def claims_with(self, **changes):
        claims = dict(self.claims)
        claims.update(changes)
        return claims

    def signed(self, header=None, key=None, **changes):
        return tokens.sign_es256(header or self.header, self.claims_with(**changes), key or self.private_key)

    def expect_refused(self, token, what):
        response = self.ctx.me(token)
        expect(response.status == 401, f"{what}: expected 401, got {response.describe()}")
        expect_error(response, 401, GRPC_UNAUTHENTICATED)
        checks.expect_no_internals(response.json["message"])


@case("a token re-signed with the real key is accepted (control for the forgeries)")
def resigned_token_accepted(ctx):
    forger = Forger(ctx)
    response = ctx.me(forger.signed())
    expect_status(response, 200)
    expect(response.json["id"] == forger.account.user["id"], "re-signed token is for another user")


@case("requests without a usable Authorization header are 401")
def missing_and_malformed_tokens(ctx):
    account = ctx.new_account()
    path = f"{USER_API}/users/me"
    for headers in [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Bearer "},
                    {"Authorization": f"Basic {account.access_token}"},
                    {"Authorization": f"bearer{account.access_token}"},
                    {"Authorization": "Bearer abc"}, {"Authorization": "Bearer a.b.c"},
                    {"Authorization": "Bearer ..."},
                    {"Authorization": f"Bearer {account.access_token}x"},
                    {"Authorization": f"Bearer {account.access_token}.extra"},
                    {"Authorization": f"Bearer {account.refresh_token}"}]:
        response = ctx.http.get(path, headers=headers)
        expect_error(response, 401, GRPC_UNAUTHENTICATED)
    # A header too big to pass on to the service: refused as such (431) or
    # as an unusable token (401), never an internal error.
    huge = ctx.http.get(path, headers={"Authorization": "Bearer " + "A" * 8000})
    expect(huge.status in (401, 431), f"8000-character bearer token: {huge.describe()}")
    expect_error(huge, huge.status)
    # Also on the write routes.
    expect_error(ctx.update_me("junk", {"displayName": "Mallory"}), 401, GRPC_UNAUTHENTICATED)
    expect_error(ctx.change_password("junk", account.password, "new secret 123"), 401, GRPC_UNAUTHENTICATED)
    ctx.expect_profile_unchanged(account, account.user)
    ctx.expect_login_works(account.email, account.password)


@case("an expired token signed with the real key is 401")
def expired_token(ctx):
    forger = Forger(ctx)
    now = int(time.time())
    forger.expect_refused(forger.signed(iat=now - 3600, exp=now - 1800), "expired token")
    forger.expect_refused(forger.signed(nbf=now + 3600), "token not yet valid")


@case("a token signed with another key is 401")
def wrong_key_token(ctx):
    forger = Forger(ctx)
    fresh_key = tokens.generate_ec_key(os.path.join(ctx.config.work_dir, "fresh-key.pem"))
    forger.expect_refused(forger.signed(key=fresh_key), "token signed with a fresh key")
    unknown_kid = dict(forger.header, kid="some-other-key")
    forger.expect_refused(forger.signed(header=unknown_kid, key=fresh_key), "token with an unknown kid")


@case("an alg:none token is 401")
def alg_none_token(ctx):
    forger = Forger(ctx)
    for alg in ("none", "None", "NONE"):
        header = {"alg": alg, "typ": "JWT", "kid": forger.header["kid"]}
        forger.expect_refused(tokens.unsigned(header, forger.claims), f"alg {alg}")
    # A real signature does not help a token that claims alg none.
    header_none = tokens.b64url_encode(json.dumps({"alg": "none", "kid": forger.header["kid"]}).encode())
    _, claims, signature = forger.account.access_token.split(".")
    forger.expect_refused(f"{header_none}.{claims}.{signature}", "alg none with a signature")


@case("an HS256 token keyed with the public key PEM is 401")
def hmac_with_public_key(ctx):
    forger = Forger(ctx)
    with open(forger.public_key, "rb") as pem:
        public_pem = pem.read()
    header = {"alg": "HS256", "typ": "JWT", "kid": forger.header["kid"]}
    for secret in (public_pem, public_pem.strip()):
        forger.expect_refused(tokens.sign_hs256(header, forger.claims, secret), "HS256 with the public key")


@case("tampered claims, other issuer or audience are 401")
def tampered_tokens(ctx):
    forger = Forger(ctx)
    other = ctx.new_account("victim")
    header, claims, signature = forger.account.access_token.split(".")
    forged_claims = tokens.b64url_encode(json.dumps(forger.claims_with(sub=other.user["id"])).encode())
    forger.expect_refused(f"{header}.{forged_claims}.{signature}", "claims changed after signing")
    forger.expect_refused(forger.signed(iss="someone-else"), "another issuer")
    forger.expect_refused(forger.signed(aud="another-audience"), "another audience")
    # A genuine token of a user that does not exist (any more) must not
    # show anything: refused, or not found.
    response = ctx.me(forger.signed(sub="00000000-0000-0000-0000-000000000000"))
    expect(response.status in (401, 404), f"token for a missing user: {response.describe()}")
    expect_error(response, response.status)
    # Truncated signature.
    forger.expect_refused(forger.account.access_token[:-10], "truncated signature")
    # Still fine for both users.
    expect_status(ctx.me(forger.account.access_token), 200)
    ctx.expect_profile_unchanged(other, other.user)
