// Helpers shared by the provider parser tests.
#ifndef CRYPTOTRACKER_PRICING_PARSERS_TEST_FIXTURES_H_
#define CRYPTOTRACKER_PRICING_PARSERS_TEST_FIXTURES_H_

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "services/common/decimal.h"

namespace cryptotracker::pricing::parsers {

// Contents of parsers/testdata/<name> (a runfile of the test).
inline std::string Fixture(const std::string& name) {
  const std::string path = "services/pricing-service/parsers/testdata/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// A decimal literal the test knows to be valid.
inline common::Decimal D(std::string_view text) {
  return *common::Decimal::Parse(text);
}

}  // namespace cryptotracker::pricing::parsers

#endif  // CRYPTOTRACKER_PRICING_PARSERS_TEST_FIXTURES_H_
