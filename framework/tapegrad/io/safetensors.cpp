#include "tapegrad/io/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tapegrad/core/error.hpp"
#include "tapegrad/io/atomic_file.hpp"

namespace tg::io {

namespace {

// The format is little-endian; tensors are copied byte for byte between storage and file.
static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host");

using json = nlohmann::json;

// A real header is a few KB per thousand tensors; anything near this is a corrupt length field.
constexpr std::uint64_t kMaxHeaderBytes = std::uint64_t{100} << 20;
// A safetensors header is three levels deep ({name: {shape: [dims]}}): deeper JSON is corrupt,
// and refusing it early bounds the parser's work.
constexpr int kMaxJsonDepth = 8;
constexpr std::size_t kMaxRank = 64;
constexpr const char* kMetadataKey = "__metadata__";
constexpr const char* kSupported = "F32, F64, I64, F16, BF16, BOOL, U8, I8, I16, U16, I32, U32";

// ---------------------------------------------------------------------------------------------
// dtypes

enum class FileType { F32, F64, I64, F16, BF16, BOOL, U8, I8, I16, U16, I32, U32 };

struct FileTypeInfo {
  const char* name;
  FileType type;
  std::uint64_t itemsize;
  DType loads_as;
};

constexpr FileTypeInfo kFileTypes[] = {
    {"F32", FileType::F32, 4, DType::Float32},   {"F64", FileType::F64, 8, DType::Float64},
    {"I64", FileType::I64, 8, DType::Int64},     {"F16", FileType::F16, 2, DType::Float32},
    {"BF16", FileType::BF16, 2, DType::Float32}, {"BOOL", FileType::BOOL, 1, DType::Int64},
    {"U8", FileType::U8, 1, DType::Int64},       {"I8", FileType::I8, 1, DType::Int64},
    {"I16", FileType::I16, 2, DType::Int64},     {"U16", FileType::U16, 2, DType::Int64},
    {"I32", FileType::I32, 4, DType::Int64},     {"U32", FileType::U32, 4, DType::Int64},
};

const FileTypeInfo* find_file_type(const std::string& name) {
  for (const auto& info : kFileTypes)
    if (name == info.name) return &info;
  return nullptr;
}

const char* file_type_name(DType d) {
  switch (d) {
    case DType::Float32:
      return "F32";
    case DType::Float64:
      return "F64";
    case DType::Int64:
      break;
  }
  return "I64";
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  std::uint32_t mant = h & 0x3ffu;
  std::uint32_t bits = 0;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half: normalise into a float.
    std::uint32_t e = 113;
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

template <class S>
S load_le(const unsigned char* p) {
  S v;
  std::memcpy(&v, p, sizeof(S));
  return v;
}

// Converts n items of a non-native file type from `src` into `dst` (float32 or int64 storage).
void convert(FileType type, const unsigned char* src, std::int64_t n, void* dst) {
  auto* f = static_cast<float*>(dst);
  auto* i = static_cast<std::int64_t*>(dst);
  for (std::int64_t k = 0; k < n; ++k) {
    switch (type) {
      case FileType::F16:
        f[k] = half_to_float(load_le<std::uint16_t>(src + 2 * k));
        break;
      case FileType::BF16:
        f[k] = std::bit_cast<float>(std::uint32_t{load_le<std::uint16_t>(src + 2 * k)} << 16);
        break;
      case FileType::BOOL:
        i[k] = src[k] != 0 ? 1 : 0;
        break;
      case FileType::U8:
        i[k] = src[k];
        break;
      case FileType::I8:
        i[k] = load_le<std::int8_t>(src + k);
        break;
      case FileType::I16:
        i[k] = load_le<std::int16_t>(src + 2 * k);
        break;
      case FileType::U16:
        i[k] = load_le<std::uint16_t>(src + 2 * k);
        break;
      case FileType::I32:
        i[k] = load_le<std::int32_t>(src + 4 * k);
        break;
      case FileType::U32:
        i[k] = load_le<std::uint32_t>(src + 4 * k);
        break;
      case FileType::F32:
      case FileType::F64:
      case FileType::I64:
        break;  // native: never converted
    }
  }
}

// ---------------------------------------------------------------------------------------------
// writing

// Everything about a file except the tensor bytes, computed before anything touches the disk so
// that bad input fails without side effects.
struct WritePlan {
  std::string prefix;                                          // 8-byte length + padded JSON header
  std::vector<std::pair<const std::string*, Tensor>> tensors;  // contiguous, in file order
  std::uint64_t data_bytes = 0;
};

WritePlan make_plan(const std::map<std::string, Tensor>& tensors,
                    const std::map<std::string, std::string>& metadata, const std::string& where) {
  WritePlan plan;
  json header = json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  for (const auto& [name, t] : tensors) {
    if (name == kMetadataKey)
      fail("save_safetensors: '{}': '{}' is reserved for the metadata and cannot name a tensor",
           where, name);
    if (!t.defined())
      fail("save_safetensors: '{}': tensor '{}' is undefined (a default-constructed tg::Tensor)",
           where, name);
    Tensor c = t.detach().contiguous();
    const std::uint64_t nbytes =
        static_cast<std::uint64_t>(c.numel()) * static_cast<std::uint64_t>(dtype_size(c.dtype()));
    header[name] = json{{"dtype", file_type_name(c.dtype())},
                        {"shape", c.shape()},
                        {"data_offsets", {plan.data_bytes, plan.data_bytes + nbytes}}};
    plan.data_bytes += nbytes;
    plan.tensors.emplace_back(&name, std::move(c));
  }
  std::string text;
  try {
    text = header.dump();
  } catch (const json::exception& e) {
    fail("save_safetensors: '{}': tensor names and metadata must be valid UTF-8 ({})", where,
         e.what());
  }
  // Pad with spaces so the data buffer starts on an 8-byte boundary.
  while ((text.size() + 8) % 8 != 0) text.push_back(' ');
  const std::uint64_t n = text.size();
  plan.prefix.resize(8);
  for (int b = 0; b < 8; ++b) plan.prefix[b] = static_cast<char>((n >> (8 * b)) & 0xffu);
  plan.prefix += text;
  return plan;
}

template <class Sink>
void emit(const WritePlan& plan, Sink&& sink) {
  sink(plan.prefix.data(), plan.prefix.size());
  for (const auto& [name, t] : plan.tensors) {
    const std::size_t nbytes = static_cast<std::size_t>(t.numel()) * dtype_size(t.dtype());
    if (nbytes != 0) sink(t.raw_data(), nbytes);
  }
}

// Closes the fd and removes the temp file unless released: every early exit cleans up.
class TempFile {
 public:
  TempFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!released_) ::unlink(path_.c_str());
  }
  int fd() const { return fd_; }
  // Closes explicitly, returning errno on failure (close can report a deferred write error).
  int close() {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc == 0 ? 0 : errno;
  }
  void release() { released_ = true; }

 private:
  std::string path_;
  int fd_;
  bool released_ = false;
};

void fsync_directory(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(1, '.') : parent.string();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    fail("save_safetensors: '{}': cannot open directory '{}' to sync it: {}", path, dir,
         errno_text(errno));
  const int rc = ::fsync(fd);
  const int e = errno;
  ::close(fd);
  // Some file systems cannot sync a directory (EINVAL); the rename itself has happened.
  if (rc != 0 && e != EINVAL)
    fail("save_safetensors: '{}': syncing directory '{}' failed: {}", path, dir, errno_text(e));
}

// ---------------------------------------------------------------------------------------------
// reading

// Reads n bytes at offset into dst; the parser has already checked offset + n <= size.
using ReadAt = std::function<void(std::uint64_t offset, void* dst, std::size_t n)>;

struct TensorSpec {
  std::string name;
  const FileTypeInfo* type = nullptr;
  Shape shape;
  std::int64_t numel = 1;
  std::uint64_t begin = 0, end = 0;
};

std::uint64_t parse_offset(const json& v, const std::string& where) {
  if (!v.is_number_integer())
    fail("{}: data_offsets must hold two integers, got {}", where, v.dump());
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  const auto s = v.get<std::int64_t>();
  if (s < 0) fail("{}: data_offsets must not be negative, got {}", where, s);
  return static_cast<std::uint64_t>(s);
}

TensorSpec parse_entry(const std::string& name, const json& entry, std::uint64_t data_size,
                       const std::string& file) {
  const std::string where = fmt::format("load_safetensors: '{}': tensor '{}'", file, name);
  if (!entry.is_object())
    fail("{}: the header entry must be an object, got a JSON {}", where, entry.type_name());
  for (const auto& [k, v] : entry.items()) {
    (void)v;
    if (k != "dtype" && k != "shape" && k != "data_offsets")
      fail("{}: unknown field '{}' (expected dtype, shape, data_offsets)", where, k);
  }
  TensorSpec spec;
  spec.name = name;

  const auto dt = entry.find("dtype");
  if (dt == entry.end()) fail("{}: missing 'dtype'", where);
  if (!dt->is_string()) fail("{}: 'dtype' must be a string, got {}", where, dt->dump());
  spec.type = find_file_type(dt->get<std::string>());
  if (!spec.type)
    fail("{}: unsupported dtype '{}' (supported: {})", where, dt->get<std::string>(), kSupported);

  const auto sh = entry.find("shape");
  if (sh == entry.end()) fail("{}: missing 'shape'", where);
  if (!sh->is_array()) fail("{}: 'shape' must be an array, got {}", where, sh->dump());
  if (sh->size() > kMaxRank)
    fail("{}: 'shape' has {} dimensions, more than the {} supported", where, sh->size(), kMaxRank);
  // The product of the non-zero sizes must fit in int64 too, or strides would overflow.
  std::int64_t nonzero_product = 1;
  for (const auto& d : *sh) {
    // nlohmann stores non-negative integers as unsigned, so a signed one here is negative.
    if (!d.is_number_unsigned())
      fail("{}: 'shape' entries must be non-negative integers, got {}", where, sh->dump());
    if (d.get<std::uint64_t>() >
        static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      fail("{}: shape {} is too large", where, sh->dump());
    const auto n = d.get<std::int64_t>();
    if (n > 0) {
      if (nonzero_product > std::numeric_limits<std::int64_t>::max() / n)
        fail("{}: shape {} has more elements than fit in 64 bits", where, sh->dump());
      nonzero_product *= n;
    }
    spec.shape.push_back(n);
    spec.numel = n == 0 ? 0 : spec.numel * n;
  }

  const auto off = entry.find("data_offsets");
  if (off == entry.end()) fail("{}: missing 'data_offsets'", where);
  if (!off->is_array() || off->size() != 2)
    fail("{}: 'data_offsets' must be an array of two integers, got {}", where, off->dump());
  spec.begin = parse_offset((*off)[0], where);
  spec.end = parse_offset((*off)[1], where);
  if (spec.begin > spec.end)
    fail("{}: data_offsets [{}, {}] begin after they end", where, spec.begin, spec.end);
  if (spec.end > data_size)
    fail(
        "{}: data_offsets [{}, {}] run past the end of the data buffer ({} bytes; is the file "
        "truncated?)",
        where, spec.begin, spec.end, data_size);
  // numel <= 2^63 and itemsize <= 8: compare without overflowing.
  const std::uint64_t span = spec.end - spec.begin;
  const auto numel = static_cast<std::uint64_t>(spec.numel);
  if (span % spec.type->itemsize != 0 || span / spec.type->itemsize != numel)
    fail(
        "{}: data_offsets [{}, {}] span {} bytes, but shape {} of {} needs {} elements of {} "
        "bytes",
        where, spec.begin, spec.end, span, shape_str(spec.shape), spec.type->name, numel,
        spec.type->itemsize);
  return spec;
}

SafetensorsFile parse(const std::string& file, std::uint64_t size, const ReadAt& read) {
  if (size < 8)
    fail(
        "load_safetensors: '{}': the file is {} bytes, too short for the 8-byte header length "
        "(not a safetensors file, or truncated)",
        file, size);
  unsigned char len_bytes[8];
  read(0, len_bytes, 8);
  std::uint64_t header_len = 0;
  for (int b = 0; b < 8; ++b) header_len |= std::uint64_t{len_bytes[b]} << (8 * b);
  if (header_len > size - 8)
    fail(
        "load_safetensors: '{}': the header length {} is larger than the {} bytes after it (not "
        "a safetensors file, or truncated)",
        file, header_len, size - 8);
  if (header_len > kMaxHeaderBytes)
    fail("load_safetensors: '{}': the header length {} is over the {} byte limit", file, header_len,
         kMaxHeaderBytes);
  std::string text(static_cast<std::size_t>(header_len), '\0');
  if (header_len > 0) read(8, text.data(), text.size());

  json header;
  try {
    header = json::parse(text, [&](int depth, json::parse_event_t, json&) {
      if (depth > kMaxJsonDepth)
        fail("load_safetensors: '{}': invalid JSON header: nested deeper than {} levels", file,
             kMaxJsonDepth);
      return true;
    });
  } catch (const json::exception& e) {
    fail("load_safetensors: '{}': invalid JSON header: {}", file, e.what());
  }
  if (!header.is_object())
    fail("load_safetensors: '{}': the header is a JSON {}, expected an object", file,
         header.type_name());

  const std::uint64_t data_start = 8 + header_len;
  const std::uint64_t data_size = size - data_start;
  SafetensorsFile out;
  std::vector<TensorSpec> specs;
  for (const auto& [name, entry] : header.items()) {
    if (name == kMetadataKey) {
      if (!entry.is_object())
        fail("load_safetensors: '{}': __metadata__ must be an object of strings, got a JSON {}",
             file, entry.type_name());
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string())
          fail("load_safetensors: '{}': __metadata__ value for '{}' must be a string, got {}", file,
               k, v.dump());
        out.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    specs.push_back(parse_entry(name, entry, data_size, file));
  }

  // Tensors may not share bytes (empty tensors occupy none).
  std::vector<const TensorSpec*> order;
  for (const auto& s : specs)
    if (s.end > s.begin) order.push_back(&s);
  std::sort(order.begin(), order.end(),
            [](const TensorSpec* a, const TensorSpec* b) { return a->begin < b->begin; });
  for (std::size_t k = 1; k < order.size(); ++k)
    if (order[k]->begin < order[k - 1]->end)
      fail("load_safetensors: '{}': tensors '{}' [{}, {}] and '{}' [{}, {}] overlap", file,
           order[k - 1]->name, order[k - 1]->begin, order[k - 1]->end, order[k]->name,
           order[k]->begin, order[k]->end);

  std::vector<unsigned char> scratch;
  for (const auto& s : specs) {
    Tensor t = Tensor::empty(s.shape, s.type->loads_as);
    const std::size_t span = static_cast<std::size_t>(s.end - s.begin);
    if (span != 0) {
      if (dtype_size(s.type->loads_as) == s.type->itemsize) {
        read(data_start + s.begin, t.raw_data(), span);
      } else {
        scratch.resize(span);
        read(data_start + s.begin, scratch.data(), span);
        convert(s.type->type, scratch.data(), s.numel, t.raw_data());
      }
    }
    out.tensors.emplace(s.name, std::move(t));
    out.file_dtypes.emplace(s.name, s.type->name);
  }
  return out;
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string serialize_safetensors(const std::map<std::string, Tensor>& tensors,
                                  const std::map<std::string, std::string>& metadata) {
  const WritePlan plan = make_plan(tensors, metadata, "<memory buffer>");
  std::string out;
  out.reserve(plan.prefix.size() + plan.data_bytes);
  emit(plan, [&](const void* p, std::size_t n) { out.append(static_cast<const char*>(p), n); });
  return out;
}

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const WritePlan plan = make_plan(tensors, metadata, path);

  // Unique per process and call, so concurrent saves never share a temp file; O_EXCL refuses a
  // stale file of the same name rather than writing through it.
  static std::atomic<std::uint64_t> counter{0};
  const std::string tmp = fmt::format("{}.tmp.{}.{}", path, ::getpid(), counter++);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    fail("save_safetensors: cannot create the temporary file '{}' for '{}': {}", tmp, path,
         errno_text(errno));
  TempFile file(tmp, fd);

  emit(plan, [&](const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
      const ssize_t w = ::write(file.fd(), c, n);
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("save_safetensors: writing '{}' failed: {}", tmp, errno_text(errno));
      }
      c += w;
      n -= static_cast<std::size_t>(w);
    }
  });
  if (::fsync(file.fd()) != 0)
    fail("save_safetensors: syncing '{}' failed: {}", tmp, errno_text(errno));
  if (const int e = file.close(); e != 0)
    fail("save_safetensors: closing '{}' failed: {}", tmp, errno_text(e));
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    fail("save_safetensors: cannot replace '{}' with the new file: {}", path, errno_text(errno));
  file.release();
  fsync_directory(path);
}

SafetensorsFile parse_safetensors(std::string_view bytes, const std::string& name) {
  return parse(name, bytes.size(), [&](std::uint64_t offset, void* dst, std::size_t n) {
    std::memcpy(dst, bytes.data() + offset, n);
  });
}

SafetensorsFile load_safetensors(const std::string& path) {
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail("load_safetensors: cannot open '{}': {}", path, errno_text(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    fail("load_safetensors: cannot stat '{}': {}", path, errno_text(errno));
  if (!S_ISREG(st.st_mode)) fail("load_safetensors: '{}' is not a regular file", path);
  return parse(path, static_cast<std::uint64_t>(st.st_size),
               [&](std::uint64_t offset, void* dst, std::size_t n) {
                 char* c = static_cast<char*>(dst);
                 while (n > 0) {
                   const ssize_t r = ::pread(fd.get(), c, n, static_cast<off_t>(offset));
                   if (r < 0) {
                     if (errno == EINTR) continue;
                     fail("load_safetensors: reading '{}' failed: {}", path, errno_text(errno));
                   }
                   if (r == 0)
                     fail("load_safetensors: '{}' ended early (was it changed while loading?)",
                          path);
                   c += r;
                   n -= static_cast<std::size_t>(r);
                   offset += static_cast<std::uint64_t>(r);
                 }
               });
}

}  // namespace tg::io
