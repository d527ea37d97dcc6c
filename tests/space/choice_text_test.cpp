// How a choice prints: one function for space listings, errors and the search's masks.

#include <gtest/gtest.h>

#include "nasctl/space/search_space.h"

namespace nasctl::space {
namespace {

TEST(ChoiceText, WholeNumbersPrintWithoutAPoint) {
  EXPECT_EQ(choice_text(Json(1.0)), "1");
  EXPECT_EQ(choice_text(Json(6.0)), "6");
  EXPECT_EQ(choice_text(Json(0.75)), "0.75");
  EXPECT_EQ(choice_text(Json(3)), "3");
  EXPECT_EQ(choice_text(Json("ibn")), "ibn");
  EXPECT_EQ(choice_text(Json(true)), "true");
}

}  // namespace
}  // namespace nasctl::space
