#pragma once
/// `nasctl eval` as a library call: the top-1 / top-5 accuracy of a checkpoint on a data set's
/// validation (or training) split, with the checkpoint's own evaluation preprocessing.

#include <cstdint>
#include <string>
#include <vector>

#include "nasctl/core/json.h"
#include "nasctl/train/evaluate.h"

namespace nasctl::train {

struct CheckpointEvalOptions {
  std::string checkpoint;               ///< checkpoint file written by nasctl train (required)
  std::string data = "fashion-mnist";   ///< ImageFolder root, IDX folder or "fashion-mnist"
  std::string labels;                   ///< class-name file; default none
  std::string split = "val";            ///< "val" or "train"
  std::string weights = "auto";         ///< "auto" (EMA when present), "model" or "ema"
  int batch_size = 256;                 ///< images per batch
  int workers = 2;                      ///< data loading threads
  std::string device = "cpu";           ///< "cpu", "cuda" or "cuda:N"

  /// Throws Error naming the flag and the value.
  void validate() const;
};

struct CheckpointEval {
  std::string checkpoint;
  int64_t epoch = 0;                     ///< the checkpoint's epoch
  bool ema = false;                      ///< the EMA weights were evaluated
  std::string data;                      ///< the data set's description
  std::vector<std::string> class_names;  ///< the checkpoint's (or else the data's) class names
  EvalResult result;
  int64_t unreadable_files = 0;

  /// What `nasctl eval --json` prints; `per_class` adds one row per class.
  Json to_json(bool per_class) const;
};

/// Loads the checkpoint, checks that the data has its classes, and evaluates it.
CheckpointEval evaluate_checkpoint(const CheckpointEvalOptions& options);

}  // namespace nasctl::train
