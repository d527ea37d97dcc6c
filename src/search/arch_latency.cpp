#include "nasctl/search/arch_latency.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "nasctl/core/error.h"
#include "nasctl/latency/edgetpu_ops.h"
#include "nasctl/space/lower.h"

namespace nasctl::search {
namespace {

using space::DecisionKind;

// Inactive decisions read as 0, so equal architectures share one cache entry.
std::string cache_key(const space::SearchSpace& space, const std::vector<int>& indices) {
  std::vector<bool> active = space.active(indices);
  std::string key;
  key.reserve(indices.size());
  for (size_t d = 0; d < indices.size(); ++d) key.push_back(static_cast<char>(active[d] ? indices[d] + 1 : 0));
  return key;
}

int count_unsupported(const ArchLatency& latency, const std::vector<int>& indices) {
  return static_cast<int>(latency.unsupported(indices).size());
}

// A starting point whose layers are not skipped, so that every decision's choices show their ops.
std::vector<int> unskipped_base(const space::SearchSpace& space) {
  std::vector<int> base(space.decisions().size(), 0);
  for (size_t d = 0; d < base.size(); ++d) {
    const space::Decision& decision = space.decisions()[d];
    if (decision.kind != DecisionKind::kType) continue;
    for (size_t c = 0; c < decision.choices.size(); ++c) {
      if (decision.choices[c] != "skip") {
        base[d] = static_cast<int>(c);
        break;
      }
    }
  }
  return base;
}

// Coordinate descent: changes one decision at a time while `better(candidate, current)` holds.
template <typename Score>
std::vector<int> coordinate_descent(std::vector<int> x, const ChoiceMask& allowed, Score score) {
  double current = score(x);
  for (int sweep = 0; sweep < 20; ++sweep) {
    bool improved = false;
    for (size_t d = 0; d < x.size(); ++d) {
      for (size_t c = 0; c < allowed[d].size(); ++c) {
        if (!allowed[d][c] || static_cast<int>(c) == x[d]) continue;
        std::vector<int> y = x;
        y[d] = static_cast<int>(c);
        double s = score(y);
        if (s < current - 1e-12) {
          x = std::move(y);
          current = s;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return x;
}

// Part cache keys: the values that decide a part's ops, packed as raw bytes.
void put(std::string& key, const void* data, size_t size) { key.append(static_cast<const char*>(data), size); }
void put_int(std::string& key, int v) { put(key, &v, sizeof v); }
void put_shape(std::string& key, graph::Shape s) {
  put_int(key, s.h);
  put_int(key, s.w);
  put_int(key, s.c);
}

const std::string& block_key(std::string& key, const space::BlockSpec& b, graph::Shape input) {
  key.assign(1, 'b');
  put_int(key, static_cast<int>(b.type));
  put_int(key, b.kernel);
  put(key, &b.expansion, sizeof b.expansion);
  put_int(key, b.filters);
  put_int(key, b.stride);
  put_int(key, static_cast<int>(b.activation));
  put_int(key, b.se ? 1 : 0);
  put_int(key, b.type == space::BlockType::kGroupConvBottleneck ? b.groups : 0);
  put_shape(key, input);
  return key;
}

const std::string& stem_key(std::string& key, const space::ArchSpec& arch) {
  key.assign(1, 's');
  put_int(key, arch.stem.filters);
  put_int(key, arch.stem.kernel);
  put_int(key, arch.stem.stride);
  put_int(key, static_cast<int>(arch.stem.activation));
  put_shape(key, arch.input);
  return key;
}

const std::string& head_key(std::string& key, const space::ArchSpec& arch, graph::Shape input) {
  key.assign(1, 'h');
  put_int(key, arch.head.filters);
  put_int(key, static_cast<int>(arch.head.activation));
  put_int(key, arch.head.hidden);
  put_int(key, arch.classes);
  put_shape(key, input);
  return key;
}

ChoiceMask all_allowed(const space::SearchSpace& space) {
  ChoiceMask mask;
  for (const auto& d : space.decisions()) mask.emplace_back(d.choices.size(), true);
  return mask;
}

}  // namespace

ArchLatency::ArchLatency(space::SearchSpace space, latency::HardwareProfile profile)
    : space_(std::move(space)), model_(std::move(profile)) {}

const ArchLatency::Part& ArchLatency::cached_part(const std::string& key, const std::function<graph::Graph()>& lower) {
  auto it = parts_.find(key);
  if (it != parts_.end()) return it->second;
  graph::Graph g = lower();
  Part part;
  latency::NetworkTerms unused;
  model_.terms(g, &part.ops, &unused);
  part.output = g.output_shape();
  part.supported = latency::first_unsupported_node(g) < 0;
  ++part_evaluations_;
  return parts_.emplace(key, std::move(part)).first->second;
}

bool ArchLatency::predict_from_parts(const space::ArchSpec& arch, latency::LatencyPrediction* out) {
  // A part the compiler cannot map cuts the whole network (the ops after it run on the host CPU):
  // stop at the first such part and let the caller take the lowered graph.
  ops_.clear();
  const Part* p = &cached_part(stem_key(key_, arch), [&] { return space::lower_stem(arch); });
  if (!p->supported) return false;
  ops_.insert(ops_.end(), p->ops.begin(), p->ops.end());
  graph::Shape shape = p->output;
  for (size_t i = 0; i < arch.blocks.size(); ++i) {
    const space::BlockSpec& b = arch.blocks[i];
    if (b.type == space::BlockType::kSkip) continue;
    p = &cached_part(block_key(key_, b, shape), [&] { return space::lower_block(arch, static_cast<int>(i), shape); });
    if (!p->supported) return false;
    ops_.insert(ops_.end(), p->ops.begin(), p->ops.end());
    shape = p->output;
  }
  p = &cached_part(head_key(key_, arch, shape), [&] { return space::lower_head(arch, shape); });
  if (!p->supported) return false;
  ops_.insert(ops_.end(), p->ops.begin(), p->ops.end());
  latency::NetworkTerms net;
  net.link_bytes = double(arch.input.elements());  // the input goes in, the classifier's output comes back
  net.link_bytes += double(p->output.elements());
  *out = model_.combine(ops_.data(), ops_.size(), net);
  return true;
}

const ArchLatency::Entry& ArchLatency::evaluate(const std::vector<int>& indices) {
  std::string key = cache_key(space_, indices);
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  space::ArchSpec arch = space_.decode(indices);
  Entry entry;
  if (!predict_from_parts(arch, &entry.prediction)) {
    graph::Graph graph = space::lower(arch);
    entry.prediction = model_.predict_interval(graph);
    entry.on_edgetpu = latency::first_unsupported_node(graph) < 0;
  }
  ++evaluations_;
  return cache_.emplace(std::move(key), entry).first->second;
}

double ArchLatency::latency_ms(const std::vector<int>& indices) { return evaluate(indices).prediction.ms; }

latency::LatencyPrediction ArchLatency::latency_interval(const std::vector<int>& indices) {
  return evaluate(indices).prediction;
}

double ArchLatency::latency_ms_uncached(const std::vector<int>& indices) const {
  return model_.predict_ms(space::lower(space_.decode(indices)));
}

void ArchLatency::clear_caches() {
  cache_.clear();
  parts_.clear();
}

bool ArchLatency::on_edgetpu(const std::vector<int>& indices) { return evaluate(indices).on_edgetpu; }

std::vector<latency::UnsupportedOp> ArchLatency::unsupported(const std::vector<int>& indices) const {
  return latency::check_edgetpu(space::lower(space_.decode(indices)));
}

std::vector<MaskedChoice> edgetpu_masks(ArchLatency& latency, std::vector<std::string>* unavoidable) {
  const space::SearchSpace& space = latency.space();
  ChoiceMask everything = all_allowed(space);
  std::vector<int> base = coordinate_descent(unskipped_base(space), everything, [&](const std::vector<int>& x) {
    return static_cast<double>(count_unsupported(latency, x));
  });
  std::vector<latency::UnsupportedOp> base_ops = latency.unsupported(base);
  if (unavoidable) {
    unavoidable->clear();
    for (const auto& op : base_ops) unavoidable->push_back(op.id + ": " + op.reason);
  }
  std::set<std::string> base_ids;
  for (const auto& op : base_ops) base_ids.insert(op.id);

  std::vector<MaskedChoice> masks;
  for (size_t d = 0; d < base.size(); ++d) {
    const space::Decision& decision = space.decisions()[d];
    for (size_t c = 0; c < decision.choices.size(); ++c) {
      std::vector<int> x = base;
      x[d] = static_cast<int>(c);
      for (const auto& op : latency.unsupported(x)) {
        if (base_ids.count(op.id)) continue;
        masks.push_back({static_cast<int>(d), static_cast<int>(c),
                         decision.name + " = " + space::choice_text(decision.choices[c]) + ": " + op.id + ": " + op.reason});
        break;
      }
    }
  }
  return masks;
}

LatencyRange latency_range(ArchLatency& latency, const ChoiceMask& allowed, int64_t exhaustive_limit) {
  const space::SearchSpace& space = latency.space();
  const size_t n = space.decisions().size();
  LatencyRange range;
  double combinations = 1.0;
  for (const auto& row : allowed) combinations *= static_cast<double>(std::count(row.begin(), row.end(), true));
  if (combinations <= static_cast<double>(exhaustive_limit)) {
    // Odometer over the allowed choices.
    std::vector<std::vector<int>> choices(n);
    for (size_t d = 0; d < n; ++d) {
      for (size_t c = 0; c < allowed[d].size(); ++c) {
        if (allowed[d][c]) choices[d].push_back(static_cast<int>(c));
      }
    }
    std::vector<size_t> pos(n, 0);
    range.min_ms = std::numeric_limits<double>::infinity();
    range.max_ms = -std::numeric_limits<double>::infinity();
    while (true) {
      std::vector<int> x(n);
      for (size_t d = 0; d < n; ++d) x[d] = choices[d][pos[d]];
      double ms = latency.latency_ms(x);
      if (ms < range.min_ms) range.min_ms = ms, range.fastest = x;
      if (ms > range.max_ms) range.max_ms = ms, range.slowest = x;
      size_t d = 0;
      while (d < n && ++pos[d] == choices[d].size()) pos[d++] = 0;
      if (d == n) break;
    }
    range.exact = true;
    return range;
  }
  // Start from the choice of each decision that is cheapest (dearest) on its own.
  auto start = [&](double sign) {
    std::vector<int> x(n, 0);
    for (size_t d = 0; d < n; ++d) {
      while (!allowed[d][x[d]]) ++x[d];
    }
    std::vector<int> base = x;
    for (size_t d = 0; d < n; ++d) {
      double best = std::numeric_limits<double>::infinity();
      for (size_t c = 0; c < allowed[d].size(); ++c) {
        if (!allowed[d][c]) continue;
        std::vector<int> y = base;
        y[d] = static_cast<int>(c);
        double s = sign * latency.latency_ms(y);
        if (s < best) best = s, x[d] = static_cast<int>(c);
      }
    }
    return x;
  };
  range.fastest = coordinate_descent(start(1.0), allowed, [&](const std::vector<int>& x) { return latency.latency_ms(x); });
  range.slowest = coordinate_descent(start(-1.0), allowed, [&](const std::vector<int>& x) { return -latency.latency_ms(x); });
  range.min_ms = latency.latency_ms(range.fastest);
  range.max_ms = latency.latency_ms(range.slowest);
  return range;
}

}  // namespace nasctl::search
