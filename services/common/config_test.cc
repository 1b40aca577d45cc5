#include "services/common/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace cryptotracker::common {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

EnvReader ReaderFor(std::map<std::string, std::string> vars) {
  return EnvReader([vars = std::move(vars)](
                       const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

std::string FinishMessage(EnvReader& env) {
  try {
    env.Finish();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(EnvReaderTest, ReadsValuesAndDefaults) {
  EnvReader env = ReaderFor(
      {{"NAME", "alice"}, {"COUNT", "42"}, {"GRACE", "7"}, {"EMPTY", ""}});
  EXPECT_EQ(env.RequiredString("NAME"), "alice");
  EXPECT_EQ(env.String("MISSING", "fallback"), "fallback");
  EXPECT_EQ(env.String("EMPTY", "fallback"), "fallback");
  EXPECT_EQ(env.Int("COUNT", 1, 0, 100), 42);
  EXPECT_EQ(env.Int("MISSING", 5, 0, 100), 5);
  EXPECT_EQ(env.RequiredInt("COUNT", 0, 100), 42);
  EXPECT_EQ(env.Seconds("GRACE", std::chrono::seconds(1),
                        std::chrono::seconds(0), std::chrono::seconds(60)),
            std::chrono::seconds(7));
  EXPECT_NO_THROW(env.Finish());
}

TEST(EnvReaderTest, ReportsEveryProblemInOneMessage) {
  EnvReader env = ReaderFor(
      {{"PORT", "80x"}, {"POOL", "1000"}, {"GRACE", "-1"}, {"NEG", "-5"}});
  env.RequiredString("DB_HOST");
  EXPECT_EQ(env.Int("PORT", 7, 1, 65535), 7);  // default after a problem
  env.Int("POOL", 8, 1, 256);
  env.Seconds("GRACE", std::chrono::seconds(10), std::chrono::seconds(0),
              std::chrono::seconds(300));
  env.RequiredInt("GRPC_PORT", 1, 65535);
  EXPECT_EQ(env.Int("NEG", 3, -10, 10), -5);
  const std::string message = FinishMessage(env);
  EXPECT_THAT(message, HasSubstr("5 problems"));
  EXPECT_THAT(message, HasSubstr("DB_HOST: is required"));
  EXPECT_THAT(message,
              HasSubstr("PORT: must be a whole number between 1 and 65535"));
  EXPECT_THAT(message, HasSubstr("POOL: must be between 1 and 256"));
  EXPECT_THAT(message, HasSubstr("GRACE: must be a whole number of seconds"));
  EXPECT_THAT(message, HasSubstr("GRPC_PORT: is required"));
}

TEST(EnvReaderTest, RejectsNumbersWithTrailingGarbageOrOverflow) {
  EnvReader env = ReaderFor({{"A", " 5"},
                             {"B", "5 "},
                             {"C", "99999999999999999999"},
                             {"D", "0x10"},
                             {"E", "1.5"}});
  for (const char* name : {"A", "B", "C", "D", "E"}) env.Int(name, 1, 0, 1000);
  EXPECT_EQ(env.problems().size(), 5u);
}

TEST(EnvReaderTest, FileContents) {
  const auto dir = std::filesystem::path(::testing::TempDir());
  const auto path = dir / "config_test_key.pem";
  {
    std::ofstream out(path);
    out << "secret-key-material";
  }
  const auto empty_path = dir / "config_test_empty.pem";
  { std::ofstream out(empty_path); }
  EnvReader env = ReaderFor({{"KEY_FILE", path.string()},
                             {"NOPE_FILE", (dir / "does-not-exist").string()},
                             {"EMPTY_FILE", empty_path.string()},
                             {"DIR_FILE", dir.string()}});
  EXPECT_EQ(env.FileContents("KEY_FILE"), "secret-key-material");
  EXPECT_EQ(env.FileContents("NOPE_FILE"), "");
  EXPECT_EQ(env.FileContents("EMPTY_FILE"), "");
  EXPECT_EQ(env.FileContents("DIR_FILE"), "");
  EXPECT_EQ(env.FileContents("UNSET_FILE"), "");
  const std::string message = FinishMessage(env);
  EXPECT_THAT(message, HasSubstr("4 problems"));
  EXPECT_THAT(message, HasSubstr("NOPE_FILE"));
  EXPECT_THAT(message, HasSubstr("EMPTY_FILE"));
  EXPECT_THAT(message, HasSubstr("DIR_FILE"));
  EXPECT_THAT(message, HasSubstr("UNSET_FILE: is required"));
  EXPECT_THAT(message, Not(HasSubstr("secret-key-material")));
}

TEST(EnvReaderTest, ProcessEnvironmentConstructor) {
  ::setenv("CONFIG_TEST_VAR", "from-env", 1);
  EnvReader env;
  EXPECT_EQ(env.RequiredString("CONFIG_TEST_VAR"), "from-env");
  ::unsetenv("CONFIG_TEST_VAR");
}

TEST(DatabaseConfigTest, FromEnvWithDefaults) {
  EnvReader env = ReaderFor({{"DB_HOST", "db"},
                             {"DB_NAME", "userservice"},
                             {"DB_USER", "user"},
                             {"DB_PASSWORD", "pw"}});
  DatabaseConfig config = DatabaseConfig::FromEnv(env);
  env.Finish();
  EXPECT_EQ(config.host, "db");
  EXPECT_EQ(config.port, 5432);
  EXPECT_EQ(config.name, "userservice");
  EXPECT_EQ(config.user, "user");
  EXPECT_EQ(config.password, "pw");
  EXPECT_EQ(config.pool_size, 8);
}

TEST(DatabaseConfigTest, NeverLeaksThePasswordInErrors) {
  EnvReader env = ReaderFor({{"DB_PASSWORD", "hunter2-secret"},
                             {"DB_PORT", "hunter2-secret"},
                             {"DB_POOL_SIZE", "0"}});
  DatabaseConfig::FromEnv(env);
  const std::string message = FinishMessage(env);
  EXPECT_THAT(message, AllOf(HasSubstr("DB_HOST"), HasSubstr("DB_NAME"),
                             HasSubstr("DB_USER"), HasSubstr("DB_PORT"),
                             HasSubstr("DB_POOL_SIZE")));
  EXPECT_THAT(message, Not(HasSubstr("hunter2")));
}

TEST(DatabaseConfigTest, ConnectionStringQuotesEveryValue) {
  DatabaseConfig config;
  config.host = "db.internal";
  config.port = 6543;
  config.name = "user service";
  config.user = "o'brien";
  config.password = R"(p\w'd x=1)";
  const std::string conn = config.ConnectionString();
  EXPECT_THAT(conn, HasSubstr("host='db.internal'"));
  EXPECT_THAT(conn, HasSubstr("port=6543"));
  EXPECT_THAT(conn, HasSubstr("dbname='user service'"));
  EXPECT_THAT(conn, HasSubstr(R"(user='o\'brien')"));
  EXPECT_THAT(conn, HasSubstr(R"(password='p\\w\'d x=1')"));
  EXPECT_THAT(conn, HasSubstr("connect_timeout="));
}

TEST(ServerConfigTest, FromEnv) {
  EnvReader env = ReaderFor({{"GRPC_PORT", "50051"},
                             {"LOG_LEVEL", "debug"},
                             {"SHUTDOWN_GRACE_SECONDS", "3"}});
  ServerConfig config = ServerConfig::FromEnv(env);
  env.Finish();
  EXPECT_EQ(config.grpc_port, 50051);
  EXPECT_EQ(config.log_level, "debug");
  EXPECT_EQ(config.shutdown_grace, std::chrono::seconds(3));
}

TEST(ServerConfigTest, RejectsUnknownLevelAndMissingPort) {
  EnvReader env = ReaderFor({{"LOG_LEVEL", "verbose"}});
  ServerConfig config = ServerConfig::FromEnv(env);
  EXPECT_EQ(config.shutdown_grace, std::chrono::seconds(10));
  const std::string message = FinishMessage(env);
  EXPECT_THAT(message, HasSubstr("GRPC_PORT"));
  EXPECT_THAT(
      message,
      HasSubstr("LOG_LEVEL: must be one of trace|debug|info|warn|error"));
}

TEST(ServerConfigTest, AcceptsEveryLogLevel) {
  for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
    EnvReader env = ReaderFor({{"GRPC_PORT", "50051"}, {"LOG_LEVEL", level}});
    EXPECT_EQ(ServerConfig::FromEnv(env).log_level, level);
    EXPECT_THAT(env.problems(), ::testing::IsEmpty()) << level;
  }
}

TEST(JwtVerifyConfigTest, Defaults) {
  EnvReader env = ReaderFor({});
  JwtVerifyConfig config = JwtVerifyConfig::FromEnv(env);
  env.Finish();
  EXPECT_EQ(config.issuer, "cryptotracker-user-service");
  EXPECT_EQ(config.audience, "cryptotracker");
}

}  // namespace
}  // namespace cryptotracker::common
