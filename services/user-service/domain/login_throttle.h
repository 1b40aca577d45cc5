#ifndef CRYPTOTRACKER_USER_DOMAIN_LOGIN_THROTTLE_H_
#define CRYPTOTRACKER_USER_DOMAIN_LOGIN_THROTTLE_H_

#include <chrono>
#include <cstdint>

namespace cryptotracker::user::domain {

// Limits on failed sign-ins within a sliding window. The per-account limit
// stops guessing one account's password; the per-address limit stops one
// client from spraying guesses over many accounts.
struct LoginThrottlePolicy {
  int max_failures_per_account = 10;
  int max_failures_per_address = 50;
  std::chrono::seconds window{900};
};

enum class LoginThrottleDecision {
  kAllow,
  kTooManyAccountFailures,
  kTooManyAddressFailures,
};

// Decides whether a sign-in attempt may even be checked, given the failures
// recorded within the policy's window for the attempted account (normalised
// email, whether it exists or not) and for the client address. An attempt
// is refused once a count has reached its limit; the refused attempt itself
// is not counted, so the block lifts when the window has passed.
LoginThrottleDecision DecideLoginAttempt(const LoginThrottlePolicy& policy,
                                         int64_t account_failures,
                                         int64_t address_failures);

}  // namespace cryptotracker::user::domain

#endif  // CRYPTOTRACKER_USER_DOMAIN_LOGIN_THROTTLE_H_
