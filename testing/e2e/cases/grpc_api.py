"""The user-service's gRPC surface, through grpcurl (server reflection)."""

from support import context
from support.checks import expect
from support.framework import case


def grpcurl(ctx, *args):
    return context.grpcurl(ctx.config, *args).stdout


@case("grpcurl lists the user service, health and reflection")
def grpc_list(ctx):
    services = grpcurl(ctx, ctx.config.user_grpc_addr, "list").split()
    for service in ["cryptotracker.user.v1.UserService", "grpc.health.v1.Health",
                    "grpc.reflection.v1alpha.ServerReflection"]:
        expect(service in services, f"{service} not listed: {services}")


@case("grpcurl describe shows the contract with its comments")
def grpc_describe(ctx):
    text = grpcurl(ctx, ctx.config.user_grpc_addr, "describe", "cryptotracker.user.v1.UserService")
    for method in ["Register", "Login", "Refresh", "Logout", "GetMe", "UpdateMe", "ChangePassword", "GetJwks"]:
        expect(f"rpc {method} " in text, f"describe lacks rpc {method}:\n{text}")
    expect("Exchanges email and password for an access token" in text, f"describe lacks the comments:\n{text}")
    message = grpcurl(ctx, ctx.config.user_grpc_addr, "describe", "cryptotracker.user.v1.RegisterRequest")
    expect("string email = 1;" in message and "at most 254" in message, f"RegisterRequest:\n{message}")


@case("grpc.health.v1.Health/Check answers SERVING")
def grpc_health(ctx):
    text = grpcurl(ctx, ctx.config.user_grpc_addr, "grpc.health.v1.Health/Check")
    expect('"status": "SERVING"' in text, f"health check: {text}")


@case("gRPC errors carry the right status codes")
def grpc_status_codes(ctx):
    result = context.grpcurl(ctx.config, "-d", '{"email": "not-an-email", "password": "x"}',
                             ctx.config.user_grpc_addr, "cryptotracker.user.v1.UserService/Register", check=False)
    expect(result.returncode != 0, "an invalid Register succeeded over gRPC")
    expect("InvalidArgument" in result.stderr, f"expected InvalidArgument: {result.stderr}")
    result = context.grpcurl(ctx.config, ctx.config.user_grpc_addr, "cryptotracker.user.v1.UserService/GetMe",
                             check=False)
    expect("Unauthenticated" in result.stderr, f"GetMe without a token: {result.stderr}")
