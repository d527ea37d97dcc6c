#pragma once
// The tensor archive's header and index, parsed and checked without LibTorch: every claim the
// file makes (dtype, shape, size, offset, hash, unique names) is checked against the file's real
// size before anything is allocated, so a damaged or hostile file gets one clear error naming it.

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/core/json.h"

namespace nasctl::nn::detail {

/// One tensor as the index describes it, already checked.
struct ArchiveEntry {
  std::string name;
  std::string dtype;            ///< one of archive_dtypes()
  std::vector<int64_t> shape;   ///< every dimension >= 0
  uint64_t offset = 0;          ///< from the start of the data section
  uint64_t bytes = 0;           ///< = product(shape) x element size, within the file
};

struct ArchiveIndex {
  Json meta = Json::object();
  std::vector<ArchiveEntry> entries;
  uint64_t data_start = 0;      ///< where the data section begins in the file
};

/// Element size of a dtype name ("float32" -> 4), or 0 when the archive format does not know it.
int dtype_size(const std::string& name);

/// FNV-1a-64 of `size` bytes as 16 hex digits (the index's "hash").
std::string fnv1a64(const char* data, size_t size);

/// Parses the fixed header and the JSON index of an archive whose whole content is `data`, checks
/// every entry (including its hash) and throws Error naming `path` at the first problem.
ArchiveIndex parse_archive_index(const std::string& data, const std::string& path);

}  // namespace nasctl::nn::detail
