// Resolving a training run's data, network and preprocessing (TrainSetup).
#include <spdlog/spdlog.h>

#include "nasctl/core/error.h"
#include "nasctl/graph/graph_json.h"
#include "nasctl/space/arch_spec.h"
#include "nasctl/space/lower.h"
#include "nasctl/space/network_source.h"
#include "nasctl/train/trainer.h"

namespace nasctl::train {
namespace {

// Small fixed-size images (IDX: 28 x 28) train zoo networks at 32 x 32 unless told otherwise.
constexpr int kSmallImageInput = 32;

bool small_fixed_images(const data::Dataset& d) {
  data::ImageShape s = d.fixed_shape();
  return s.height > 0 && std::max(s.height, s.width) <= 64;
}

graph::Graph resolve_graph(const TrainOptions& o, const data::Dataset& train, int classes, Json* arch_json) {
  const int channels = train.channels();
  if (!o.model.empty()) {
    space::NetworkSource source;
    source.model = o.model;
    source.zoo.classes = classes;
    source.zoo.channels = channels;
    source.zoo.width = o.width;
    source.zoo.input_size = o.input_size > 0 ? o.input_size : (small_fixed_images(train) ? kSmallImageInput : 0);
    return space::load_network(source);
  }
  if (!o.arch_file.empty()) {
    Json json = load_json_file(o.arch_file);
    if (json.is_object() && json.contains("nodes")) {
      throw Error(o.arch_file + ": this is a graph (it has \"nodes\"), not an ArchSpec: pass it with --graph");
    }
    space::ArchSpec arch = space::arch_from_json(json, o.arch_file);
    if (arch.classes != classes) {
      spdlog::info("{}: classifier resized from {} to the data's {} classes", o.arch_file, arch.classes, classes);
    }
    arch.classes = classes;
    arch.input.c = channels;
    if (o.input_size > 0) arch.input.h = arch.input.w = o.input_size;
    *arch_json = space::arch_to_json(arch);
    return space::lower(arch);
  }
  space::NetworkSource source;
  source.graph_file = o.graph_file;
  graph::Graph g = space::load_network(source);
  if (g.input.h != g.input.w) {
    throw Error(o.graph_file + ": input must be square for training, but it is " + g.input.str());
  }
  if (o.input_size > 0 && o.input_size != g.input.h) {
    throw Error("--input-size " + std::to_string(o.input_size) + " disagrees with " + o.graph_file +
                ", whose input is " + g.input.str() + " (a graph's input size is fixed)");
  }
  graph::Shape out = g.output_shape();
  if (out.h != 1 || out.w != 1 || out.c != classes) {
    throw Error(o.graph_file + ": the network's output is " + out.str() + ", but the data has " +
                std::to_string(classes) + " classes (expected 1x1x" + std::to_string(classes) + ")");
  }
  if (g.input.c != 1 && g.input.c != 3) {
    throw Error(o.graph_file + ": input channels must be 1 or 3 for image data, but got " + std::to_string(g.input.c));
  }
  return g;
}

data::TransformOptions make_transform(const TrainOptions& o, const data::Dataset& d, const graph::Graph& g,
                                      bool train) {
  data::TransformOptions t = data::default_transform(d, g.input.h, train);
  data::read_transform_json(JsonView(o.transform, "train.transform"), &t);
  t.input_size = g.input.h;
  t.channels = g.input.c;
  t.train = train;
  return data::resolve_transform(t, d);
}

}  // namespace

TrainSetup resolve_setup(const TrainOptions& o) {
  TrainSetup s;
  data::DataOptions data_options;
  data_options.labels_file = o.labels_file;
  s.train_data = data::open_dataset(o.data, data::Split::kTrain, data_options);
  s.val_data = data::open_dataset(o.data, data::Split::kVal, data_options);
  s.classes = s.train_data->classes();
  if (o.classes > 0 && o.classes != s.classes) {
    throw Error("--classes " + std::to_string(o.classes) + " disagrees with the data: " + s.train_data->describe() +
                " has " + std::to_string(s.classes) + " classes");
  }
  if (s.val_data->classes() != s.classes) {
    throw Error(o.data + ": the validation split has " + std::to_string(s.val_data->classes()) +
                " classes but the training split " + std::to_string(s.classes));
  }
  s.class_names = s.train_data->class_names();
  s.graph = resolve_graph(o, *s.train_data, s.classes, &s.arch);
  s.train_transform = make_transform(o, *s.train_data, s.graph, true);
  s.eval_transform = make_transform(o, *s.val_data, s.graph, false);
  return s;
}

std::string last_checkpoint_path(const std::string& run_dir) { return run_dir + "/checkpoints/last.ckpt"; }

}  // namespace nasctl::train
