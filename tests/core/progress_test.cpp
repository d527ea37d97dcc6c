#include "nasctl/core/progress.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

namespace nasctl {
namespace {

TEST(FormatDuration, MinutesHoursAndUnknown) {
  EXPECT_EQ(format_duration(0), "0:00");
  EXPECT_EQ(format_duration(65), "1:05");
  EXPECT_EQ(format_duration(3723), "1:02:03");
  EXPECT_EQ(format_duration(-1), "?");
}

TEST(ProgressBar, PlainModePrintsFirstAndLastLinesWithCountsAndEta) {
  std::ostringstream out;
  ProgressOptions options;
  options.mode = ProgressMode::kLog;
  options.log_interval_s = 3600;  // only the first and the last update print
  options.stream = &out;
  ProgressBar bar("epoch 1/2", 10, options);
  for (int i = 1; i <= 10; ++i) bar.update(i, "loss 0.5");
  bar.finish("done");
  std::string text = out.str();
  EXPECT_NE(text.find("epoch 1/2 10% 1/10"), std::string::npos) << text;
  EXPECT_NE(text.find("100% 10/10"), std::string::npos) << text;
  EXPECT_NE(text.find("ETA"), std::string::npos) << text;
  EXPECT_NE(text.find("| loss 0.5"), std::string::npos) << text;
  EXPECT_NE(text.find(" in 0:00 | done"), std::string::npos) << text;
  // first, last and finish: three lines, no bar characters.
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3) << text;
  EXPECT_EQ(text.find('#'), std::string::npos);
}

TEST(ProgressBar, BarModeRedrawsInPlace) {
  std::ostringstream out;
  ProgressOptions options;
  options.mode = ProgressMode::kBar;
  options.redraw_interval_s = 0;
  options.stream = &out;
  {
    ProgressBar bar("train", 4, options);
    bar.update(2);
    bar.update(4);
  }  // unfinished: the destructor ends the line
  std::string text = out.str();
  EXPECT_NE(text.find("\r"), std::string::npos);
  EXPECT_NE(text.find("] 50% 2/4"), std::string::npos) << text;
  EXPECT_NE(text.find("] 100% 4/4"), std::string::npos) << text;
  EXPECT_EQ(text.back(), '\n');
}

TEST(ProgressBar, DisabledWritesNothingAndResumedRunsCountFromInitial) {
  std::ostringstream out;
  ProgressOptions options;
  options.mode = ProgressMode::kDisabled;
  options.stream = &out;
  ProgressBar quiet("x", 5, options);
  quiet.update(5);
  quiet.finish();
  EXPECT_TRUE(out.str().empty());

  options.mode = ProgressMode::kLog;
  options.initial = 50;
  ProgressBar resumed("y", 100, options);
  EXPECT_LT(resumed.eta_s(), 0);  // nothing measured yet
  resumed.update(60);
  EXPECT_GE(resumed.eta_s(), 0);
  EXPECT_NE(out.str().find("60% 60/100"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace nasctl
