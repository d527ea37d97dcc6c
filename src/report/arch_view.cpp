// The found architecture: one box per block with its predicted Edge TPU time and what bounds it,
// and the network's roofline (latency::report_svg).
#include <cmath>
#include <map>

#include "nasctl/core/error.h"
#include "nasctl/latency/edgetpu_model.h"
#include "nasctl/latency/hardware_profile.h"
#include "nasctl/latency/report.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/lower.h"
#include "report/html.h"
#include "report/sections.h"

namespace nasctl::report {
namespace {

// The ops of one box of the diagram and what they cost.
struct BlockCost {
  double ms = 0;
  std::map<latency::Bound, double> by_bound;  // time per bound of the ops in the block

  latency::Bound bound() const {
    latency::Bound best = latency::Bound::kFused;
    double most = -1;
    for (const auto& [b, ms] : by_bound) {
      if (ms > most) best = b, most = ms;
    }
    return best;
  }
};

bool starts_with(const std::string& text, const std::string& prefix) { return text.rfind(prefix, 0) == 0; }

// Box index of every node: 0 = stem, 1 + i = block i, blocks + 1 = head (pool, classifier, ...).
std::vector<BlockCost> block_costs(const space::ArchSpec& arch, const graph::Graph& g, const latency::LatencyReport& r) {
  std::vector<BlockCost> costs(arch.blocks.size() + 2);
  for (const latency::OpCost& op : r.ops) {
    const std::string& id = g.nodes[static_cast<size_t>(op.node)].id;
    size_t box = arch.blocks.size() + 1;
    if (starts_with(id, "stem")) box = 0;
    for (size_t i = 0; i < arch.blocks.size(); ++i) {
      if (arch.blocks[i].type == space::BlockType::kSkip) continue;
      if (starts_with(id, space::block_prefix(static_cast<int>(i), arch.blocks[i].type) + "_")) box = i + 1;
    }
    costs[box].ms += 1e3 * op.time_s;
    if (op.bound != latency::Bound::kFused) costs[box].by_bound[op.bound] += 1e3 * op.time_s;
  }
  return costs;
}

std::string expansion_text(double e) {
  return std::abs(e - std::round(e)) < 1e-9 ? std::to_string(static_cast<int>(std::lround(e))) : html::fixed(e, 2);
}

std::string box(const std::string& title, const std::string& detail, const BlockCost& cost, double total_ms) {
  std::string bound = latency::bound_name(cost.bound());
  double share = total_ms > 0 ? cost.ms / total_ms : 0;
  return "<div class=\"block bound-" + bound + "\" data-ms=\"" + html::fixed(cost.ms, 6) + "\" title=\"" +
         html::escape(title + " " + detail + ": " + html::fixed(cost.ms, 4) + " ms, " + bound + "-bound") +
         "\"><div class=\"btype\">" + html::escape(title) + "</div><div class=\"bdetail\">" + detail +
         "</div><div class=\"bms\">" + html::fixed(cost.ms, 3) + " ms</div><div class=\"bbound\">" + bound +
         "</div><div class=\"bshare\" style=\"width:" + html::fixed(100 * share, 1) + "%\"></div></div>";
}

std::string diagram(const space::ArchSpec& arch, const std::vector<BlockCost>& costs, double total_ms) {
  std::string out = "<div class=\"arch\">";
  out += box("stem", "conv " + std::to_string(arch.stem.kernel) + "x" + std::to_string(arch.stem.kernel) + "<br>" +
                         std::to_string(arch.stem.filters) + " ch, stride " + std::to_string(arch.stem.stride),
             costs[0], total_ms);
  for (size_t i = 0; i < arch.blocks.size(); ++i) {
    const space::BlockSpec& b = arch.blocks[i];
    if (b.type == space::BlockType::kSkip) {
      out += "<div class=\"block skip\" title=\"block " + std::to_string(i) + ": skipped\"><div class=\"btype\">skip</div></div>";
      continue;
    }
    std::string detail = "k" + std::to_string(b.kernel) + " e" + expansion_text(b.expansion) + (b.se ? " se" : "") +
                         "<br>" + std::to_string(b.filters) + " ch, stride " + std::to_string(b.stride);
    out += box(std::to_string(i) + ": " + space::block_type_name(b.type), detail, costs[i + 1], total_ms);
  }
  std::string head = arch.head.filters > 0 ? "conv 1x1 " + std::to_string(arch.head.filters) + " ch<br>" : "";
  out += box("head", head + "pool, " + std::to_string(arch.classes) + " classes", costs.back(), total_ms);
  return out + "</div>\n";
}

latency::HardwareProfile profile_of(const Json& result, const Json& profile) {
  if (profile.is_object()) return latency::profile_from_json(profile, "config.json: resolved.hardware");
  return latency::load_hardware_profile(result.value("hardware", std::string("coral-usb3")));
}

}  // namespace

std::string architecture_view(const Json& result, const Json& profile, PageContext& context) {
  if (!result.is_object() || !result.contains("arch")) return "<p class=\"note\">No architecture yet.</p>\n";
  try {
    space::ArchSpec arch = space::arch_from_json(result["arch"], "arch");
    graph::Graph g = space::lower(arch);
    latency::EdgeTpuModel model(profile_of(result, profile));
    latency::LatencyReport r = model.predict(g);
    std::vector<BlockCost> costs = block_costs(arch, g, r);
    std::string out = "<h3>Found architecture</h3>\n<p class=\"caption\">Each box is a block (type, kernel k, "
                      "expansion e, output channels, stride) with its predicted time on " +
                      html::escape(model.profile().name) + " and what bounds it; the bar under it is its share of "
                      "the " + html::fixed(r.total_ms, 3) + " ms per inference (the rest is transfers and fixed "
                      "overhead: " + html::fixed(r.transfer_ms + r.overhead_ms, 3) + " ms).</p>\n";
    out += "<div class=\"legend\"><span class=\"key bound-compute\">compute</span><span class=\"key bound-memory\">"
           "memory</span><span class=\"key bound-weights\">weight streaming</span><span class=\"key bound-overhead\">"
           "overhead</span><span class=\"key bound-cpu\">CPU</span></div>\n";
    out += diagram(arch, costs, r.total_ms);
    out += "<h3>Roofline and per-layer time</h3>\n";
    out += context.figure(latency::report_svg(g, r, model), "figure roofline");
    return out;
  } catch (const Error& e) {
    context.warnings.push_back(std::string("the architecture could not be drawn: ") + e.what());
    return "<p class=\"note\">The architecture could not be drawn: " + html::escape(e.what()) + "</p>\n";
  }
}

}  // namespace nasctl::report
