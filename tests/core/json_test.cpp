#include "nasctl/core/json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "support.h"

namespace nasctl {
namespace {

std::string nested(char open, char close, int depth) { return std::string(size_t(depth), open) + std::string(size_t(depth), close); }

TEST(ParseJson, NestingUpToTheLimitParses) {
  Json j = parse_json(nested('[', ']', kMaxJsonDepth), "deep.json");
  EXPECT_TRUE(j.is_array());
}

TEST(ParseJson, NestingBeyondTheLimitIsRefusedNamingTheOrigin) {
  EXPECT_THROW_MSG(parse_json(nested('[', ']', kMaxJsonDepth + 1), "deep.json"),
                   "deep.json: JSON nested deeper than 64 levels");
  // 100,000 levels inside a string-valued key: refused, no stack overflow.
  std::string text = "{\"name\": " + nested('[', ']', 100000) + "}";
  EXPECT_THROW_MSG(parse_json(text, "g.json"), "g.json: JSON nested deeper than 64 levels (at name[0][0]");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_THROW_MSG(parse_json(objects + "1" + std::string(100000, '}'), "o.json"), "o.json: JSON nested deeper");
}

TEST(ParseJson, RepeatedKeysAreRefusedNamingKeyAndPlace) {
  EXPECT_THROW_MSG(parse_json(R"({"a": 1, "a": 2})", "d.json"), "d.json: key \"a\" appears twice in one object (at top level)");
  EXPECT_THROW_MSG(parse_json(R"({"stages": [{"x": 1}, {"filters": 1, "kernel": 3, "filters": 2}]})", "s.json"),
                   "key \"filters\" appears twice in one object (at stages[1])");
  // The same key in different objects is fine.
  EXPECT_NO_THROW(parse_json(R"([{"a": 1}, {"a": 2}, {"b": {"a": 3}}])", "ok.json"));
}

TEST(ParseJson, NumbersBeyondDoubleRangeNameTheFileAndKey) {
  EXPECT_THROW_MSG(parse_json(R"({"stem": {"filters": 1e999}})", "a.json"),
                   "a.json: invalid JSON: number overflow parsing '1e999' (at stem.filters)");
  EXPECT_THROW_MSG(parse_json("[1, -1e400]", "b.json"), "(at [1])");
}

TEST(ParseJson, SyntaxErrorsNameTheOrigin) { EXPECT_THROW_MSG(parse_json("{\"a\": ", "c.json"), "c.json: invalid JSON: "); }

TEST(JsonExcerpt, DeepAndLargeValuesRenderShortAndBounded) {
  Json deep = Json::array();
  Json* at = &deep;
  for (int i = 0; i < 10000; ++i) {  // built, not parsed: no parse limit protects it
    at->push_back(Json::array());
    at = &(*at)[0];
  }
  std::string text = json_excerpt(deep);
  EXPECT_LE(text.size(), 60u);
  EXPECT_EQ(text.substr(0, 4), "[[[[");
  Json big = Json::array();
  for (int i = 0; i < 100000; ++i) big.push_back(i);
  EXPECT_EQ(json_excerpt(big).substr(0, 8), "[0,1,2,3");
  EXPECT_LE(json_excerpt(big).size(), 60u);
  EXPECT_EQ(json_excerpt(Json(std::string(1000, 'x'))).size(), 60u);
}

TEST(JsonExcerpt, NonFiniteNumbersAreNamedNotNull) {
  EXPECT_EQ(json_excerpt(Json(std::numeric_limits<double>::quiet_NaN())), "nan");
  EXPECT_EQ(json_excerpt(Json(-std::numeric_limits<double>::infinity())), "-inf");
  EXPECT_EQ(json_excerpt(Json(2.5)), "2.5");
}

TEST(JsonView, IntegersBeyondIntRangeAreRefusedWithTheValueAsWritten) {
  Json j = parse_json(R"({"a": 2147483648, "b": -2147483649, "c": 18446744073709551615, "d": 2147483647, "e": 3.0,
                          "f": 1e10, "g": [1, 4294967297]})",
                      "x.json");
  JsonView v(j, "x.json");
  EXPECT_THROW_MSG(v.get_int("a"), "x.json: a must be an integer in [-2147483648, 2147483647], but got 2147483648");
  EXPECT_THROW_MSG(v.get_int("b"), "but got -2147483649");
  EXPECT_THROW_MSG(v.get_int("c"), "but got 18446744073709551615");
  EXPECT_EQ(v.get_int("d"), 2147483647);
  EXPECT_EQ(v.get_int("e"), 3);
  EXPECT_THROW_MSG(v.get_int("f"), "x.json: f must be an integer in [-2147483648, 2147483647], but got 10000000000.0");
  EXPECT_THROW_MSG(v.get_int_list("g"), "x.json: g must be a list of integers in [-2147483648, 2147483647]");
}

TEST(JsonView, RangedGetters) {
  Json j = parse_json(R"({"n": 5, "x": 0.5})", "r.json");
  JsonView v(j, "r.json");
  EXPECT_EQ(v.get_int_in("n", 1, 5), 5);
  EXPECT_THROW_MSG(v.get_int_in("n", 1, 4), "r.json: n must be an integer in [1, 4], but got 5");
  EXPECT_EQ(v.get_int_in("missing", 1, 4, 7), 7);
  EXPECT_THROW_MSG(v.get_double_in("x", 1, 2), "r.json: x must be a number in [1.0, 2.0], but got 0.5");
}

TEST(JsonView, StrictStringListRefusesASingleString) {
  Json j = parse_json(R"({"inputs": "x", "ok": ["x"]})", "l.json");
  JsonView v(j, "l.json");
  EXPECT_THROW_MSG(v.get_strict_string_list("inputs"), "l.json: inputs must be a list of strings, but got \"x\"");
  EXPECT_EQ(v.get_strict_string_list("ok"), std::vector<std::string>{"x"});
}

}  // namespace
}  // namespace nasctl
