// Reading and writing safetensors files, the checkpoint format kiln shares with PyTorch
// (https://github.com/huggingface/safetensors):
//
//   8 bytes   N, the header length, little-endian u64
//   N bytes   JSON header {"__metadata__": {"k": "v"},
//                          "name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}}
//             padded with spaces to a multiple of 8
//   the rest  the tensors' little-endian bytes; offsets are relative to this section, and
//             tensors are contiguous, in header order, with nothing after the last one.
#pragma once

#include "kiln/runtime/Tensor.h"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

/// A tensor with its name in a state dict ("fc1.weight").
struct NamedTensor {
  std::string name;
  Tensor tensor;
  /// For an i32 tensor: stored on disk as I64, as PyTorch keeps `num_batches_tracked`.
  /// readSafetensors sets it when the file held I64, so a read-modify-write keeps the type.
  bool int64OnDisk = false;
};

/// Writes `tensors` (in order) and `metadata` to `path` atomically. Throws kiln::Error on a
/// duplicate or empty name, `int64OnDisk` on a non-i32 tensor, or an I/O failure.
/// `beforeRename` is writeFileAtomically's test seam.
void writeSafetensors(const std::string &path, const std::vector<NamedTensor> &tensors,
                      const std::map<std::string, std::string> &metadata = {},
                      const std::function<void()> &beforeRename = {});

/// The contents of a safetensors file, tensors in header order.
struct SafetensorsFile {
  std::vector<NamedTensor> tensors;
  std::map<std::string, std::string> metadata;

  /// The tensor called `name`, or nullptr.
  const Tensor *find(std::string_view name) const;
};

/// Reads and fully validates `path`. F32, F64, I32 and BOOL load as such; I64 loads as i32
/// (an error if a value does not fit). Any malformation, and dtypes kiln has no type for
/// (F16, BF16, ...), is a kiln::Error `path: byte OFFSET: what` or
/// `path: tensor 'name': what`.
SafetensorsFile readSafetensors(const std::string &path);

/// Checks that `got` holds exactly the tensors of `expected` (names, dtypes, shapes). Throws
/// one kiln::Error listing every difference, e.g. `ckpt.safetensors: does not match model
/// 'cnn': missing fc3.weight; 'fc1.weight' has shape [128,3136], model expects [256,784]`.
/// `modelName` may be empty.
void checkTensorsMatch(const std::vector<NamedTensor> &expected, const SafetensorsFile &got,
                       const std::string &path, const std::string &modelName = "");

} // namespace kiln
