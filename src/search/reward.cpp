#include "nasctl/search/reward.h"

#include <cmath>

#include "nasctl/core/error.h"

namespace nasctl::search {

const char* reward_kind_name(RewardKind kind) {
  switch (kind) {
    case RewardKind::kAbsolute: return "absolute";
    case RewardKind::kMnasSoft: return "mnas_soft";
    case RewardKind::kMnasHard: return "mnas_hard";
  }
  return "?";
}

RewardKind parse_reward_kind(const std::string& name, const std::string& where) {
  if (name == "absolute") return RewardKind::kAbsolute;
  if (name == "mnas_soft") return RewardKind::kMnasSoft;
  if (name == "mnas_hard") return RewardKind::kMnasHard;
  throw Error(where + " must be one of absolute, mnas_soft, mnas_hard, but got \"" + name + "\"");
}

double default_reward_beta(RewardKind kind) {
  switch (kind) {
    case RewardKind::kAbsolute: return -0.10;
    case RewardKind::kMnasSoft: return -0.07;
    case RewardKind::kMnasHard: return -1.0;
  }
  return 0.0;
}

double reward(RewardKind kind, double beta, double q, double latency_ms, double target_ms) {
  double ratio = latency_ms / target_ms;
  switch (kind) {
    case RewardKind::kAbsolute: return q + beta * std::abs(ratio - 1.0);
    case RewardKind::kMnasSoft: return q * std::pow(ratio, beta);
    case RewardKind::kMnasHard: return ratio > 1.0 ? q * std::pow(ratio, beta) : q;
  }
  return q;
}

}  // namespace nasctl::search
