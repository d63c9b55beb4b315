//===- TensorIO.cpp - Tensors in and out of files -------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Execution/TensorIO.h"

#include "llvm/Support/FileSystem.h"

#include "prune-opt/Utils/SafeOutput.h"
#include "prune-opt/Utils/WeightData.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>
#include <optional>
#include <zlib.h>

using namespace mlir::prune;
using llvm::createStringError;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

size_t mlir::prune::elementSize(ElementKind kind) {
  switch (kind) {
  case ElementKind::F64:
  case ElementKind::I64:
    return 8;
  case ElementKind::F32:
  case ElementKind::I32:
    return 4;
  case ElementKind::F16:
  case ElementKind::BF16:
    return 2;
  case ElementKind::I8:
    return 1;
  }
  llvm_unreachable("unknown element kind");
}

llvm::StringRef mlir::prune::elementKindName(ElementKind kind) {
  switch (kind) {
  case ElementKind::F32:
    return "f32";
  case ElementKind::F64:
    return "f64";
  case ElementKind::F16:
    return "f16";
  case ElementKind::BF16:
    return "bf16";
  case ElementKind::I8:
    return "i8";
  case ElementKind::I32:
    return "i32";
  case ElementKind::I64:
    return "i64";
  }
  llvm_unreachable("unknown element kind");
}

HostTensor::HostTensor(ElementKind kind, std::vector<int64_t> shape)
    : kind(kind), shape(std::move(shape)) {
  bytes.assign(numElements() * elementSize(kind), 0);
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

double HostTensor::get(int64_t i) const {
  const uint8_t *p = bytes.data() + i * elementSize(kind);
  switch (kind) {
  case ElementKind::F32: {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  case ElementKind::F64: {
    double d;
    std::memcpy(&d, p, 8);
    return d;
  }
  case ElementKind::F16:
  case ElementKind::BF16: {
    uint16_t bits;
    std::memcpy(&bits, p, 2);
    return halfBitsToDouble(bits, kind == ElementKind::BF16);
  }
  case ElementKind::I8:
    return static_cast<int8_t>(*p);
  case ElementKind::I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case ElementKind::I64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<double>(v);
  }
  }
  llvm_unreachable("unknown element kind");
}

void HostTensor::set(int64_t i, double value) {
  uint8_t *p = bytes.data() + i * elementSize(kind);
  switch (kind) {
  case ElementKind::F32: {
    float f = static_cast<float>(value);
    std::memcpy(p, &f, 4);
    return;
  }
  case ElementKind::F64:
    std::memcpy(p, &value, 8);
    return;
  case ElementKind::F16:
  case ElementKind::BF16: {
    uint16_t bits = doubleToHalfBits(value, kind == ElementKind::BF16);
    std::memcpy(p, &bits, 2);
    return;
  }
  case ElementKind::I8:
    *p = static_cast<uint8_t>(static_cast<int8_t>(std::lround(value)));
    return;
  case ElementKind::I32: {
    int32_t v = static_cast<int32_t>(std::lround(value));
    std::memcpy(p, &v, 4);
    return;
  }
  case ElementKind::I64: {
    int64_t v = std::llround(value);
    std::memcpy(p, &v, 8);
    return;
  }
  }
}

HostTensor HostTensor::convertTo(ElementKind to) const {
  if (to == kind)
    return *this;
  HostTensor out(to, shape);
  for (int64_t i = 0, e = numElements(); i < e; ++i)
    out.set(i, get(i));
  return out;
}

HostTensor HostTensor::slice(int64_t begin, std::vector<int64_t> newShape) const {
  HostTensor out(kind, std::move(newShape));
  size_t esz = elementSize(kind);
  if (!out.bytes.empty())
    std::memcpy(out.bytes.data(), bytes.data() + begin * esz, out.bytes.size());
  return out;
}

static Error fail(const llvm::Twine &msg) {
  return createStringError(llvm::inconvertibleErrorCode(), msg);
}

Expected<std::vector<uint8_t>> mlir::prune::readMaybeGzip(StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false);
  if (!buffer)
    return fail("cannot read '" + path + "': " + buffer.getError().message());
  StringRef bytes = (*buffer)->getBuffer();
  if (bytes.size() < 2 || uint8_t(bytes[0]) != 0x1f || uint8_t(bytes[1]) != 0x8b)
    return std::vector<uint8_t>(bytes.begin(), bytes.end());
  gzFile file = gzopen(path.str().c_str(), "rb");
  if (!file)
    return fail("cannot open gzip file '" + path + "'");
  // A gzip bomb must not exhaust memory: inputs are data sets of at most a
  // few GiB.
  constexpr size_t kMaxBytes = size_t(4) << 30;
  std::vector<uint8_t> out;
  char chunk[1 << 16];
  int n;
  while ((n = gzread(file, chunk, sizeof(chunk))) > 0 &&
         out.size() <= kMaxBytes)
    out.insert(out.end(), chunk, chunk + n);
  bool bad = n < 0;
  gzclose(file);
  if (bad)
    return fail("corrupt gzip data in '" + path + "'");
  if (out.size() > kMaxBytes)
    return fail("'" + path + "' decompresses to more than 4 GiB");
  return out;
}

/// .npy dtype strings of the element kinds (bf16 has none; it is written as
/// f32).
static const std::pair<const char *, ElementKind> kNpyDtypes[] = {
    {"<f4", ElementKind::F32}, {"<f8", ElementKind::F64},
    {"<f2", ElementKind::F16}, {"|i1", ElementKind::I8},
    {"<i4", ElementKind::I32}, {"<i8", ElementKind::I64}};

/// The layout of a .npy file from its first bytes (`prefix`, at least the
/// header) and its size.
static Expected<NpyLayout> parseNpyHeader(StringRef path,
                                          llvm::ArrayRef<uint8_t> bytes,
                                          uint64_t fileSize) {
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    return fail("'" + path + "' is not a .npy file");
  uint8_t major = bytes[6];
  size_t headerLen, offset;
  if (major == 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    offset = 10;
  } else {
    if (bytes.size() < 12)
      return fail("'" + path + "': truncated .npy header");
    headerLen = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) |
                (size_t(bytes[11]) << 24);
    offset = 12;
  }
  if (offset + headerLen > bytes.size())
    return fail("'" + path + "': truncated .npy header");
  StringRef header(reinterpret_cast<const char *>(bytes.data()) + offset,
                   headerLen);
  std::optional<ElementKind> kind;
  for (auto [name, k] : kNpyDtypes)
    if (header.contains(("'" + llvm::Twine(name) + "'").str()))
      kind = k;
  if (!kind)
    return fail("'" + path + "': unsupported dtype (supported: little-endian "
                "float32, float64, float16, int8, int32, int64; header: " +
                header.trim() + ")");
  if (header.contains("'fortran_order': True"))
    return fail("'" + path + "': Fortran-ordered arrays are not supported");
  size_t open = header.find("'shape': (");
  if (open == StringRef::npos)
    return fail("'" + path + "': no shape in .npy header");
  StringRef rest = header.drop_front(open + 10);
  StringRef dims = rest.take_until([](char c) { return c == ')'; });
  NpyLayout layout;
  layout.kind = *kind;
  llvm::SmallVector<StringRef> parts;
  dims.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (StringRef p : parts) {
    p = p.trim();
    if (p.empty())
      continue;
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0)
      return fail("'" + path + "': bad shape in .npy header");
    layout.shape.push_back(d);
  }
  // The shape must be backed by the file before anything is allocated: a
  // hostile header can claim 1e11 elements, or a product past int64.
  layout.dataOffset = offset + headerLen;
  uint64_t available = (fileSize - layout.dataOffset) / elementSize(*kind);
  uint64_t count = 1;
  bool overflow = false;
  for (int64_t d : layout.shape)
    overflow |= __builtin_mul_overflow(count, uint64_t(d), &count);
  if (overflow || count > available)
    return fail("'" + path + "': its shape needs more elements than the "
                "file holds (" + llvm::Twine(available) + ")");
  return layout;
}

Expected<HostTensor> mlir::prune::readNpy(StringRef path) {
  auto bytesOr = readMaybeGzip(path);
  if (!bytesOr)
    return bytesOr.takeError();
  std::vector<uint8_t> &bytes = *bytesOr;
  Expected<NpyLayout> layout = parseNpyHeader(path, bytes, bytes.size());
  if (!layout)
    return layout.takeError();
  HostTensor t(layout->kind, layout->shape);
  if (!t.bytes.empty())
    std::memcpy(t.bytes.data(), bytes.data() + layout->dataOffset,
                t.bytes.size());
  return t;
}

namespace {
/// A file opened for reading, closed with this object.
struct OpenedFile {
  llvm::sys::fs::file_t fd = llvm::sys::fs::kInvalidFile;
  Error open(StringRef path) {
    auto opened = llvm::sys::fs::openNativeFileForRead(path);
    if (!opened)
      return fail("cannot read '" + path + "': " +
                  llvm::toString(opened.takeError()));
    fd = *opened;
    return Error::success();
  }
  ~OpenedFile() {
    if (fd != llvm::sys::fs::kInvalidFile)
      llvm::sys::fs::closeFile(fd);
  }
};
} // namespace

Expected<NpyLayout> mlir::prune::readNpyLayout(StringRef path) {
  OpenedFile file;
  if (Error err = file.open(path))
    return std::move(err);
  llvm::sys::fs::file_t fd = file.fd;
  llvm::sys::fs::file_status status;
  if (std::error_code sec = llvm::sys::fs::status(fd, status))
    return fail("cannot read '" + path + "': " + sec.message());
  uint64_t size = status.getSize();
  // Magic, version, header length; then the header (at most 4 GiB by the
  // format, bounded by the file here).
  std::vector<uint8_t> prefix(std::min<uint64_t>(size, 12));
  auto readAt = [&](uint8_t *to, size_t n, uint64_t at) -> bool {
    llvm::Expected<size_t> got = llvm::sys::fs::readNativeFileSlice(
        fd, llvm::MutableArrayRef<char>(reinterpret_cast<char *>(to), n), at);
    if (!got) {
      llvm::consumeError(got.takeError());
      return false;
    }
    return *got == n;
  };
  if (!readAt(prefix.data(), prefix.size(), 0))
    return fail("cannot read '" + path + "'");
  if (prefix.size() >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b)
    return fail("'" + path + "' is compressed");
  if (prefix.size() >= 10 && std::memcmp(prefix.data(), "\x93NUMPY", 6) == 0) {
    size_t headerLen = prefix[6] == 1
                           ? size_t(prefix[8] | (prefix[9] << 8))
                           : prefix.size() < 12
                                 ? 0
                                 : size_t(prefix[8] | (prefix[9] << 8) |
                                          (prefix[10] << 16) |
                                          (size_t(prefix[11]) << 24));
    size_t want = std::min<uint64_t>(size, (prefix[6] == 1 ? 10 : 12) +
                                               uint64_t(headerLen));
    if (want > prefix.size()) {
      size_t had = prefix.size();
      prefix.resize(want);
      if (!readAt(prefix.data() + had, want - had, had))
        return fail("cannot read '" + path + "'");
    }
  }
  return parseNpyHeader(path, prefix, size);
}

Expected<HostTensor> mlir::prune::readNpyElements(StringRef path,
                                                  const NpyLayout &layout,
                                                  int64_t first,
                                                  std::vector<int64_t> shape) {
  HostTensor t(layout.kind, std::move(shape));
  OpenedFile file;
  if (Error err = file.open(path))
    return std::move(err);
  llvm::sys::fs::file_t fd = file.fd;
  uint64_t at = layout.dataOffset + uint64_t(first) * elementSize(layout.kind);
  size_t done = 0;
  while (done < t.bytes.size()) {
    llvm::Expected<size_t> got = llvm::sys::fs::readNativeFileSlice(
        fd,
        llvm::MutableArrayRef<char>(
            reinterpret_cast<char *>(t.bytes.data()) + done,
            t.bytes.size() - done),
        at + done);
    if (!got)
      return fail("cannot read '" + path + "': " +
                  llvm::toString(got.takeError()));
    if (*got == 0)
      return fail("'" + path + "' is shorter than its header says");
    done += *got;
  }
  return t;
}

Error mlir::prune::writeNpy(StringRef path, const HostTensor &tensor) {
  HostTensor t = tensor.kind == ElementKind::BF16
                     ? tensor.convertTo(ElementKind::F32)
                     : tensor;
  const char *descr = nullptr;
  for (auto [name, k] : kNpyDtypes)
    if (k == t.kind)
      descr = name;
  std::string header = std::string("{'descr': '") + descr +
                       "', 'fortran_order': False, 'shape': (";
  for (int64_t d : t.shape)
    header += std::to_string(d) + ", ";
  if (t.shape.size() > 1)
    header.resize(header.size() - 1); // keep the comma only for rank 1
  if (t.shape.size() > 1)
    header.back() = ')';
  else
    header += ")";
  header += ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  // Staged and committed only when complete: a failure leaves no partial
  // output and never replaces a device or a link (SafeOutput.h).
  return writeFileSafely(path, [&](llvm::raw_ostream &os) {
    os << "\x93NUMPY" << char(1) << char(0);
    os << char(header.size() & 0xff) << char(header.size() >> 8);
    os << header;
    if (!t.bytes.empty())
      os.write(reinterpret_cast<const char *>(t.bytes.data()), t.bytes.size());
    return Error::success();
  });
}

static uint32_t bigEndian32(const uint8_t *p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) |
         (uint32_t(p[2]) << 8) | p[3];
}

Expected<IdxImages> mlir::prune::readIdxImages(StringRef path) {
  auto bytes = readMaybeGzip(path);
  if (!bytes)
    return bytes.takeError();
  if (bytes->size() < 16 || bigEndian32(bytes->data()) != 0x00000803)
    return fail("'" + path + "' is not an idx3 (ubyte images) file");
  IdxImages images;
  images.count = bigEndian32(bytes->data() + 4);
  images.rows = bigEndian32(bytes->data() + 8);
  images.cols = bigEndian32(bytes->data() + 12);
  // (Counts are 32-bit: the product fits in 96 bits, not in size_t.)
  uint64_t pixels = uint64_t(images.rows) * images.cols;
  if ((pixels && uint64_t(images.count) > (bytes->size() - 16) / pixels) ||
      images.rows == 0 || images.cols == 0)
    return fail("'" + path + "': truncated or empty idx3 file (header says " +
                llvm::Twine(images.count) + " images of " +
                llvm::Twine(images.rows) + "x" + llvm::Twine(images.cols) +
                ")");
  size_t need = size_t(images.count) * pixels;
  images.pixels.assign(bytes->begin() + 16, bytes->begin() + 16 + need);
  return images;
}

Expected<std::vector<int64_t>> mlir::prune::readIdxLabels(StringRef path) {
  auto bytes = readMaybeGzip(path);
  if (!bytes)
    return bytes.takeError();
  if (bytes->size() < 8 || bigEndian32(bytes->data()) != 0x00000801)
    return fail("'" + path + "' is not an idx1 (ubyte labels) file");
  size_t count = bigEndian32(bytes->data() + 4);
  if (bytes->size() - 8 < count)
    return fail("'" + path + "': truncated idx1 file");
  return std::vector<int64_t>(bytes->begin() + 8, bytes->begin() + 8 + count);
}

Expected<Preprocess> mlir::prune::parsePreprocess(StringRef spec) {
  Preprocess p;
  llvm::SmallVector<StringRef> items;
  spec.split(items, ',', -1, /*KeepEmpty=*/false);
  for (StringRef item : items) {
    auto [key, value] = item.trim().split('=');
    if (key == "layout") {
      if (value.equals_insensitive("nchw"))
        p.nhwc = false;
      else if (value.equals_insensitive("nhwc"))
        p.nhwc = true;
      else
        return fail("preprocess: layout must be nchw or nhwc, got '" + value +
                    "'");
      continue;
    }
    if (key == "pad") {
      if (value.getAsInteger(10, p.pad) || p.pad < 0)
        return fail("preprocess: bad pad '" + value + "'");
      continue;
    }
    double v;
    if (value.getAsDouble(v) || !std::isfinite(v))
      return fail("preprocess: bad number '" + value + "' for '" + key +
                  "' (a finite number)");
    if (key == "scale")
      p.scale = v;
    else if (key == "mean")
      p.mean = v;
    else if (key == "std")
      p.std = v;
    else
      return fail("preprocess: unknown key '" + key +
                  "' (expected scale, mean, std, pad, layout)");
  }
  if (p.scale == 0 || p.std == 0)
    return fail("preprocess: scale and std must be non-zero");
  return p;
}

Expected<HostTensor> mlir::prune::makeImageInput(const IdxImages &images,
                                                 int64_t index,
                                                 const Preprocess &p,
                                                 llvm::ArrayRef<int64_t> shape) {
  int64_t h = images.rows + 2 * p.pad, w = images.cols + 2 * p.pad;
  std::vector<int64_t> expect =
      p.nhwc ? std::vector<int64_t>{1, h, w, 1} : std::vector<int64_t>{1, 1, h, w};
  if (shape.vec() != expect) {
    std::string got, want;
    for (int64_t d : shape)
      got += std::to_string(d) + "x";
    for (int64_t d : expect)
      want += std::to_string(d) + "x";
    got.pop_back();
    want.pop_back();
    return fail("model input is " + got + " but the images with this "
                "preprocessing give " + want +
                " (check pad= and layout=)");
  }
  HostTensor t(ElementKind::F32, expect);
  const uint8_t *img = images.pixels.data() + index * images.rows * images.cols;
  for (int64_t r = 0; r < images.rows; ++r)
    for (int64_t c = 0; c < images.cols; ++c)
      t.set((r + p.pad) * w + (c + p.pad),
            static_cast<float>((img[r * images.cols + c] / p.scale - p.mean) /
                               p.std));
  return t;
}
