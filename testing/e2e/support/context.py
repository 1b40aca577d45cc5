"""What every case gets: configuration, clients and user-service helpers."""

import itertools
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field

from support import checks
from support.framework import Skip
from support.http_client import Client

USER_API = "/user-service/api/v1"
DEFAULT_PASSWORD = "correct horse 42 battery"


@dataclass
class Config:
    """Where the stack under test is; the defaults are those of `make up`."""

    base_url: str
    user_sidecar_url: str
    user_grpc_addr: str
    keys_dir: str
    work_dir: str
    grpcurl: str
    running_services: list
    pricing_grpc_addr: str
    exchange_sim_url: str
    # A shell command that restarts pricing-service; the restart case needs it.
    restart_pricing: str
    run_id: str = field(default_factory=lambda: secrets.token_hex(4))

    @classmethod
    def from_environment(cls):
        root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
        grpcurl = os.path.join(root, ".local", "bin", "grpcurl")
        if not os.access(grpcurl, os.X_OK):
            grpcurl = shutil.which("grpcurl") or grpcurl
        work_dir = os.environ.get("CT_E2E_WORK_DIR") or os.path.join(root, ".local", "e2e")
        os.makedirs(work_dir, exist_ok=True)
        return cls(
            base_url=os.environ.get("CT_E2E_BASE_URL", "http://127.0.0.1:8080"),
            user_sidecar_url=os.environ.get("CT_E2E_USER_SIDECAR_URL", "http://127.0.0.1:15001"),
            user_grpc_addr=os.environ.get("CT_E2E_USER_GRPC_ADDR", "127.0.0.1:50051"),
            keys_dir=os.environ.get("CT_E2E_KEYS_DIR", os.path.join(root, ".local", "keys")),
            work_dir=work_dir,
            grpcurl=grpcurl,
            # What `make up` starts today.
            running_services=os.environ.get("CT_E2E_RUNNING_SERVICES", "user pricing").split(),
            pricing_grpc_addr=os.environ.get("CT_E2E_PRICING_GRPC_ADDR", "127.0.0.1:50052"),
            exchange_sim_url=os.environ.get("CT_E2E_EXCHANGE_SIM_URL", "http://127.0.0.1:15100"),
            restart_pricing=os.environ.get("CT_E2E_RESTART_PRICING", ""),
        )


@dataclass
class Account:
    """A registered user, signed in once."""

    email: str
    password: str
    user: dict
    tokens: dict

    @property
    def access_token(self):
        return self.tokens["accessToken"]

    @property
    def refresh_token(self):
        return self.tokens["refreshToken"]


class Context:
    """Per-case state. Each case sends from its own loopback address, so
    per-address login throttling in one case cannot affect another."""

    _email_counter = itertools.count(1)

    def __init__(self, config, case_index):
        self.config = config
        self.client_address = f"127.0.{1 + case_index // 250}.{1 + case_index % 250}"
        self.http = Client(config.base_url, source_address=self.client_address)
        self.sidecar = Client(config.user_sidecar_url)

    # ---- accounts -------------------------------------------------------

    def unique_email(self, label="user"):
        return f"{label}.{self.config.run_id}.{next(self._email_counter)}@example.com"

    def register(self, body):
        return self.http.post(f"{USER_API}/auth/register", body)

    def login(self, email, password, client=None):
        return (client or self.http).post(f"{USER_API}/auth/login", {"email": email, "password": password})

    def refresh(self, refresh_token):
        return self.http.post(f"{USER_API}/auth/refresh", {"refreshToken": refresh_token})

    def logout(self, refresh_token):
        return self.http.post(f"{USER_API}/auth/logout", {"refreshToken": refresh_token})

    def me(self, token):
        return self.http.get(f"{USER_API}/users/me", token=token)

    def update_me(self, token, body):
        return self.http.patch(f"{USER_API}/users/me", body, token=token)

    def change_password(self, token, current, new):
        return self.http.post(f"{USER_API}/users/me/password",
                              {"currentPassword": current, "newPassword": new}, token=token)

    def new_account(self, label="user", password=DEFAULT_PASSWORD, display_name=None):
        """Registers a fresh user and signs in."""
        email = self.unique_email(label)
        body = {"email": email, "password": password}
        if display_name is not None:
            body["displayName"] = display_name
        registered = self.register(body)
        checks.expect_status(registered, 200)
        tokens = checks.expect_token_pair(self.login(email, password))
        return Account(email=email, password=password, user=registered.json["user"], tokens=tokens)

    def expect_profile_unchanged(self, account, expected_user):
        """The profile as GET /users/me shows it equals `expected_user`."""
        response = self.me(account.access_token)
        checks.expect_status(response, 200)
        checks.expect(response.json == expected_user,
                      f"profile changed: {response.json!r}, expected {expected_user!r}")

    def expect_login_works(self, email, password):
        checks.expect_token_pair(self.login(email, password))


def grpcurl(config, *args, check=True):
    """Runs grpcurl in plaintext against the stack; with check, a failure
    fails the case. Skips the case where grpcurl is not installed."""
    if not os.access(config.grpcurl, os.X_OK):
        raise Skip(f"grpcurl not found at {config.grpcurl} (make deps installs it)")
    result = subprocess.run([config.grpcurl, "-plaintext", "-max-time", "10", *args],
                            capture_output=True, text=True, check=False)
    if check:
        checks.expect(result.returncode == 0, f"grpcurl {' '.join(args)} failed: {result.stderr.strip()}")
    return result
