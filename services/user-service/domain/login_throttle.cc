#include "services/user-service/domain/login_throttle.h"

namespace cryptotracker::user::domain {

LoginThrottleDecision DecideLoginAttempt(const LoginThrottlePolicy& policy,
                                         int64_t account_failures,
                                         int64_t address_failures) {
  // The address check comes first: a client over its own limit is told so
  // regardless of which account it tries next.
  if (address_failures >= policy.max_failures_per_address) {
    return LoginThrottleDecision::kTooManyAddressFailures;
  }
  if (account_failures >= policy.max_failures_per_account) {
    return LoginThrottleDecision::kTooManyAccountFailures;
  }
  return LoginThrottleDecision::kAllow;
}

}  // namespace cryptotracker::user::domain
