#include "tapegrad/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

#include "tapegrad/core/error.hpp"

namespace tg::data {

namespace fs = std::filesystem;

std::string_view idx_type_name(IdxType type) {
  switch (type) {
    case IdxType::UInt8:
      return "uint8";
    case IdxType::Int8:
      return "int8";
    case IdxType::Int16:
      return "int16";
    case IdxType::Int32:
      return "int32";
    case IdxType::Float32:
      return "float32";
    case IdxType::Float64:
      return "float64";
  }
  return "?";
}

std::size_t idx_type_size(IdxType type) {
  switch (type) {
    case IdxType::UInt8:
    case IdxType::Int8:
      return 1;
    case IdxType::Int16:
      return 2;
    case IdxType::Int32:
    case IdxType::Float32:
      return 4;
    case IdxType::Float64:
      return 8;
  }
  return 1;
}

namespace {

bool known_type_code(std::uint8_t code) {
  return code == 0x08 || code == 0x09 || code == 0x0B || code == 0x0C || code == 0x0D ||
         code == 0x0E;
}

// Sequential bytes from a raw file or a gzip stream. read() returns fewer than n bytes only at
// the end of the data; read errors throw.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::size_t read(std::uint8_t* dst, std::size_t n) = 0;
};

class RawSource final : public ByteSource {
 public:
  RawSource(const std::string& path, std::FILE* f) : path_(path), f_(f) {}
  ~RawSource() override { std::fclose(f_); }
  RawSource(const RawSource&) = delete;
  RawSource& operator=(const RawSource&) = delete;

  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    const std::size_t got = std::fread(dst, 1, n, f_);
    if (got < n && std::ferror(f_))
      fail("read_idx: '{}': read error: {}", path_, std::strerror(errno));
    return got;
  }

 private:
  std::string path_;
  std::FILE* f_;
};

// gzerror() prefixes its message with the path, which our messages already name.
std::string gz_message(gzFile f, const std::string& path, int* errnum) {
  const char* msg = gzerror(f, errnum);
  std::string m = msg ? msg : "unknown zlib error";
  const std::string prefix = path + ": ";
  if (m.starts_with(prefix)) m.erase(0, prefix.size());
  return m;
}

// A count for a message: exact while it is, then in scientific notation.
std::string big_count(long double v) {
  return v < 1e18L ? fmt::format("{:.0f}", static_cast<double>(v))
                   : fmt::format("{:.3e}", static_cast<double>(v));
}

class GzSource final : public ByteSource {
 public:
  GzSource(const std::string& path, gzFile f) : path_(path), f_(f) {}
  ~GzSource() override { gzclose(f_); }
  GzSource(const GzSource&) = delete;
  GzSource& operator=(const GzSource&) = delete;

  std::size_t read(std::uint8_t* dst, std::size_t n) override {
    std::size_t total = 0;
    while (total < n) {
      // gzread takes an unsigned length and returns an int.
      const auto chunk = static_cast<unsigned>(std::min<std::size_t>(n - total, 1u << 30));
      const int got = gzread(f_, dst + total, chunk);
      if (got < 0) {
        int errnum = 0;
        fail("read_idx: '{}': corrupt gzip data: {}", path_, gz_message(f_, path_, &errnum));
      }
      if (got == 0) break;
      total += static_cast<std::size_t>(got);
    }
    if (total < n) {
      // A stream that ends mid-member reports Z_BUF_ERROR ("unexpected end of file") here.
      int errnum = 0;
      std::string msg = gz_message(f_, path_, &errnum);
      if (errnum != Z_OK) truncated_stream_ = std::move(msg);
    }
    return total;
  }
  const std::string& stream_error() const { return truncated_stream_; }

 private:
  std::string path_;
  gzFile f_;
  std::string truncated_stream_;
};

std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::uint64_t load_be64(const std::uint8_t* p) {
  return (std::uint64_t{load_be32(p)} << 32) | std::uint64_t{load_be32(p + 4)};
}

struct Header {
  IdxType type;
  Shape dims;
  std::uint64_t header_bytes;  // 4 + 4 * rank
  std::uint64_t data_bytes;
};

// Reads and validates the header; nothing is allocated from its numbers until they pass.
Header read_header(ByteSource& src, const std::string& path, bool gz) {
  const char* what = gz ? "decompressed data" : "file";
  std::array<std::uint8_t, 4> magic{};
  const std::size_t got = src.read(magic.data(), 4);
  if (got == 0)
    fail("read_idx: '{}': empty {} (an IDX file starts with a 4-byte magic)", path, what);
  if (got < 4)
    fail("read_idx: '{}': truncated header: {} has {} bytes, the IDX magic needs 4", path, what,
         got);
  if (magic[0] != 0 || magic[1] != 0)
    fail(
        "read_idx: '{}': wrong magic {:02x} {:02x} {:02x} {:02x}: not an IDX file (expected 00 00 "
        "<type> <rank>)",
        path, magic[0], magic[1], magic[2], magic[3]);
  if (!known_type_code(magic[2]))
    fail(
        "read_idx: '{}': unknown data type code 0x{:02x} (expected 0x08 uint8, 0x09 int8, 0x0b "
        "int16, 0x0c int32, 0x0d float32 or 0x0e float64)",
        path, magic[2]);
  const int rank = magic[3];
  if (rank < 1 || rank > kIdxMaxRank)
    fail("read_idx: '{}': rank {} is not supported (expected 1 to {} dimensions)", path, rank,
         kIdxMaxRank);

  Header h;
  h.type = static_cast<IdxType>(magic[2]);
  h.header_bytes = 4 + 4 * static_cast<std::uint64_t>(rank);
  std::array<std::uint8_t, 4 * kIdxMaxRank> raw{};
  const std::size_t want = 4 * static_cast<std::size_t>(rank);
  const std::size_t got_dims = src.read(raw.data(), want);
  if (got_dims < want)
    fail("read_idx: '{}': truncated header: rank {} needs {} bytes of dimensions, the {} has {}",
         path, rank, want, what, got_dims);

  for (int d = 0; d < rank; ++d) {
    const std::uint32_t n = load_be32(raw.data() + 4 * d);
    if (n == 0) fail("read_idx: '{}': dimension {} is 0 (every dimension must be > 0)", path, d);
    h.dims.push_back(static_cast<std::int64_t>(n));
  }
  // Each dimension is < 2^32 and the running product is checked against 2^31 after every step,
  // so the product cannot overflow 64 bits.
  std::uint64_t numel = 1;
  for (std::int64_t n : h.dims) {
    numel *= static_cast<std::uint64_t>(n);
    if (numel > static_cast<std::uint64_t>(kIdxMaxElements)) {
      long double full = 1;  // the whole product, for the message; cannot overflow
      for (std::int64_t m : h.dims) full *= static_cast<long double>(m);
      fail(
          "read_idx: '{}': header {} {} promises {} elements ({} bytes), more than the limit of {} "
          "elements; the header is corrupt",
          path, idx_type_name(h.type), shape_str(h.dims), big_count(full),
          big_count(full * static_cast<long double>(idx_type_size(h.type))), kIdxMaxElements);
    }
  }
  h.data_bytes = numel * idx_type_size(h.type);
  if (h.data_bytes > kIdxMaxBytes)
    fail("read_idx: '{}': header {} {} promises {} data bytes, more than the limit of {} bytes",
         path, idx_type_name(h.type), shape_str(h.dims), h.data_bytes, kIdxMaxBytes);
  return h;
}

}  // namespace

IdxArray read_idx_array(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      fail("read_idx: '{}': cannot access: {}", path, ec.message());
    fail("read_idx: '{}': no such file", path);
  }
  if (fs::is_directory(st)) fail("read_idx: '{}': is a directory, not an IDX file", path);
  if (!fs::is_regular_file(st)) fail("read_idx: '{}': not a regular file", path);
  const std::uintmax_t file_size = fs::file_size(path, ec);
  if (ec) fail("read_idx: '{}': cannot read its size: {}", path, ec.message());
  if (file_size == 0) fail("read_idx: '{}': empty file (0 bytes)", path);

  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) fail("read_idx: '{}': cannot open: {}", path, std::strerror(errno));
  std::array<std::uint8_t, 2> sig{};
  const std::size_t nsig = std::fread(sig.data(), 1, 2, f);
  const bool gz = nsig == 2 && sig[0] == 0x1f && sig[1] == 0x8b;

  std::unique_ptr<ByteSource> src;
  if (gz) {
    std::fclose(f);
    gzFile g = gzopen(path.c_str(), "rb");
    if (g == nullptr) fail("read_idx: '{}': cannot open as gzip: {}", path, std::strerror(errno));
    gzbuffer(g, 1u << 17);
    src = std::make_unique<GzSource>(path, g);
  } else {
    std::rewind(f);
    src = std::make_unique<RawSource>(path, f);
  }

  const Header h = read_header(*src, path, gz);
  IdxArray out;
  out.path = path;
  out.type = h.type;
  out.dims = h.dims;

  if (!gz) {
    // The file size tells everything before a byte is allocated.
    const std::uint64_t actual = file_size - h.header_bytes;
    if (actual != h.data_bytes)
      fail(
          "read_idx: '{}': {}: header {} {} promises {} data bytes, the file has {} (after the "
          "{}-byte header)",
          path, actual < h.data_bytes ? "truncated" : "trailing bytes", idx_type_name(h.type),
          shape_str(h.dims), h.data_bytes, actual, h.header_bytes);
    out.bytes.resize(h.data_bytes);
    const std::size_t got = src->read(out.bytes.data(), out.bytes.size());
    if (got != h.data_bytes)
      fail("read_idx: '{}': truncated while reading: expected {} data bytes, got {}", path,
           h.data_bytes, got);
    return out;
  }

  // A gzip stream does not say how much it holds. Grow the buffer as data arrives, never past
  // the header's promise, and start no bigger than deflate's best ratio (~1032:1) allows for
  // this file, so a small file with a lying header cannot make us allocate much.
  constexpr std::uint64_t kMaxDeflateRatio = 1032;
  std::uint64_t cap = std::min<std::uint64_t>(h.data_bytes, file_size * kMaxDeflateRatio);
  cap = std::max<std::uint64_t>(cap, std::min<std::uint64_t>(h.data_bytes, 1u << 20));
  auto& buf = out.bytes;
  buf.resize(cap);
  std::uint64_t got = 0;
  while (got < h.data_bytes) {
    if (got == buf.size())
      buf.resize(
          std::min<std::uint64_t>(h.data_bytes, std::max<std::uint64_t>(2 * buf.size(), 1u << 20)));
    const std::size_t n = src->read(buf.data() + got, buf.size() - got);
    got += n;
    if (got < buf.size()) break;  // end of stream
  }
  auto* gzsrc = static_cast<GzSource*>(src.get());
  if (got < h.data_bytes) {
    const std::string& why = gzsrc->stream_error();
    fail(
        "read_idx: '{}': truncated: header {} {} promises {} data bytes, the gzip stream holds "
        "{}{}",
        path, idx_type_name(h.type), shape_str(h.dims), h.data_bytes, got,
        why.empty() ? std::string() : fmt::format(" ({})", why));
  }
  // Anything after the promised bytes is an error too; count it, up to a limit.
  std::array<std::uint8_t, 1 << 16> scratch{};
  std::uint64_t extra = 0;
  constexpr std::uint64_t kCountLimit = std::uint64_t{1} << 24;
  while (extra < kCountLimit) {
    const std::size_t n = src->read(scratch.data(), scratch.size());
    extra += n;
    if (n < scratch.size()) break;
  }
  if (extra > 0)
    fail(
        "read_idx: '{}': trailing bytes: header {} {} promises {} data bytes, the gzip stream "
        "holds {}{} ({} extra)",
        path, idx_type_name(h.type), shape_str(h.dims), h.data_bytes,
        extra >= kCountLimit ? "more than " : "", h.data_bytes + extra, extra);
  return out;
}

namespace {

template <class F>
void for_each_element(const IdxArray& a, F&& f) {
  const std::uint8_t* p = a.bytes.data();
  const std::int64_t n = a.numel();
  switch (a.type) {
    case IdxType::UInt8:
      for (std::int64_t i = 0; i < n; ++i) f(i, p[i]);
      break;
    case IdxType::Int8:
      for (std::int64_t i = 0; i < n; ++i) f(i, static_cast<std::int8_t>(p[i]));
      break;
    case IdxType::Int16:
      for (std::int64_t i = 0; i < n; ++i)
        f(i, static_cast<std::int16_t>(static_cast<std::uint16_t>((p[2 * i] << 8) | p[2 * i + 1])));
      break;
    case IdxType::Int32:
      for (std::int64_t i = 0; i < n; ++i) f(i, static_cast<std::int32_t>(load_be32(p + 4 * i)));
      break;
    case IdxType::Float32:
      for (std::int64_t i = 0; i < n; ++i) f(i, std::bit_cast<float>(load_be32(p + 4 * i)));
      break;
    case IdxType::Float64:
      for (std::int64_t i = 0; i < n; ++i) f(i, std::bit_cast<double>(load_be64(p + 8 * i)));
      break;
  }
}

}  // namespace

Tensor IdxArray::to_tensor(DType dtype) const {
  TG_CHECK(bytes.size() == static_cast<std::size_t>(numel()) * idx_type_size(type),
           "IdxArray::to_tensor: '{}': {} bytes for {} elements of {} {}", path, bytes.size(),
           numel(), idx_type_name(type), shape_str(dims));
  const bool float_data = type == IdxType::Float32 || type == IdxType::Float64;
  TG_CHECK(!(float_data && dtype == DType::Int64),
           "read_idx: '{}': the file holds {} data; reading it as int64 would truncate (ask for "
           "float32 or float64)",
           path, idx_type_name(type));
  Tensor t = Tensor::empty(dims, dtype);
  dispatch(dtype, [&](auto tag) {
    using T = decltype(tag);
    T* dst = t.data_ptr<T>();
    for_each_element(*this, [dst](std::int64_t i, auto v) { dst[i] = static_cast<T>(v); });
  });
  return t;
}

Tensor read_idx(const std::string& path, DType dtype) {
  return read_idx_array(path).to_tensor(dtype);
}

namespace {

void store_be32(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 24);
  p[1] = static_cast<std::uint8_t>(v >> 16);
  p[2] = static_cast<std::uint8_t>(v >> 8);
  p[3] = static_cast<std::uint8_t>(v);
}

// Integer range of an integer IdxType.
std::pair<double, double> int_range(IdxType type) {
  switch (type) {
    case IdxType::UInt8:
      return {0, 255};
    case IdxType::Int8:
      return {-128, 127};
    case IdxType::Int16:
      return {-32768, 32767};
    default:
      return {-2147483648.0, 2147483647.0};
  }
}

}  // namespace

void write_idx(const std::string& path, const Tensor& t, IdxType type, bool gzip) {
  TG_CHECK(t.defined(), "write_idx: '{}': undefined tensor", path);
  TG_CHECK(known_type_code(static_cast<std::uint8_t>(type)), "write_idx: '{}': unknown IdxType {}",
           path, static_cast<int>(type));
  TG_CHECK(t.dim() >= 1 && t.dim() <= kIdxMaxRank,
           "write_idx: '{}': tensor of shape {} has rank {}; IDX files here hold rank 1 to {}",
           path, shape_str(t.shape()), t.dim(), kIdxMaxRank);
  for (std::int64_t d : t.shape())
    TG_CHECK(d > 0 && d <= std::numeric_limits<std::uint32_t>::max(),
             "write_idx: '{}': shape {} has a dimension outside 1..2^32-1", path,
             shape_str(t.shape()));
  TG_CHECK(t.numel() <= kIdxMaxElements, "write_idx: '{}': {} elements is more than the limit {}",
           path, t.numel(), kIdxMaxElements);

  const std::size_t esize = idx_type_size(type);
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(t.dim());
  std::vector<std::uint8_t> out(header + static_cast<std::size_t>(t.numel()) * esize);
  out[2] = static_cast<std::uint8_t>(type);
  out[3] = static_cast<std::uint8_t>(t.dim());
  for (std::int64_t d = 0; d < t.dim(); ++d)
    store_be32(out.data() + 4 + 4 * d, static_cast<std::uint32_t>(t.size(d)));

  const Tensor c = t.contiguous();
  std::uint8_t* p = out.data() + header;
  const bool is_int_type = type != IdxType::Float32 && type != IdxType::Float64;
  const auto [lo, hi] = int_range(type);
  dispatch(c.dtype(), [&](auto tag) {
    using S = decltype(tag);
    const S* src = static_cast<const S*>(c.raw_data());
    for (std::int64_t i = 0; i < c.numel(); ++i) {
      const S v = src[i];
      if (is_int_type) {
        const auto dv = static_cast<double>(v);
        if (!(dv >= lo && dv <= hi && std::trunc(dv) == dv))
          fail("write_idx: '{}': element {} is {}, which is not an integer in {}'s range [{}, {}]",
               path, i, dv, idx_type_name(type), lo, hi);
      }
      switch (type) {
        case IdxType::UInt8:
        case IdxType::Int8:
          p[i] = static_cast<std::uint8_t>(static_cast<std::int64_t>(v));
          break;
        case IdxType::Int16: {
          const auto u = static_cast<std::uint16_t>(static_cast<std::int64_t>(v));
          p[2 * i] = static_cast<std::uint8_t>(u >> 8);
          p[2 * i + 1] = static_cast<std::uint8_t>(u);
          break;
        }
        case IdxType::Int32:
          store_be32(p + 4 * i, static_cast<std::uint32_t>(static_cast<std::int64_t>(v)));
          break;
        case IdxType::Float32:
          store_be32(p + 4 * i, std::bit_cast<std::uint32_t>(static_cast<float>(v)));
          break;
        case IdxType::Float64: {
          const auto u = std::bit_cast<std::uint64_t>(static_cast<double>(v));
          store_be32(p + 8 * i, static_cast<std::uint32_t>(u >> 32));
          store_be32(p + 8 * i + 4, static_cast<std::uint32_t>(u));
          break;
        }
      }
    }
  });

  if (gzip) {
    gzFile g = gzopen(path.c_str(), "wb");
    if (g == nullptr)
      fail("write_idx: '{}': cannot open for writing: {}", path, std::strerror(errno));
    std::size_t done = 0;
    bool ok = true;
    while (ok && done < out.size()) {
      const auto chunk = static_cast<unsigned>(std::min<std::size_t>(out.size() - done, 1u << 30));
      ok = gzwrite(g, out.data() + done, chunk) == static_cast<int>(chunk);
      done += chunk;
    }
    const int rc = gzclose(g);
    if (!ok || rc != Z_OK) fail("write_idx: '{}': gzip write failed", path);
  } else {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr)
      fail("write_idx: '{}': cannot open for writing: {}", path, std::strerror(errno));
    const std::size_t wrote = std::fwrite(out.data(), 1, out.size(), f);
    const int rc = std::fclose(f);
    if (wrote != out.size() || rc != 0)
      fail("write_idx: '{}': write failed after {} of {} bytes", path, wrote, out.size());
  }
}

}  // namespace tg::data
