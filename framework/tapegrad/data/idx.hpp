#pragma once
/// @file
/// The IDX file format of MNIST and Fashion-MNIST: magic `00 00 <type code> <rank>`, then `rank`
/// big-endian uint32 dimensions, then the elements, big-endian, row-major. Files may be gzipped
/// (recognised by the gzip magic 1f 8b, not by the name). A bad file (truncated, trailing bytes,
/// wrong magic, absurd sizes) is a tg::Error naming the file and the problem, never a crash or a
/// huge allocation: sizes are checked against the header, and the header against sane limits,
/// before any buffer is allocated.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tapegrad/core/dtype.hpp"
#include "tapegrad/core/shape.hpp"
#include "tapegrad/core/tensor.hpp"

namespace tg::data {

/// Element types an IDX file can hold; the values are the type codes in the header.
enum class IdxType : std::uint8_t {
  UInt8 = 0x08,    ///< unsigned byte
  Int8 = 0x09,     ///< signed byte
  Int16 = 0x0B,    ///< 16-bit signed integer
  Int32 = 0x0C,    ///< 32-bit signed integer
  Float32 = 0x0D,  ///< IEEE float
  Float64 = 0x0E,  ///< IEEE double
};

std::string_view idx_type_name(IdxType type);  ///< "uint8", "int8", ...
std::size_t idx_type_size(IdxType type);       ///< bytes per element

/// @name IDX limits
/// Limits checked before anything is allocated. An element count that does not fit in a 32-bit
/// signed int, or a data block over 4 GiB, is not an IDX file anybody meant to write.
/// @{
inline constexpr std::int64_t kIdxMaxElements = (std::int64_t{1} << 31) - 1;  ///< elements
inline constexpr std::uint64_t kIdxMaxBytes = std::uint64_t{1} << 32;         ///< data bytes
inline constexpr int kIdxMaxRank = 4;                                         ///< dimensions
/// @}

/// A whole IDX file: its type, its dimensions and its element bytes exactly as stored
/// (big-endian), so a caller that wants uint8 pixels can convert them in one loop.
struct IdxArray {
  std::string path;                 ///< the file it was read from
  IdxType type = IdxType::UInt8;    ///< the element type
  Shape dims;                       ///< the dimensions
  std::vector<std::uint8_t> bytes;  ///< numel() * idx_type_size(type) bytes, big-endian elements

  std::int64_t numel() const { return numel_of(dims); }  ///< the number of elements
  /// The elements as a contiguous tensor of shape `dims`. Integer types convert to any dtype;
  /// float types refuse Int64 (that would silently truncate).
  Tensor to_tensor(DType dtype = DType::Float32) const;
};

/// Reads and validates a whole file (.gz or raw).
IdxArray read_idx_array(const std::string& path);

/// read_idx_array(path).to_tensor(dtype): e.g. labels with DType::Int64, images with Float32
/// (values as stored, 0..255 for uint8; no scaling).
Tensor read_idx(const std::string& path, DType dtype = DType::Float32);

/// Writes `t` (rank 1..4, no zero dimension) as an IDX file of element type `type`, gzipped when
/// `gzip` is true. Values must fit the type exactly (integers in range for the integer types),
/// otherwise tg::Error: writing 3.5 or 300 as uint8 is refused rather than rounded or wrapped.
void write_idx(const std::string& path, const Tensor& t, IdxType type, bool gzip = false);

}  // namespace tg::data
