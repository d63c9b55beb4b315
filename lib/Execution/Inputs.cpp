//===- Inputs.cpp - Model inputs from idx images or .npy files ------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Execution/Inputs.h"

#include "llvm/ADT/Twine.h"

#include <cmath>

using namespace mlir;
using namespace mlir::prune;

static llvm::Error fail(const llvm::Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Inputs must be finite (a NaN would poison every statistic).
static llvm::Error checkFinite(const HostTensor &t, llvm::StringRef path) {
  for (int64_t e = 0, ne = t.numElements(); e < ne; ++e)
    if (!std::isfinite(t.get(e)))
      return fail("'" + path + "' contains NaN or infinite values");
  return llvm::Error::success();
}

llvm::Expected<InputSource>
InputSource::fromImages(llvm::StringRef path, llvm::StringRef preprocessSpec,
                        llvm::ArrayRef<TensorSpec> specs) {
  InputSource in;
  in.specs.assign(specs.begin(), specs.end());
  if (specs.size() != 1)
    return fail("images need an entry with exactly one argument, it has " +
                llvm::Twine(specs.size()));
  auto loaded = readIdxImages(path);
  if (!loaded)
    return loaded.takeError();
  auto pre = parsePreprocess(preprocessSpec);
  if (!pre)
    return pre.takeError();
  in.images = std::move(*loaded);
  in.preprocess = *pre;
  in.available = in.images->count;
  if (in.available > 0)
    if (auto t = makeImageInput(*in.images, 0, in.preprocess, specs[0].shape);
        !t)
      return t.takeError();
  return in;
}

llvm::Expected<InputSource>
InputSource::fromNpy(llvm::ArrayRef<std::string> paths,
                     llvm::ArrayRef<TensorSpec> specs,
                     llvm::StringRef entryName) {
  InputSource in;
  in.specs.assign(specs.begin(), specs.end());
  if (paths.size() != specs.size())
    return fail("'" + entryName + "' takes " + llvm::Twine(specs.size()) +
                " arguments but " + llvm::Twine(paths.size()) +
                " input files were given");
  for (auto [i, path] : llvm::enumerate(paths)) {
    // Big uncompressed files stay on disk (calibration sets are GiBs: 128
    // sequences of 2048 tokens of a 4096-wide layer are 4 GiB); the others
    // are read and checked up front.
    constexpr uint64_t kOnDiskBytes = uint64_t(64) << 20;
    std::optional<OnDisk> disk;
    HostTensor t;
    if (llvm::Expected<NpyLayout> layout = readNpyLayout(path)) {
      uint64_t bytes = elementSize(layout->kind);
      for (int64_t d : layout->shape)
        bytes *= uint64_t(d);
      if (bytes >= kOnDiskBytes)
        disk = OnDisk{path, *layout};
    } else {
      llvm::consumeError(layout.takeError()); // (gzip: read below)
    }
    if (disk) {
      t.kind = disk->layout.kind;
      t.shape = disk->layout.shape;
    } else {
      auto read = readNpy(path);
      if (!read)
        return read.takeError();
      t = std::move(*read);
    }
    const auto &want = specs[i].shape;
    int64_t n;
    if (t.shape == want)
      n = 1;
    else if (t.shape.size() == want.size() + 1 &&
             std::equal(want.begin(), want.end(), t.shape.begin() + 1))
      n = t.shape[0];
    else {
      std::string got;
      for (int64_t d : t.shape)
        got += std::to_string(d) + "x";
      return fail("'" + path + "' holds " + got + elementKindName(t.kind) +
                  " but argument #" + llvm::Twine(i) + " of '" + entryName +
                  "' is " + specs[i].str() +
                  " (optionally with a leading batch axis)");
    }
    if (!disk)
      if (llvm::Error err = checkFinite(t, path))
        return std::move(err);
    in.available = i == 0 ? n : std::min(in.available, n);
    in.arrays.push_back(std::move(t));
    in.onDisk.push_back(std::move(disk));
  }
  return in;
}

llvm::Error InputSource::checkRange(int64_t first, int64_t count) const {
  if (first < 0 || count <= 0 || first + count > available)
    return fail("samples [" + llvm::Twine(first) + ", " +
                llvm::Twine(first + count) + ") are out of range (" +
                llvm::Twine(available) + " available)");
  return llvm::Error::success();
}

llvm::Expected<std::vector<HostTensor>>
InputSource::sample(int64_t index) const {
  std::vector<HostTensor> args;
  if (images) {
    auto t = makeImageInput(*images, index, preprocess, specs[0].shape);
    if (!t)
      return t.takeError();
    args.push_back(std::move(*t));
    return args;
  }
  for (auto [i, t] : llvm::enumerate(arrays)) {
    int64_t n = 1;
    for (int64_t d : specs[i].shape)
      n *= d;
    int64_t offset = t.shape == specs[i].shape ? 0 : index * n;
    if (const std::optional<OnDisk> &disk = onDisk[i]) {
      auto read = readNpyElements(disk->path, disk->layout, offset,
                                  specs[i].shape);
      if (!read)
        return read.takeError();
      if (llvm::Error err = checkFinite(*read, disk->path))
        return std::move(err);
      args.push_back(std::move(*read));
      continue;
    }
    args.push_back(t.slice(offset, specs[i].shape));
  }
  return args;
}
