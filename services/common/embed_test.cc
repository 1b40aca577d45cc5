// Checks the cc_sql_migrations macro (bazel/embed.bzl) against the real files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "services/common/testing/test_migrations.h"

namespace cryptotracker::common {
namespace {

std::string ReadRunfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  EXPECT_NE(srcdir, nullptr);
  EXPECT_NE(workspace, nullptr);
  std::ifstream file(std::string(srcdir) + "/" + workspace + "/" + path,
                     std::ios::binary);
  EXPECT_TRUE(file) << path;
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

TEST(CcSqlMigrationsTest, EmbedsEveryFileExactlyInVersionOrder) {
  const auto& migrations = testing::test_migrations::Migrations();
  ASSERT_EQ(migrations.size(), 3u);
  EXPECT_EQ(migrations[0].version, 1);
  EXPECT_EQ(migrations[0].name, "create_notes");
  EXPECT_EQ(migrations[1].version, 2);
  EXPECT_EQ(migrations[1].name, "add_note_tags");
  EXPECT_EQ(migrations[2].version, 10);  // "0010" is ten, not octal
  EXPECT_EQ(migrations[2].name, "create_counters");
  const std::string dir = "services/common/testing/migrations/";
  EXPECT_EQ(migrations[0].sql, ReadRunfile(dir + "0001_create_notes.sql"));
  EXPECT_EQ(migrations[1].sql, ReadRunfile(dir + "0002_add_note_tags.sql"));
  EXPECT_EQ(migrations[2].sql, ReadRunfile(dir + "0010_create_counters.sql"));
  // The tricky bytes made it through.
  EXPECT_THAT(migrations[0].sql, ::testing::HasSubstr(")\" \xe2\x82\xac"));
  EXPECT_THAT(migrations[0].sql, ::testing::HasSubstr("\\ \\\\"));
}

}  // namespace
}  // namespace cryptotracker::common
