// File layout (all integers little-endian):
//   8 bytes  magic "NASCTLTA"
//   4 bytes  format version (1)
//   8 bytes  header length L
//   L bytes  header JSON: {"meta": {...}, "tensors": [{"name", "dtype", "shape", "offset", "bytes",
//            "hash"}, ...]}; offsets count from the start of the data section
//   padding to a multiple of 64 bytes, then the data section: each tensor's raw little-endian
//   elements, C-contiguous, each starting at a multiple of 64 bytes.
// "hash" is FNV-1a-64 over the tensor's bytes (hex), so a damaged file is reported, not loaded.
#include "nasctl/nn/tensor_archive.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "nasctl/core/error.h"
#include "nasctl/core/files.h"
#include "nn/archive_index.h"

namespace nasctl::nn {
namespace {

constexpr char kMagic[8] = {'N', 'A', 'S', 'C', 'T', 'L', 'T', 'A'};
constexpr uint32_t kVersion = 1;
constexpr size_t kAlign = 64;

size_t align_up(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

bool little_endian_host() {
  const uint16_t probe = 1;
  unsigned char first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

void require_little_endian() {
  if (!little_endian_host()) throw runtime_error("tensor archives need a little-endian machine");
}

struct DtypeName {
  torch::Dtype dtype;
  const char* name;
};
const DtypeName kDtypes[] = {
    {torch::kFloat32, "float32"}, {torch::kFloat64, "float64"}, {torch::kFloat16, "float16"},
    {torch::kBFloat16, "bfloat16"}, {torch::kInt64, "int64"},   {torch::kInt32, "int32"},
    {torch::kInt16, "int16"},     {torch::kInt8, "int8"},       {torch::kUInt8, "uint8"},
    {torch::kBool, "bool"},
};

const char* dtype_name(torch::Dtype dtype, const std::string& tensor) {
  for (const auto& d : kDtypes) {
    if (d.dtype == dtype) return d.name;
  }
  throw Error("tensor '" + tensor + "' has a dtype (" + std::string(c10::toString(dtype)) +
              ") a tensor archive cannot store");
}

torch::Dtype parse_dtype(const std::string& name, const std::string& where) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return d.dtype;
  }
  throw Error(where + ": unknown dtype \"" + name + "\"");
}

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

}  // namespace

void TensorArchive::add(const std::string& name, const torch::Tensor& tensor) {
  for (auto& entry : tensors) {
    if (entry.first == name) throw Error("tensor archive: tensor '" + name + "' added twice", Error::Kind::kRuntime);
  }
  tensors.emplace_back(name, tensor.detach().to(torch::kCPU).contiguous().clone());
}

bool TensorArchive::contains(const std::string& name) const {
  for (const auto& entry : tensors) {
    if (entry.first == name) return true;
  }
  return false;
}

const torch::Tensor& TensorArchive::get(const std::string& name, const std::string& origin) const {
  for (const auto& entry : tensors) {
    if (entry.first == name) return entry.second;
  }
  throw Error(origin + ": has no tensor '" + name + "'");
}

void save_archive(const TensorArchive& archive, const std::string& path) {
  require_little_endian();
  Json index = Json::array();
  size_t offset = 0;
  for (const auto& [name, tensor] : archive.tensors) {
    torch::Tensor t = tensor.contiguous();
    size_t bytes = t.numel() * t.element_size();
    index.push_back({{"name", name},
                     {"dtype", dtype_name(t.scalar_type(), name)},
                     {"shape", t.sizes().vec()},
                     {"offset", offset},
                     {"bytes", bytes},
                     {"hash", detail::fnv1a64(static_cast<const char*>(t.data_ptr()), bytes)}});
    offset = align_up(offset + bytes);
  }
  Json header = {{"meta", archive.meta}, {"tensors", index}};
  std::string head(kMagic, sizeof kMagic);
  put<uint32_t>(head, kVersion);
  std::string header_text = header.dump();
  put<uint64_t>(head, header_text.size());
  head += header_text;
  head.resize(align_up(head.size()), '\0');

  write_file_atomic_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw runtime_error(path + ": cannot write checkpoint (" + std::strerror(errno) + ")");
    out.write(head.data(), static_cast<std::streamsize>(head.size()));
    const std::string zeros(kAlign, '\0');
    for (const auto& entry : archive.tensors) {
      torch::Tensor t = entry.second.contiguous();
      size_t bytes = t.numel() * t.element_size();
      out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(bytes));
      out.write(zeros.data(), static_cast<std::streamsize>(align_up(bytes) - bytes));
    }
    out.flush();
    if (!out) throw runtime_error(path + ": checkpoint write failed (" + std::strerror(errno) + ")");
  });
}

TensorArchive load_archive(const std::string& path) {
  require_little_endian();
  const std::string data = read_file(path);
  detail::ArchiveIndex index = detail::parse_archive_index(data, path);  // checks every claim first
  TensorArchive archive;
  archive.meta = std::move(index.meta);
  for (const detail::ArchiveEntry& e : index.entries) {
    torch::Tensor t = torch::empty(e.shape, torch::TensorOptions().dtype(parse_dtype(e.dtype, path)));
    if (e.bytes > 0) std::memcpy(t.data_ptr(), data.data() + index.data_start + e.offset, size_t(e.bytes));
    archive.tensors.emplace_back(e.name, t);
  }
  return archive;
}

void add_module_state(TensorArchive& archive, torch::nn::Module& module, const std::string& prefix) {
  for (const auto& item : module.named_parameters()) archive.add(prefix + item.key(), item.value());
  for (const auto& item : module.named_buffers()) archive.add(prefix + item.key(), item.value());
}

void load_module_state(const TensorArchive& archive, torch::nn::Module& module, const std::string& origin,
                       const std::string& prefix) {
  std::vector<std::pair<std::string, torch::Tensor>> targets;
  for (const auto& item : module.named_parameters()) targets.emplace_back(item.key(), item.value());
  for (const auto& item : module.named_buffers()) targets.emplace_back(item.key(), item.value());
  // Check everything first, so that a mismatch leaves the module untouched.
  for (const auto& [name, target] : targets) {
    if (!archive.contains(prefix + name)) {
      throw Error(origin + ": the network's tensor '" + name +
                  "' is missing from the checkpoint (a checkpoint of another architecture?)");
    }
    const torch::Tensor& source = archive.get(prefix + name, origin);
    if (source.sizes() != target.sizes()) {
      throw Error(origin + ": tensor '" + name + "' has shape " + c10::str(source.sizes()) +
                  " in the checkpoint but " + c10::str(target.sizes()) + " in the network");
    }
  }
  for (const auto& [name, tensor] : archive.tensors) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string local = name.substr(prefix.size());
    bool known = std::any_of(targets.begin(), targets.end(), [&](const auto& t) { return t.first == local; });
    if (!known) {
      throw Error(origin + ": the checkpoint's tensor '" + local +
                  "' is not in the network (a checkpoint of another architecture?)");
    }
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, target] : targets) target.copy_(archive.get(prefix + name, origin));
}

}  // namespace nasctl::nn
