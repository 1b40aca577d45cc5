#include "services/user-service/domain/login_throttle.h"

#include "gtest/gtest.h"

namespace cryptotracker::user::domain {
namespace {

TEST(DecideLoginAttemptTest, AllowsBelowBothLimits) {
  const LoginThrottlePolicy policy;  // 10 per account, 50 per address.
  EXPECT_EQ(DecideLoginAttempt(policy, 0, 0), LoginThrottleDecision::kAllow);
  EXPECT_EQ(DecideLoginAttempt(policy, 9, 49), LoginThrottleDecision::kAllow);
}

TEST(DecideLoginAttemptTest, RefusesAtAccountLimit) {
  const LoginThrottlePolicy policy;
  EXPECT_EQ(DecideLoginAttempt(policy, 10, 0),
            LoginThrottleDecision::kTooManyAccountFailures);
  EXPECT_EQ(DecideLoginAttempt(policy, 1000, 10),
            LoginThrottleDecision::kTooManyAccountFailures);
}

TEST(DecideLoginAttemptTest, RefusesAtAddressLimitFirst) {
  const LoginThrottlePolicy policy;
  EXPECT_EQ(DecideLoginAttempt(policy, 0, 50),
            LoginThrottleDecision::kTooManyAddressFailures);
  EXPECT_EQ(DecideLoginAttempt(policy, 10, 50),
            LoginThrottleDecision::kTooManyAddressFailures);
}

TEST(DecideLoginAttemptTest, TwentyConsecutiveFailuresHitTheLimit) {
  const LoginThrottlePolicy policy;
  int refused = 0;
  for (int failures = 0; failures < 20; ++failures) {
    if (DecideLoginAttempt(policy, failures, failures) !=
        LoginThrottleDecision::kAllow) {
      ++refused;
    }
  }
  EXPECT_EQ(refused, 10);
}

TEST(DecideLoginAttemptTest, HonoursCustomLimits) {
  LoginThrottlePolicy policy;
  policy.max_failures_per_account = 1;
  policy.max_failures_per_address = 3;
  EXPECT_EQ(DecideLoginAttempt(policy, 0, 2), LoginThrottleDecision::kAllow);
  EXPECT_EQ(DecideLoginAttempt(policy, 1, 2),
            LoginThrottleDecision::kTooManyAccountFailures);
  EXPECT_EQ(DecideLoginAttempt(policy, 0, 3),
            LoginThrottleDecision::kTooManyAddressFailures);
}

}  // namespace
}  // namespace cryptotracker::user::domain
