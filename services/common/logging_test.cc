#include "services/common/logging.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "services/common/config_error.h"

namespace cryptotracker::common {
namespace {

using Json = nlohmann::json;

Json Parse(const std::string& line) {
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  return Json::parse(line);
}

TEST(FormatLogLineTest, ProducesOneJsonObjectWithStandardKeys) {
  const Json line =
      Parse(FormatLogLine(LogLevel::kWarn, "user-service", "login failed",
                          {{"reason", "bad password"},
                           {"attempt", 3},
                           {"locked", false},
                           {"ratio", 0.5}}));
  EXPECT_EQ(line["level"], "warn");
  EXPECT_EQ(line["service"], "user-service");
  EXPECT_EQ(line["msg"], "login failed");
  EXPECT_EQ(line["reason"], "bad password");
  EXPECT_EQ(line["attempt"], 3);
  EXPECT_EQ(line["locked"], false);
  EXPECT_EQ(line["ratio"], 0.5);
  EXPECT_TRUE(
      std::regex_match(line["ts"].get<std::string>(),
                       std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << line["ts"];
}

TEST(FormatLogLineTest, EscapesHostileText) {
  const std::string hostile =
      "x\"}\n{\"level\":\"error\",\"forged\":true}\\\t\x01 \xff end";
  const std::string text =
      FormatLogLine(LogLevel::kInfo, "svc", hostile, {{"email", hostile}});
  const Json line = Parse(text);
  EXPECT_FALSE(line.contains("forged"));
  EXPECT_EQ(line["level"], "info");
  // Valid UTF-8 survives exactly; the invalid byte is replaced, not dropped.
  EXPECT_THAT(line["msg"].get<std::string>(),
              ::testing::StartsWith("x\"}\n{\"level\":\"error\""));
  EXPECT_EQ(line["msg"], line["email"]);
}

TEST(FormatLogLineTest, NonFiniteNumbersStayValidJson) {
  const Json line = Parse(
      FormatLogLine(LogLevel::kInfo, "svc", "m", {{"nan", std::nan("")}}));
  EXPECT_TRUE(line["nan"].is_string());
}

TEST(LogContextScopeTest, AddsRequestAndUserIdsToLines) {
  EXPECT_EQ(CurrentRequestId(), "");
  EXPECT_FALSE(SetCurrentUserId("nobody"));
  {
    LogContextScope scope("req-1");
    EXPECT_TRUE(SetCurrentUserId("user-9"));
    const Json line = Parse(FormatLogLine(LogLevel::kInfo, "svc", "m", {}));
    EXPECT_EQ(line["request_id"], "req-1");
    EXPECT_EQ(line["user_id"], "user-9");
    {
      LogContextScope inner("req-2");
      EXPECT_EQ(CurrentRequestId(), "req-2");
      EXPECT_EQ(CurrentUserId(), "");
    }
    EXPECT_EQ(CurrentRequestId(), "req-1");
    // An explicit field wins and is not duplicated.
    const std::string text = FormatLogLine(LogLevel::kInfo, "svc", "m",
                                           {{"request_id", "explicit"}});
    EXPECT_EQ(Parse(text)["request_id"], "explicit");
    EXPECT_EQ(text.find("req-1"), std::string::npos);
  }
  EXPECT_EQ(CurrentRequestId(), "");
  EXPECT_EQ(CurrentUserId(), "");
}

TEST(ParseLogLevelTest, KnowsEachLevelByItsLogLineName) {
  EXPECT_EQ(LogLevelNames(), "trace|debug|info|warn|error");
  for (LogLevel level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo,
                         LogLevel::kWarn, LogLevel::kError}) {
    const std::string name =
        Parse(FormatLogLine(level, "svc", "m", {}))["level"];
    EXPECT_EQ(ParseLogLevel(name), level) << name;
  }
  for (const char* unknown :
       {"", "INFO", "Info", "verbose", "warning", "err", " info"}) {
    EXPECT_EQ(ParseLogLevel(unknown), std::nullopt) << unknown;
  }
}

TEST(InitLoggingTest, AcceptsKnownLevelsAndRejectsOthers) {
  for (const char* level : {"trace", "debug", "info", "warn", "error"}) {
    EXPECT_NO_THROW(InitLogging("logging-test", level)) << level;
  }
  EXPECT_THROW(InitLogging("logging-test", "verbose"), ConfigError);
  try {
    InitLogging("logging-test", "INFO");
    ADD_FAILURE() << "INFO accepted";
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(),
                ::testing::HasSubstr("expected trace|debug|info|warn|error"));
  }
  InitLogging("logging-test", "info");
}

TEST(InitLoggingTest, LevelFiltersAndLinesGoToStdout) {
  InitLogging("logging-test", "warn");
  ::testing::internal::CaptureStdout();
  LogInfo("hidden message");
  LogError("shown message", {{"code", 7}});
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(out.find("hidden message"), std::string::npos);
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.back(), '\n');
  const Json line = Parse(out.substr(0, out.size() - 1));
  EXPECT_EQ(line["msg"], "shown message");
  EXPECT_EQ(line["service"], "logging-test");
  EXPECT_EQ(line["level"], "error");
  EXPECT_EQ(line["code"], 7);
  InitLogging("logging-test", "info");
}

TEST(RequestIdTest, NewIdsAreRandomHex) {
  const std::string a = NewRequestId();
  const std::string b = NewRequestId();
  EXPECT_NE(a, b);
  EXPECT_TRUE(std::regex_match(a, std::regex("[0-9a-f]{32}"))) << a;
}

}  // namespace
}  // namespace cryptotracker::common
