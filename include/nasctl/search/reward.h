#pragma once
/// Rewards that trade accuracy against latency: TuNAS's absolute value reward and MnasNet's soft and
/// hard rewards. Plain functions of (Q, T, T0), so the controller and the tests share one definition.

#include <string>

namespace nasctl::search {

/// Which reward the controller maximises.
enum class RewardKind {
  kAbsolute,  ///< "absolute": R = Q + beta * |T / T0 - 1| (TuNAS, Bender et al. 2020)
  kMnasSoft,  ///< "mnas_soft": R = Q * (T / T0)^beta (MnasNet, Tan et al. 2019, alpha = beta)
  kMnasHard,  ///< "mnas_hard": R = Q * (T / T0)^beta when T > T0, else Q (MnasNet, alpha = 0)
};

const char* reward_kind_name(RewardKind kind);  ///< "absolute" | "mnas_soft" | "mnas_hard"
/// Parses a reward name; throws Error naming `where` and the value when unknown.
RewardKind parse_reward_kind(const std::string& name, const std::string& where);

/// The usual beta of each reward: -0.10 (absolute, TuNAS's code), -0.07 (mnas_soft, MnasNet's
/// paper), -1.0 (mnas_hard, MnasNet's hard constraint).
double default_reward_beta(RewardKind kind);

/// The reward of an architecture with accuracy `q` in [0, 1] and predicted latency `latency_ms`
/// against the target `target_ms` (> 0).
double reward(RewardKind kind, double beta, double q, double latency_ms, double target_ms);

}  // namespace nasctl::search
