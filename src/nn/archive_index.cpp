#include "nn/archive_index.h"

#include <cstring>
#include <unordered_set>

#include "nasctl/core/error.h"

namespace nasctl::nn::detail {
namespace {

constexpr char kMagic[8] = {'N', 'A', 'S', 'C', 'T', 'L', 'T', 'A'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kAlign = 64;
constexpr size_t kFixed = sizeof kMagic + sizeof(uint32_t) + sizeof(uint64_t);

struct DtypeSize {
  const char* name;
  int size;
};
constexpr DtypeSize kDtypes[] = {{"float32", 4}, {"float64", 8}, {"float16", 2}, {"bfloat16", 2}, {"int64", 8},
                                 {"int32", 4},   {"int16", 2},   {"int8", 1},    {"uint8", 1},    {"bool", 1}};

template <typename T>
T take(const std::string& in, size_t offset) {
  T value;
  std::memcpy(&value, in.data() + offset, sizeof(T));
  return value;
}

// A non-negative integer of the index, or an Error naming the entry and key.
uint64_t index_uint(const JsonView& v, const std::string& key) {
  const Json& value = v.raw().contains(key) ? v.raw().at(key) : Json();
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return uint64_t(value.get<int64_t>());
  v.fail(key, "an integer >= 0");
}

ArchiveEntry parse_entry(const JsonView& v, uint64_t data_size, const std::string& data, uint64_t data_start) {
  ArchiveEntry e;
  e.name = v.get_string("name");
  if (e.name.empty()) v.fail("name", "a non-empty string");
  e.dtype = v.get_string("dtype");
  const int element = dtype_size(e.dtype);
  if (element == 0) v.fail("dtype", "a dtype the archive format knows (float32, int64, ...)");
  const Json& shape = v.raw().contains("shape") ? v.raw().at("shape") : Json();
  constexpr size_t kMaxRank = 16;
  if (!shape.is_array() || shape.size() > kMaxRank) v.fail("shape", "a list of at most 16 dimensions");
  uint64_t numel = 1;
  bool overflow = false;
  for (const Json& d : shape) {
    if (!(d.is_number_unsigned() || (d.is_number_integer() && d.get<int64_t>() >= 0)) ||
        d.get<uint64_t>() > uint64_t(INT64_MAX)) {
      v.fail("shape", "a list of dimensions >= 0");
    }
    overflow = overflow || __builtin_mul_overflow(numel, d.get<uint64_t>(), &numel);
    e.shape.push_back(d.get<int64_t>());
  }
  uint64_t expected = 0;
  overflow = overflow || __builtin_mul_overflow(numel, uint64_t(element), &expected);
  e.offset = index_uint(v, "offset");
  e.bytes = index_uint(v, "bytes");
  if (overflow || expected != e.bytes) {
    v.fail("bytes", "the size of its shape x " + std::to_string(element) + "-byte elements");
  }
  if (e.offset > data_size || e.bytes > data_size - e.offset) {
    throw Error(v.where() + " ('" + e.name + "'): truncated data (claims " + std::to_string(e.bytes) + " bytes at offset " +
                std::to_string(e.offset) + ", but the data section has " + std::to_string(data_size) + ")");
  }
  const std::string hash = v.get_string("hash");
  const char* bytes = e.bytes == 0 ? data.data() : data.data() + data_start + e.offset;
  if (fnv1a64(bytes, size_t(e.bytes)) != hash) {
    throw Error(v.where() + " ('" + e.name + "'): data is damaged (hash)");
  }
  return e;
}

}  // namespace

int dtype_size(const std::string& name) {
  for (const DtypeSize& d : kDtypes) {
    if (name == d.name) return d.size;
  }
  return 0;
}

std::string fnv1a64(const char* data, size_t size) {
  uint64_t hash = 1469598103934665603ULL;
  for (size_t i = 0; i < size; ++i) {
    hash ^= static_cast<unsigned char>(data[i]);
    hash *= 1099511628211ULL;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(hash));
  return text;
}

ArchiveIndex parse_archive_index(const std::string& data, const std::string& path) {
  if (data.size() < kFixed || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    throw Error(path + ": not a nasctl tensor archive (bad magic)");
  }
  uint32_t version = take<uint32_t>(data, sizeof kMagic);
  if (version != kVersion) {
    throw Error(path + ": tensor archive version " + std::to_string(version) + " is not supported (expected " +
                std::to_string(kVersion) + ")");
  }
  uint64_t header_size = take<uint64_t>(data, sizeof kMagic + sizeof(uint32_t));
  if (header_size > data.size() - kFixed) throw Error(path + ": truncated tensor archive (header)");
  Json header = parse_json(data.substr(kFixed, header_size), path + " (header)");
  ArchiveIndex index;
  // The data section starts at the next multiple of 64 after the header (nothing there is fine
  // for an archive without tensors).
  index.data_start = (kFixed + header_size + kAlign - 1) / kAlign * kAlign;
  const uint64_t data_size = index.data_start <= data.size() ? data.size() - index.data_start : 0;
  if (!header.is_object() || !header.contains("tensors") || !header["tensors"].is_array()) {
    throw Error(path + ": tensor archive header has no tensor index");
  }
  if (header.contains("meta") && !header["meta"].is_object()) {
    throw Error(path + ": tensor archive metadata must be a JSON object, but got " + json_excerpt(header["meta"]));
  }
  index.meta = header.value("meta", Json::object());
  std::unordered_set<std::string> names;
  const Json& tensors = header["tensors"];
  for (size_t i = 0; i < tensors.size(); ++i) {
    const std::string where = path + ": tensors[" + std::to_string(i) + "]";
    if (!tensors[i].is_object()) throw Error(where + " must be an object, but got " + json_excerpt(tensors[i]));
    JsonView v(tensors[i], where);
    v.check_keys({"name", "dtype", "shape", "offset", "bytes", "hash"});
    ArchiveEntry e = parse_entry(v, data_size, data, index.data_start);
    if (!names.insert(e.name).second) throw Error(path + ": tensor '" + e.name + "' is listed twice");
    index.entries.push_back(std::move(e));
  }
  return index;
}

}  // namespace nasctl::nn::detail
