#pragma once
// The small search space the space tests share.

#include "nasctl/core/json.h"

namespace nasctl::testing {

/// Two stages of two layers; the second layers are skippable; stage 1 has a filter multiplier.
/// Decisions (11): stage0/layer0/{kernel,expansion}, stage0/layer1/{type,kernel,expansion},
/// stage1/filter_multiplier, stage1/layer0/{kernel,expansion}, stage1/layer1/{type,kernel,expansion}.
inline Json two_stage_space() {
  return Json::parse(R"({
    "name": "t", "input": [8, 8, 3], "classes": 10,
    "stem": {"filters": 8, "kernel": 3, "stride": 1},
    "defaults": {"kernel": [3, 5], "expansion": [2, 4], "skippable": true},
    "stages": [
      {"filters": 8, "stride": 1, "layers": 2},
      {"filters": 16, "stride": 2, "layers": 2, "filter_multiplier": [0.5, 1.0]}],
    "head": {"filters": 0}})");
}

}  // namespace nasctl::testing
