#ifndef CRYPTOTRACKER_USER_DOMAIN_VALIDATED_H_
#define CRYPTOTRACKER_USER_DOMAIN_VALIDATED_H_

#include <string>
#include <utility>
#include <variant>

namespace cryptotracker::user::domain {

// Why an input broke its rules, phrased to follow the field name
// ("email" + " must contain exactly one '@'"), so the handler can report
// INVALID_ARGUMENT naming the field.
struct RuleViolation {
  std::string problem;
};

// Either the accepted (cleaned-up) value of an input or the rule it broke.
// Plain value semantics; no exceptions, so domain code stays free of
// transport concerns.
template <class T>
class Validated {
 public:
  Validated(T value)
      : state_(std::move(value)) {}   // NOLINT: implicit on purpose
  Validated(RuleViolation violation)  // NOLINT: implicit on purpose
      : state_(std::move(violation)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  // Only when ok().
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  // Only when !ok().
  const std::string& problem() const {
    return std::get<RuleViolation>(state_).problem;
  }

 private:
  std::variant<T, RuleViolation> state_;
};

}  // namespace cryptotracker::user::domain

#endif  // CRYPTOTRACKER_USER_DOMAIN_VALIDATED_H_
