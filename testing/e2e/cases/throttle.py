"""Login throttling: repeated wrong passwords lock the account for a while."""

from support import checks
from support.checks import expect, expect_error
from support.framework import case
from support.http_client import Client


@case("20 wrong passwords in a row end in 429, for that account only")
def wrong_passwords_throttled(ctx):
    account = ctx.new_account("throttled")
    bystander = ctx.new_account("bystander")
    statuses = []
    for attempt in range(20):
        response = ctx.login(account.email, f"wrong password {attempt}")
        statuses.append(response.status)
        expect(response.status in (401, 429), f"attempt {attempt + 1}: {response.describe()}")
        expect_error(response, response.status)
    expect(statuses[0] == 401, f"the first wrong password was not a plain 401: {statuses}")
    expect(statuses[-1] == 429, f"still no 429 after 20 wrong passwords: {statuses}")
    first_throttled = statuses.index(429)
    expect(all(status == 429 for status in statuses[first_throttled:]),
           f"throttling let attempts through again: {statuses}")
    throttled = ctx.login(account.email, "wrong password again")
    expect_error(throttled, 429, checks.GRPC_RESOURCE_EXHAUSTED)
    # Per account: the same lock applies from another client address ...
    elsewhere = Client(ctx.config.base_url, source_address="127.0.250.250")
    expect_error(ctx.login(account.email, "wrong password again", client=elsewhere), 429,
                 checks.GRPC_RESOURCE_EXHAUSTED)
    # ... while other accounts sign in normally from the same address.
    ctx.expect_login_works(bystander.email, bystander.password)
    # Sessions that existed before are not affected.
    checks.expect_token_pair(ctx.refresh(account.refresh_token))
