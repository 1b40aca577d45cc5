#include "services/common/service_main.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "services/common/config_error.h"

namespace cryptotracker::common {
namespace {

using ::testing::internal::CaptureStderr;
using ::testing::internal::GetCapturedStderr;

struct TestConfig {
  ServerConfig server;
  int answer = 0;
};

TestConfig ValidConfig() {
  TestConfig config;
  config.server.log_level = "warn";
  config.answer = 42;
  return config;
}

TEST(ServiceMainTest, RunsWithTheConfigAndReturnsItsExitCode) {
  int seen = 0;
  const int code =
      ServiceMain("test-service", ValidConfig, [&](const TestConfig& config) {
        seen = config.answer;
        return 7;
      });
  EXPECT_EQ(code, 7);
  EXPECT_EQ(seen, 42);
}

TEST(ServiceMainTest, ConfigErrorWhileReadingIsOneStderrMessage) {
  bool ran = false;
  CaptureStderr();
  const int code = ServiceMain(
      "test-service",
      []() -> TestConfig {
        throw ConfigError("GRPC_PORT: is required but not set");
      },
      [&](const TestConfig&) {
        ran = true;
        return 0;
      });
  EXPECT_EQ(GetCapturedStderr(),
            "test-service: GRPC_PORT: is required but not set\n");
  EXPECT_EQ(code, EXIT_FAILURE);
  EXPECT_FALSE(ran);
}

TEST(ServiceMainTest, ConfigErrorWhileBuildingTheServiceIsReportedTheSame) {
  CaptureStderr();
  const int code =
      ServiceMain("test-service", ValidConfig, [](const TestConfig&) -> int {
        throw ConfigError("SYMBOLS: XYZ is not in the asset catalogue");
      });
  EXPECT_EQ(GetCapturedStderr(),
            "test-service: SYMBOLS: XYZ is not in the asset catalogue\n");
  EXPECT_EQ(code, EXIT_FAILURE);
}

TEST(ServiceMainTest, AnUnknownLogLevelIsAConfigError) {
  bool ran = false;
  CaptureStderr();
  const int code = ServiceMain(
      "test-service",
      [] {
        TestConfig config;
        config.server.log_level = "loud";
        return config;
      },
      [&](const TestConfig&) {
        ran = true;
        return 0;
      });
  const std::string err = GetCapturedStderr();
  EXPECT_EQ(code, EXIT_FAILURE);
  EXPECT_EQ(err.rfind("test-service: ", 0), 0u) << err;
  EXPECT_FALSE(ran);
}

TEST(ServiceMainTest, OtherExceptionsAreFatalAndNotOnStderr) {
  CaptureStderr();
  const int code =
      ServiceMain("test-service", ValidConfig, [](const TestConfig&) -> int {
        throw std::runtime_error("database exploded");
      });
  EXPECT_EQ(GetCapturedStderr(), "");
  EXPECT_EQ(code, EXIT_FAILURE);
}

TEST(ServerOptionsForTest, TakesPortGraceAndName) {
  ServerConfig config;
  config.grpc_port = 50059;
  config.shutdown_grace = std::chrono::seconds(3);
  const ServerOptions options = ServerOptionsFor("test-service", config);
  EXPECT_EQ(options.port, 50059);
  EXPECT_EQ(options.shutdown_grace, std::chrono::seconds(3));
  EXPECT_EQ(options.service_name, "test-service");
  // The rest stays at the framework's defaults.
  EXPECT_EQ(options.bind_address, ServerOptions().bind_address);
  EXPECT_EQ(options.max_threads, ServerOptions().max_threads);
}

}  // namespace
}  // namespace cryptotracker::common
