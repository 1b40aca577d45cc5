#include "services/user-service/domain/password_hasher.h"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cryptotracker::user::domain {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(PasswordHasherTest, HashesWithArgon2idAndVerifies) {
  PasswordHasher hasher;  // Production cost, so the stored form is checked.
  const std::string hash = hasher.Hash("correct horse 9");
  EXPECT_THAT(hash, StartsWith("$argon2id$"));
  EXPECT_THAT(hash, HasSubstr("m=65536"));
  EXPECT_EQ(hash.find("correct horse"), std::string::npos);
  EXPECT_TRUE(hasher.Verify(hash, "correct horse 9"));
  EXPECT_FALSE(hasher.Verify(hash, "correct horse 8"));
  EXPECT_FALSE(hasher.Verify(hash, ""));
  EXPECT_FALSE(hasher.NeedsRehash(hash));
}

TEST(PasswordHasherTest, SaltsEveryHash) {
  PasswordHasher hasher(PasswordHasher::MinimumCostForTests());
  EXPECT_NE(hasher.Hash("same password 1"), hasher.Hash("same password 1"));
}

TEST(PasswordHasherTest, VerifiesUnicodeAndEmbeddedNul) {
  PasswordHasher hasher(PasswordHasher::MinimumCostForTests());
  const std::string unicode = "p\xC3\xA4ssw\xC3\xB6rd \xF0\x9F\x94\x91 1";
  EXPECT_TRUE(hasher.Verify(hasher.Hash(unicode), unicode));
  const std::string with_nul("abc\0def", 7);
  const std::string hash = hasher.Hash(with_nul);
  EXPECT_TRUE(hasher.Verify(hash, with_nul));
  EXPECT_FALSE(hasher.Verify(hash, "abc"));
}

TEST(PasswordHasherTest, MalformedStoredHashIsAMismatch) {
  PasswordHasher hasher(PasswordHasher::MinimumCostForTests());
  EXPECT_FALSE(hasher.Verify("", "anything"));
  EXPECT_FALSE(hasher.Verify("$argon2id$garbage", "anything"));
  EXPECT_FALSE(hasher.Verify(std::string(1000, '$'), "anything"));
  EXPECT_TRUE(hasher.NeedsRehash("$argon2id$garbage"));
}

TEST(PasswordHasherTest, DetectsHashesOfAnotherCost) {
  PasswordHasher cheap(PasswordHasher::MinimumCostForTests());
  PasswordHasher interactive;
  const std::string cheap_hash = cheap.Hash("rehash me 42");
  EXPECT_TRUE(interactive.NeedsRehash(cheap_hash));
  EXPECT_FALSE(cheap.NeedsRehash(cheap_hash));
  // Verification reads the cost from the stored hash, so it still matches.
  EXPECT_TRUE(interactive.Verify(cheap_hash, "rehash me 42"));
}

TEST(PasswordHasherTest, DummyVerificationTakesComparableTime) {
  PasswordHasher hasher;
  const std::string hash = hasher.Hash("timing check 1");
  auto time = [](auto&& fn) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    return std::chrono::steady_clock::now() - start;
  };
  const auto real = time([&] { (void)hasher.Verify(hash, "wrong guess 1"); });
  const auto dummy = time([&] { hasher.VerifyAgainstDummy("wrong guess 1"); });
  // Both run a full Argon2id at the same cost; allow generous noise on a
  // shared machine but catch a dummy path that skips the work.
  EXPECT_GT(dummy * 4, real);
  EXPECT_GT(real * 4, dummy);
}

TEST(PasswordHasherTest, BoundsConcurrencyWithoutDeadlock) {
  PasswordHasher hasher(PasswordHasher::MinimumCostForTests(),
                        /*max_concurrent_hashes=*/1);
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      const std::string password = "thread pw " + std::to_string(i);
      ok[i] = hasher.Verify(hasher.Hash(password), password) ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, std::vector<int>(4, 1));
}

}  // namespace
}  // namespace cryptotracker::user::domain
