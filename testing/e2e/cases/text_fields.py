"""SQL metacharacters and Unicode in every string field.

Whatever a string field holds must be stored and returned exactly (after
the documented trimming and lower-casing), or refused with a 400; never a
500, never a changed value.
"""

from support import checks
from support.checks import expect, expect_error, expect_status
from support.context import DEFAULT_PASSWORD
from support.framework import case

AWKWARD_TEXT = [
    "Robert'); DROP TABLE users;--",
    "' OR '1'='1",
    "\" OR \"\"=\"",
    "100% _wild_ \\ backslash \\\\ $1 $$ ::text",
    "/* comment */ SELECT pg_sleep(5)",
    "Zoë Ω 日本語 🚀 emoji",
    "مرحبا بالعالم",
    "e\u0301 combining + \u200b zero width",
    "<script>alert(1)</script> &amp;",
    "{\"json\": [1, 2]}",
]


@case("display names with SQL metacharacters and Unicode are stored exactly")
def awkward_display_names(ctx):
    account = ctx.new_account()
    for name in AWKWARD_TEXT:
        response = ctx.update_me(account.access_token, {"displayName": name})
        expect_status(response, 200)
        checks.expect_user(response.json, display_name=name)
        ctx.expect_profile_unchanged(account, response.json)
    # And at registration.
    for name in AWKWARD_TEXT[:3] + AWKWARD_TEXT[5:7]:
        email = ctx.unique_email()
        response = ctx.register({"email": email, "password": DEFAULT_PASSWORD, "displayName": name})
        expect_status(response, 200)
        checks.expect_user(response.json["user"], email=email, display_name=name)


@case("passwords with SQL metacharacters and Unicode work exactly as typed")
def awkward_passwords(ctx):
    for password in ["Robert'); DROP TABLE users;-- 1", "' OR '1'='1' --x9", "pässwörd 日本語 🚀 1",
                     "back\\slash \"quote\" 7"]:
        email = ctx.unique_email()
        expect_status(ctx.register({"email": email, "password": password}), 200)
        ctx.expect_login_works(email, password)
        # A near miss is wrong: nothing is normalised away.
        expect_error(ctx.login(email, password + " "), 401, checks.GRPC_UNAUTHENTICATED)
        expect_error(ctx.login(email, password.upper()), 401, checks.GRPC_UNAUTHENTICATED)


@case("emails with SQL metacharacters are stored exactly or refused, never a 500")
def awkward_emails(ctx):
    for local in ["o'brien", "robert');drop-table", "a%b_c", "x\\y", "tag+filter", "zoë", "日本"]:
        email = f"{local}.{ctx.config.run_id}@example.com"
        response = ctx.register({"email": email, "password": DEFAULT_PASSWORD})
        expect(response.status in (200, 400), f"email {email!r}: {response.describe()}")
        if response.status == 200:
            checks.expect_user(response.json["user"], email=email.lower())
            ctx.expect_login_works(email, DEFAULT_PASSWORD)
        else:
            expect_error(response, 400, checks.GRPC_INVALID_ARGUMENT, "email")


@case("SQL injection through the login email finds nobody")
def login_injection(ctx):
    account = ctx.new_account()
    for email in ["' OR '1'='1", f"{account.email}' --", "' OR 1=1; --@example.com",
                  f"{account.email}'; UPDATE users SET email='x", "%@example.com", "_%"]:
        response = ctx.login(email, "anything at all 1")
        expect(response.status in (400, 401), f"login as {email!r}: {response.describe()}")
        expect_error(response, response.status)
    ctx.expect_login_works(account.email, account.password)
    ctx.expect_profile_unchanged(account, account.user)
