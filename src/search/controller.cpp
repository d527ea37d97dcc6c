#include "nasctl/search/controller.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nasctl/core/error.h"

namespace nasctl::search {

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

namespace {

// Index drawn from `weights` (non-negative, not all zero) with one uniform draw.
int draw(const std::vector<double>& weights, std::mt19937_64& rng) {
  double total = 0.0;
  for (double w : weights) total += w;
  double u = uniform01(rng) * total;
  int last = -1;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0.0) continue;
    last = static_cast<int>(i);
    if (u < weights[i]) return last;
    u -= weights[i];
  }
  return last;  // rounding left u just above the last bucket
}

LogitTable zeros_like(const LogitTable& table) {
  LogitTable out(table.size());
  for (size_t d = 0; d < table.size(); ++d) out[d].assign(table[d].size(), 0.0);
  return out;
}

Json table_to_json(const LogitTable& table) {
  Json out = Json::array();
  for (const auto& row : table) out.push_back(row);
  return out;
}

LogitTable table_from_json(const Json& json, const LogitTable& shape, const std::string& where) {
  if (!json.is_array() || json.size() != shape.size()) {
    throw Error(where + " must hold " + std::to_string(shape.size()) + " decisions");
  }
  LogitTable out = zeros_like(shape);
  for (size_t d = 0; d < shape.size(); ++d) {
    if (!json[d].is_array() || json[d].size() != shape[d].size()) {
      throw Error(where + "[" + std::to_string(d) + "] must hold " + std::to_string(shape[d].size()) + " choices");
    }
    for (size_t c = 0; c < shape[d].size(); ++c) out[d][c] = json[d][c].get<double>();
  }
  return out;
}

}  // namespace

Controller::Controller(std::vector<int> choice_counts, ControllerOptions options) : options_(options) {
  for (size_t d = 0; d < choice_counts.size(); ++d) {
    if (choice_counts[d] < 1) {
      throw Error("controller: decision " + std::to_string(d) + " must have >= 1 choice, but got " +
                  std::to_string(choice_counts[d]));
    }
    logits_.emplace_back(choice_counts[d], 0.0);
    allowed_.emplace_back(choice_counts[d], true);
  }
  adam_m_ = zeros_like(logits_);
  adam_v_ = zeros_like(logits_);
}

void Controller::mask(int decision, int choice) {
  auto& row = allowed_.at(decision);
  row.at(choice) = false;
  if (std::none_of(row.begin(), row.end(), [](bool b) { return b; })) {
    throw Error("controller: masking choice " + std::to_string(choice) + " of decision " + std::to_string(decision) +
                " leaves no allowed choice");
  }
}

std::vector<double> Controller::probabilities(int decision) const {
  const auto& row = logits_.at(decision);
  double max_logit = -std::numeric_limits<double>::infinity();
  for (size_t c = 0; c < row.size(); ++c) {
    if (allowed_[decision][c]) max_logit = std::max(max_logit, row[c]);
  }
  std::vector<double> p(row.size(), 0.0);
  double total = 0.0;
  for (size_t c = 0; c < row.size(); ++c) {
    if (!allowed_[decision][c]) continue;
    p[c] = std::exp(row[c] - max_logit);
    total += p[c];
  }
  for (double& v : p) v /= total;
  return p;
}

LogitTable Controller::probabilities() const {
  LogitTable out;
  for (int d = 0; d < num_decisions(); ++d) out.push_back(probabilities(d));
  return out;
}

std::vector<int> Controller::sample(std::mt19937_64& rng) const {
  std::vector<int> indices;
  for (int d = 0; d < num_decisions(); ++d) indices.push_back(draw(probabilities(d), rng));
  return indices;
}

std::vector<int> Controller::sample_uniform(std::mt19937_64& rng) const {
  std::vector<int> indices;
  for (int d = 0; d < num_decisions(); ++d) {
    std::vector<double> w(allowed_[d].begin(), allowed_[d].end());
    indices.push_back(draw(w, rng));
  }
  return indices;
}

std::vector<int> Controller::most_likely() const {
  std::vector<int> indices;
  for (int d = 0; d < num_decisions(); ++d) {
    std::vector<double> p = probabilities(d);
    indices.push_back(static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin()));
  }
  return indices;
}

void Controller::check_indices(const std::vector<int>& indices, const std::vector<bool>& active) const {
  if (indices.size() != logits_.size() || active.size() != logits_.size()) {
    throw Error("controller: expected " + std::to_string(logits_.size()) + " decisions, but got " +
                std::to_string(indices.size()) + " indices and " + std::to_string(active.size()) + " flags");
  }
  for (size_t d = 0; d < indices.size(); ++d) {
    if (indices[d] < 0 || indices[d] >= num_choices(static_cast<int>(d))) {
      throw Error("controller: index " + std::to_string(indices[d]) + " of decision " + std::to_string(d) +
                  " is out of range");
    }
  }
}

double Controller::log_prob(const std::vector<int>& indices, const std::vector<bool>& active) const {
  check_indices(indices, active);
  double total = 0.0;
  for (int d = 0; d < num_decisions(); ++d) {
    if (active[d]) total += std::log(probabilities(d)[indices[d]]);
  }
  return total;
}

double Controller::entropy(const std::vector<bool>& active) const {
  double total = 0.0;
  for (int d = 0; d < num_decisions(); ++d) {
    if (!active.at(d)) continue;
    for (double p : probabilities(d)) {
      if (p > 0.0) total -= p * std::log(p);
    }
  }
  return total;
}

LogitTable Controller::reinforce_gradient(const std::vector<int>& indices, const std::vector<bool>& active,
                                          double advantage) const {
  check_indices(indices, active);
  LogitTable grad = zeros_like(logits_);
  for (int d = 0; d < num_decisions(); ++d) {
    if (!active[d]) continue;
    std::vector<double> p = probabilities(d);
    for (int c = 0; c < num_choices(d); ++c) {
      if (!allowed_[d][c]) continue;
      double onehot = c == indices[d] ? 1.0 : 0.0;
      grad[d][c] = -advantage * (onehot - p[c]);
    }
  }
  return grad;
}

void Controller::apply_gradient(const LogitTable& gradient, double learning_rate) {
  ++adam_steps_;
  const double b1 = options_.adam_beta1, b2 = options_.adam_beta2;
  const double correction1 = 1.0 - std::pow(b1, static_cast<double>(adam_steps_));
  const double correction2 = 1.0 - std::pow(b2, static_cast<double>(adam_steps_));
  for (int d = 0; d < num_decisions(); ++d) {
    for (int c = 0; c < num_choices(d); ++c) {
      double g = gradient.at(d).at(c);
      adam_m_[d][c] = b1 * adam_m_[d][c] + (1.0 - b1) * g;
      adam_v_[d][c] = b2 * adam_v_[d][c] + (1.0 - b2) * g * g;
      double m_hat = adam_m_[d][c] / correction1;
      double v_hat = adam_v_[d][c] / correction2;
      logits_[d][c] -= learning_rate * m_hat / (std::sqrt(v_hat) + options_.adam_epsilon);
    }
  }
}

Json Controller::state() const {
  Json masks = Json::array();
  for (const auto& row : allowed_) masks.push_back(std::vector<bool>(row.begin(), row.end()));
  return Json{{"logits", table_to_json(logits_)},
              {"allowed", masks},
              {"adam_m", table_to_json(adam_m_)},
              {"adam_v", table_to_json(adam_v_)},
              {"adam_steps", adam_steps_}};
}

void Controller::load_state(const Json& state, const std::string& origin) {
  const std::string where = origin + ": controller";
  if (!state.is_object() || !state.contains("logits") || !state.contains("allowed") || !state.contains("adam_m") ||
      !state.contains("adam_v") || !state.contains("adam_steps")) {
    throw Error(where + " must hold logits, allowed, adam_m, adam_v and adam_steps");
  }
  LogitTable logits = table_from_json(state["logits"], logits_, where + ".logits");
  LogitTable m = table_from_json(state["adam_m"], logits_, where + ".adam_m");
  LogitTable v = table_from_json(state["adam_v"], logits_, where + ".adam_v");
  const Json& masks = state["allowed"];
  if (!masks.is_array() || masks.size() != allowed_.size()) throw Error(where + ".allowed has the wrong size");
  std::vector<std::vector<bool>> allowed = allowed_;
  for (size_t d = 0; d < allowed.size(); ++d) {
    if (!masks[d].is_array() || masks[d].size() != allowed[d].size()) {
      throw Error(where + ".allowed[" + std::to_string(d) + "] has the wrong size");
    }
    for (size_t c = 0; c < allowed[d].size(); ++c) allowed[d][c] = masks[d][c].get<bool>();
  }
  logits_ = std::move(logits);
  adam_m_ = std::move(m);
  adam_v_ = std::move(v);
  allowed_ = std::move(allowed);
  adam_steps_ = state["adam_steps"].get<int64_t>();
}

void RewardBaseline::update(double reward) {
  value_ = initialised_ ? momentum_ * value_ + (1.0 - momentum_) * reward : reward;
  initialised_ = true;
}

Json RewardBaseline::state() const {
  return Json{{"value", value_}, {"initialised", initialised_}, {"momentum", momentum_}};
}

void RewardBaseline::load_state(const Json& state, const std::string& origin) {
  if (!state.is_object() || !state.contains("value") || !state.contains("initialised")) {
    throw Error(origin + ": baseline must hold value and initialised");
  }
  value_ = state["value"].get<double>();
  initialised_ = state["initialised"].get<bool>();
}

}  // namespace nasctl::search
