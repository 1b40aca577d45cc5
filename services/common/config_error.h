// The exception for unusable configuration, in a header of its own so that
// logging (which throws it for an unknown level name) and config (which uses
// logging's level names) do not depend on each other.
#ifndef CRYPTOTRACKER_SERVICES_COMMON_CONFIG_ERROR_H_
#define CRYPTOTRACKER_SERVICES_COMMON_CONFIG_ERROR_H_

#include <stdexcept>

namespace cryptotracker::common {

// Thrown for unusable configuration (by EnvReader::Finish and by InitLogging).
class ConfigError : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

}  // namespace cryptotracker::common

#endif  // CRYPTOTRACKER_SERVICES_COMMON_CONFIG_ERROR_H_
