//===- TensorIO.cpp - Tensors in and out of files -------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Execution/TensorIO.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <zlib.h>

using namespace mlir::prune;
using llvm::createStringError;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
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
  std::vector<uint8_t> out;
  char chunk[1 << 16];
  int n;
  while ((n = gzread(file, chunk, sizeof(chunk))) > 0)
    out.insert(out.end(), chunk, chunk + n);
  bool bad = n < 0;
  gzclose(file);
  if (bad)
    return fail("corrupt gzip data in '" + path + "'");
  return out;
}

Expected<HostTensor> mlir::prune::readNpy(StringRef path) {
  auto bytesOr = readMaybeGzip(path);
  if (!bytesOr)
    return bytesOr.takeError();
  std::vector<uint8_t> &bytes = *bytesOr;
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
  bool f64 = header.contains("'<f8'");
  if (!f64 && !header.contains("'<f4'"))
    return fail("'" + path + "': only little-endian float32/float64 .npy "
                "files are supported (header: " + header.trim() + ")");
  if (header.contains("'fortran_order': True"))
    return fail("'" + path + "': Fortran-ordered arrays are not supported");
  size_t open = header.find("'shape': (");
  if (open == StringRef::npos)
    return fail("'" + path + "': no shape in .npy header");
  StringRef rest = header.drop_front(open + 10);
  StringRef dims = rest.take_until([](char c) { return c == ')'; });
  HostTensor t;
  llvm::SmallVector<StringRef> parts;
  dims.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (StringRef p : parts) {
    p = p.trim();
    if (p.empty())
      continue;
    int64_t d;
    if (p.getAsInteger(10, d) || d < 0)
      return fail("'" + path + "': bad shape in .npy header");
    t.shape.push_back(d);
  }
  size_t dataOffset = offset + headerLen;
  int64_t n = t.numElements();
  size_t eltBytes = f64 ? 8 : 4;
  if (bytes.size() - dataOffset < size_t(n) * eltBytes)
    return fail("'" + path + "': file holds fewer elements than its shape");
  t.data.resize(n);
  const uint8_t *src = bytes.data() + dataOffset;
  for (int64_t i = 0; i < n; ++i) {
    if (f64) {
      double d;
      std::memcpy(&d, src + i * 8, 8);
      t.data[i] = static_cast<float>(d);
    } else {
      std::memcpy(&t.data[i], src + i * 4, 4);
    }
  }
  return t;
}

Error mlir::prune::writeNpy(StringRef path, const HostTensor &t) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (";
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
  std::error_code ec;
  // Write to a temporary file and rename, so a failure leaves no partial
  // output behind.
  std::string tmp = (path + ".tmp").str();
  {
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec)
      return fail("cannot write '" + path + "': " + ec.message());
    os << "\x93NUMPY" << char(1) << char(0);
    os << char(header.size() & 0xff) << char(header.size() >> 8);
    os << header;
    os.write(reinterpret_cast<const char *>(t.data.data()),
             t.data.size() * sizeof(float));
    if (os.has_error())
      return fail("cannot write '" + path + "'");
  }
  if (auto err = llvm::sys::fs::rename(tmp, path))
    return fail("cannot write '" + path + "': " + err.message());
  return Error::success();
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
  size_t need = size_t(images.count) * images.rows * images.cols;
  if (bytes->size() - 16 < need)
    return fail("'" + path + "': truncated idx3 file");
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
    if (value.getAsDouble(v))
      return fail("preprocess: bad number '" + value + "' for '" + key + "'");
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
  HostTensor t;
  t.shape = expect;
  t.data.assign(h * w, 0.0f);
  const uint8_t *img = images.pixels.data() + index * images.rows * images.cols;
  for (int64_t r = 0; r < images.rows; ++r)
    for (int64_t c = 0; c < images.cols; ++c)
      t.data[(r + p.pad) * w + (c + p.pad)] = static_cast<float>(
          (img[r * images.cols + c] / p.scale - p.mean) / p.std);
  return t;
}
