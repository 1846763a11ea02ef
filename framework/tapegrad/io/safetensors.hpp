#pragma once
/// @file
/// The safetensors format (https://github.com/huggingface/safetensors): 8 bytes of little-endian
/// uint64 header length N, N bytes of JSON
/// @code{.cpp}
///   {"__metadata__": {"key": "value"}, "name": {"dtype": "F32", "shape": [2, 3],
///                                               "data_offsets": [begin, end]}, ...}
/// @endcode
/// then the data buffer, each tensor contiguous, row-major, little-endian, at [begin, end) of it.
///
/// Writing is atomic (temp file, fsync, rename, fsync the directory): a crash or an error leaves
/// the previous file intact. Reading validates every header field against the file size before
/// allocating, so a truncated or corrupt file is a tg::Error, never a crash or a huge allocation.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "tapegrad/core/tensor.hpp"

namespace tg::io {

/// The contents of a safetensors file.
struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;        ///< by name
  std::map<std::string, std::string> metadata;  ///< the "__metadata__" entries
  /// Each tensor's dtype as the file stores it ("F32", "BF16", "U8", ...): loading converts some.
  std::map<std::string, std::string> file_dtypes;
};

/// Writes float32 as F32, float64 as F64, int64 as I64 (non-contiguous views are written
/// contiguously; autograd history is ignored). Throws tg::Error naming the path and the reason
/// (undefined tensor, the name "__metadata__", an I/O error with its errno text); on failure no
/// temp file remains and an existing file at `path` is untouched.
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Loads every tensor (contiguous, requires_grad false). F32, F64 and I64 load as float32,
/// float64 and int64; F16 and BF16 are converted to float32; BOOL, U8, I8, I16, U16, I32 and U32
/// to int64. Any malformed header or size is a tg::Error naming the file, the tensor and the
/// problem.
SafetensorsFile load_safetensors(const std::string& path);

/// The same encoding in memory: the complete file contents, and the parser for them. `name` is
/// used in error messages in place of a path.
std::string serialize_safetensors(const std::map<std::string, Tensor>& tensors,
                                  const std::map<std::string, std::string>& metadata = {});
/// Parses complete file contents (as load_safetensors does a file).
SafetensorsFile parse_safetensors(std::string_view bytes,
                                  const std::string& name = "<memory buffer>");

}  // namespace tg::io
