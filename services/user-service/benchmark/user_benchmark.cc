// Costs that bound user-service's sign-in throughput: Argon2id hashing and
// verification at the production cost, and ES256 access-token signing.
//   bazel run -c opt //services/user-service/benchmark:user_benchmark
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "services/common/jwt.h"
#include "services/user-service/domain/password_hasher.h"
#include "services/user-service/domain/refresh_token.h"

namespace cryptotracker::user {
namespace {

void BM_PasswordHash(benchmark::State& state) {
  const domain::PasswordHasher hasher;
  for (auto _ : state) {
    benchmark::DoNotOptimize(hasher.Hash("correct horse 9"));
  }
}
BENCHMARK(BM_PasswordHash)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_PasswordVerify(benchmark::State& state) {
  const domain::PasswordHasher hasher;
  const std::string hash = hasher.Hash("correct horse 9");
  for (auto _ : state) {
    benchmark::DoNotOptimize(hasher.Verify(hash, "correct horse 9"));
  }
}
BENCHMARK(BM_PasswordVerify)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_SignAccessToken(benchmark::State& state) {
  auto signer =
      common::JwtSigner::FromPrivateKeyPem(*common::GenerateEcPrivateKeyPem());
  if (!signer.ok()) {
    state.SkipWithError("cannot create a signing key");
    return;
  }
  common::JwtClaims claims;
  claims.subject = "123e4567-e89b-12d3-a456-426614174000";
  claims.issuer = "cryptotracker-user-service";
  claims.audience = "cryptotracker";
  for (auto _ : state) {
    const auto now = std::chrono::system_clock::now();
    claims.token_id = domain::GenerateTokenId();
    claims.issued_at = now;
    claims.not_before = now;
    claims.expires_at = now + std::chrono::minutes(15);
    benchmark::DoNotOptimize(signer->Sign(claims));
  }
}
BENCHMARK(BM_SignAccessToken)->Unit(benchmark::kMicrosecond);

void BM_RefreshTokenIssue(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        domain::HashRefreshToken(domain::GenerateRefreshToken()));
  }
}
BENCHMARK(BM_RefreshTokenIssue)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cryptotracker::user
