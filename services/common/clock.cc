#include "services/common/clock.h"

#include <cstdio>
#include <ctime>

namespace cryptotracker::common {

std::string Rfc3339Millis(int64_t time_ms) {
  const std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec, static_cast<int>(time_ms % 1000));
  return buffer;
}

}  // namespace cryptotracker::common
