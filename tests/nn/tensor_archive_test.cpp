#include "nasctl/nn/tensor_archive.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "nasctl/core/files.h"
#include "nasctl/graph/builder.h"
#include "nasctl/nn/graph_net.h"
#include "support.h"

namespace nasctl::nn {
namespace {
using graph::Activation;
using graph::GraphBuilder;
using testing::TempDir;

GraphNet make_net(int filters, uint64_t seed = 0) {
  GraphBuilder b("net", {8, 8, 3});
  std::string x = b.conv_bn(GraphBuilder::kInput, filters, 3, 1, Activation::kRelu);
  GraphNetOptions options;
  options.seed = seed;
  return GraphNet(b.build(b.fully_connected(b.global_avg_pool(x), 4)), options);
}

TEST(TensorArchive, RoundTripsEveryDtypeShapeAndMeta) {
  TempDir dir;
  TensorArchive a;
  a.meta = {{"format", "test"}, {"epoch", 3}, {"list", {1.5, 2.5}}};
  a.add("f32", torch::randn({3, 4}));
  a.add("f64", torch::randn({2}, torch::kFloat64));
  a.add("i64", torch::arange(7));
  a.add("i32", torch::arange(5, torch::kInt32));
  a.add("u8", torch::arange(200, torch::kUInt8));
  a.add("i8", torch::arange(-5, 5, torch::kInt8));
  a.add("bool", torch::tensor({true, false, true}));
  a.add("f16", torch::randn({4}).to(torch::kFloat16));
  a.add("scalar", torch::tensor(3.25));
  a.add("empty", torch::zeros({0, 3}));
  a.add("strided", torch::randn({4, 6}).t());  // non-contiguous input is stored contiguous
  save_archive(a, dir.file("a.nta"));
  TensorArchive b = load_archive(dir.file("a.nta"));
  EXPECT_EQ(b.meta, a.meta);
  ASSERT_EQ(b.tensors.size(), a.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    EXPECT_EQ(b.tensors[i].first, a.tensors[i].first);
    EXPECT_EQ(b.tensors[i].second.scalar_type(), a.tensors[i].second.scalar_type()) << a.tensors[i].first;
    EXPECT_TRUE(torch::equal(b.tensors[i].second, a.tensors[i].second)) << a.tensors[i].first;
  }
  EXPECT_THROW_MSG(a.add("f32", torch::zeros({1})), "added twice");
  EXPECT_THROW_MSG(b.get("nope", "ckpt.nta"), "ckpt.nta: has no tensor 'nope'");
}

TEST(TensorArchive, FileLayoutIsDocumentedHeaderThenAlignedRawBytes) {
  // The layout docs/formats.md documents, read back without LibTorch's help.
  TempDir dir;
  TensorArchive a;
  a.add("x", torch::tensor({1.0f, 2.0f}));
  save_archive(a, dir.file("a.nta"));
  std::string bytes = read_file(dir.file("a.nta"));
  ASSERT_EQ(bytes.substr(0, 8), "NASCTLTA");
  uint32_t version;
  uint64_t header_size;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&header_size, bytes.data() + 12, 8);
  EXPECT_EQ(version, 1u);
  Json header = Json::parse(bytes.substr(20, header_size));
  EXPECT_EQ(header["tensors"][0]["dtype"], "float32");
  EXPECT_EQ(header["tensors"][0]["shape"], Json::array({2}));
  size_t base = (20 + header_size + 63) / 64 * 64;
  float values[2];
  std::memcpy(values, bytes.data() + base, 8);
  EXPECT_EQ(values[0], 1.0f);
  EXPECT_EQ(values[1], 2.0f);
}

TEST(TensorArchive, DamagedFilesAreReportedByName) {
  TempDir dir;
  TensorArchive a;
  a.add("x", torch::randn({64}));
  save_archive(a, dir.file("a.nta"));
  std::string bytes = read_file(dir.file("a.nta"));

  write_file_atomic(dir.file("magic.nta"), "PK\x03\x04 not an archive at all");
  EXPECT_THROW_MSG(load_archive(dir.file("magic.nta")), "magic.nta: not a nasctl tensor archive");
  write_file_atomic(dir.file("short.nta"), bytes.substr(0, bytes.size() - 10));
  EXPECT_THROW_MSG(load_archive(dir.file("short.nta")), "short.nta: tensors[0] ('x'): truncated data");
  std::string flipped = bytes;
  flipped[flipped.size() - 5] ^= 0x40;
  write_file_atomic(dir.file("flipped.nta"), flipped);
  EXPECT_THROW_MSG(load_archive(dir.file("flipped.nta")), "flipped.nta: tensors[0] ('x'): data is damaged");
  EXPECT_THROW_MSG(load_archive(dir.file("missing.nta")), "missing.nta: cannot open file");
}

TEST(TensorArchive, ModuleStateRoundTripsAndMismatchesNameTheFirstTensor) {
  TempDir dir;
  GraphNet a = make_net(8, 1), b = make_net(8, 2);
  TensorArchive archive;
  add_module_state(archive, *a, "model.");
  save_archive(archive, dir.file("m.nta"));
  load_module_state(load_archive(dir.file("m.nta")), *b, "m.nta", "model.");
  for (const auto& item : a->named_parameters()) {
    EXPECT_TRUE(torch::equal(item.value(), b->named_parameters()[item.key()])) << item.key();
  }
  EXPECT_TRUE(archive.contains("model." + GraphNetImpl::module_name(a->graph().nodes[1].id) + ".running_var"));

  GraphNet wider = make_net(16);
  torch::Tensor before = wider->parameters()[0].clone();
  std::string conv = GraphNetImpl::module_name(wider->graph().nodes[0].id);
  EXPECT_THROW_MSG(load_module_state(archive, *wider, "m.nta", "model."),
                   "m.nta: tensor '" + conv + ".weight' has shape [8, 3, 3, 3] in the checkpoint but [16, 3, 3, 3]");
  EXPECT_TRUE(torch::equal(before, wider->parameters()[0])) << "a failed load must leave the module untouched";

  TensorArchive extra = archive;
  extra.add("model.head.weight", torch::zeros({1}));
  EXPECT_THROW_MSG(load_module_state(extra, *b, "m.nta", "model."), "tensor 'head.weight' is not in the network");
  TensorArchive empty;
  EXPECT_THROW_MSG(load_module_state(empty, *b, "e.nta", "model."), "e.nta: the network's tensor '" + conv +
                                                                         ".weight' is missing from the checkpoint");
}

TEST(TensorArchive, FailedWriteLeavesThePreviousFileIntact) {
  TempDir dir;
  const std::string path = dir.file("ckpt.nta");
  TensorArchive first;
  first.add("x", torch::ones({3}));
  save_archive(first, path);
  // The temporary file's name is taken by a folder: the write fails midway (also for root).
  std::filesystem::create_directory(path + ".tmp." + std::to_string(::getpid()));
  TensorArchive second;
  second.add("x", torch::zeros({3}));
  EXPECT_THROW(save_archive(second, path), Error);
  EXPECT_TRUE(torch::equal(load_archive(path).get("x"), torch::ones({3})));
}

}  // namespace
}  // namespace nasctl::nn
