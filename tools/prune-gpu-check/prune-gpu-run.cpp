//===- prune-gpu-run.cpp - Compiled models on a GPU, without LLVM ---------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Runs a model that nn-lower-gpu compiled into a shared library on another
// machine (scripts/gpu-models.sh), where there is a GPU and no LLVM
// (scripts/gpu-check.sh): loads the GPU runtime (libPruneOptGpu.so, or
// libPruneOptGpuEmu.so to check the whole flow without a GPU) and the CPU
// kernel library with RTLD_GLOBAL so that the model's mgpu* / prune_* calls
// bind to them (and to this executable's memrefCopy), calls `_mlir_ciface_<entry>` on every sample of an .npy of
// inputs, and compares the outputs with the CPU path's (an .npy that
// prune-run --output wrote): max |diff|, top-1 agreement, accuracy against
// labels, and the mean time per call (weights uploaded by the first call,
// which is not timed).
//
// Usage: prune-gpu-run --model=M.so --entry=NAME --inputs=X.npy
//          --reference=REF.npy [--labels=L.npy] [--runtime=LIB.so]
//          [--preload=LIB.so,...] [--tolerance=T] [--name=TEXT]
// Exit 0 when every output is within T of the reference (default 1e-4) and
// the top-1 agree; 1 otherwise; 2 on bad input or a failing runtime call.
// Malformed .npy files are errors; the samples' shape is taken from the
// .npy (a library has no signature to check it against), so the inputs must
// be the ones scripts/gpu-models.sh wrote for that model.
// Plain C++ (no LLVM): scripts/gpu-check.sh builds it with nvcc's host
// compiler.
//
//===----------------------------------------------------------------------===//

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string &message) {
  std::fprintf(stderr, "prune-gpu-run: error: %s\n", message.c_str());
  std::exit(2);
}

/// A C-order .npy of float32 (<f4) or int64 (<i8, labels).
struct Npy {
  std::vector<int64_t> shape;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  int64_t count() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

Npy readNpy(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    die("cannot open " + path);
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    die(path + ": not an .npy file");
  uint32_t headerLen = 0;
  if (magic[6] == 1) {
    uint16_t len;
    in.read(reinterpret_cast<char *>(&len), 2);
    headerLen = len;
  } else {
    in.read(reinterpret_cast<char *>(&headerLen), 4);
  }
  if (!in || headerLen > 1 << 16)
    die(path + ": bad .npy header");
  std::string header(headerLen, '\0');
  in.read(header.data(), headerLen);
  Npy npy;
  bool isFloat = header.find("'<f4'") != std::string::npos;
  bool isInt = header.find("'<i8'") != std::string::npos;
  if ((!isFloat && !isInt) ||
      header.find("'fortran_order': False") == std::string::npos)
    die(path + ": expected a C-order float32 or int64 array");
  size_t open = header.find('('), close = header.find(')');
  if (open == std::string::npos || close == std::string::npos)
    die(path + ": no shape");
  std::stringstream dims(header.substr(open + 1, close - open - 1));
  std::string dim;
  while (std::getline(dims, dim, ','))
    if (dim.find_first_not_of(' ') != std::string::npos) {
      char *end = nullptr;
      long long v = std::strtoll(dim.c_str(), &end, 10);
      if (end == dim.c_str() || v < 0 || v > (int64_t(1) << 32))
        die(path + ": bad shape");
      npy.shape.push_back(v);
    }
  if (npy.shape.empty() || npy.count() < 0 || npy.count() > (int64_t(1) << 32))
    die(path + ": bad shape");
  size_t bytes = size_t(npy.count()) * (isFloat ? 4 : 8);
  if (isFloat) {
    npy.floats.resize(npy.count());
    in.read(reinterpret_cast<char *>(npy.floats.data()), bytes);
  } else {
    npy.ints.resize(npy.count());
    in.read(reinterpret_cast<char *>(npy.ints.data()), bytes);
  }
  if (!in)
    die(path + ": truncated");
  return npy;
}

void *load(const std::string &path) {
  void *lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!lib)
    die("cannot load " + path + ": " + ::dlerror());
  return lib;
}

std::string option(int argc, char **argv, const std::string &name,
                   const std::string &fallback = "") {
  std::string prefix = "--" + name + "=";
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0)
      return argv[i] + prefix.size();
  return fallback;
}

int64_t argmax(const float *v, int64_t n) {
  return std::max_element(v, v + n) - v;
}

} // namespace

/// MLIR's memrefCopy (mlir/ExecutionEngine/CRunnerUtils.cpp), the one
/// runner-utils function compiled models call (memref.copy of strided
/// views): exported by this executable, so that no LLVM library is needed
/// where the models run (Debian's libmlir_c_runner_utils links libMLIR).
/// Arguments: the element size, then two unranked memrefs {rank,
/// descriptor}, a descriptor being {allocated, aligned, offset, sizes[rank],
/// strides[rank]}.
extern "C" __attribute__((visibility("default"))) void
memrefCopy(int64_t elemSize, const int64_t *src, const int64_t *dst) {
  int64_t rank = src[0];
  const int64_t *s = reinterpret_cast<const int64_t *>(src[1]);
  const int64_t *d = reinterpret_cast<const int64_t *>(dst[1]);
  const char *from = reinterpret_cast<const char *>(s[1]) + s[2] * elemSize;
  char *to = reinterpret_cast<char *>(d[1]) + d[2] * elemSize;
  const int64_t *sizes = s + 3, *srcStrides = s + 3 + rank,
                *dstStrides = d + 3 + rank;
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i)
    count *= sizes[i];
  std::vector<int64_t> index(rank, 0);
  for (int64_t e = 0; e < count; ++e) {
    int64_t a = 0, b = 0;
    for (int64_t i = 0; i < rank; ++i) {
      a += index[i] * srcStrides[i];
      b += index[i] * dstStrides[i];
    }
    std::memcpy(to + b * elemSize, from + a * elemSize, elemSize);
    for (int64_t i = rank - 1; i >= 0; --i) {
      if (++index[i] < sizes[i])
        break;
      index[i] = 0;
    }
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0 || std::strncmp(argv[i], "--", 2)) {
      std::fprintf(stderr,
                   "usage: prune-gpu-run --model=M.so --entry=NAME "
                   "--inputs=X.npy --reference=REF.npy [--labels=L.npy] "
                   "[--runtime=LIB.so] [--preload=LIB.so,...] "
                   "[--tolerance=T] [--name=TEXT]\n");
      return std::strcmp(argv[i], "--help") == 0 ? 0 : 2;
    }
  std::string modelPath = option(argc, argv, "model"),
              entry = option(argc, argv, "entry"),
              inputsPath = option(argc, argv, "inputs"),
              refPath = option(argc, argv, "reference"),
              labelsPath = option(argc, argv, "labels"),
              runtime = option(argc, argv, "runtime"),
              preload = option(argc, argv, "preload"),
              name = option(argc, argv, "name", modelPath);
  double tolerance = std::atof(option(argc, argv, "tolerance", "1e-4").c_str());
  if (modelPath.empty() || entry.empty() || inputsPath.empty() ||
      refPath.empty())
    die("--model, --entry, --inputs and --reference are required");

  // The libraries the model's undefined symbols bind to, then the model.
  std::stringstream libs(preload);
  for (std::string lib; std::getline(libs, lib, ',');)
    if (!lib.empty())
      load(lib);
  const char *(*takeError)() = nullptr;
  if (!runtime.empty())
    takeError = reinterpret_cast<const char *(*)()>(
        ::dlsym(load(runtime), "prune_gpu_take_model_error"));
  void *model = load(modelPath);
  auto *fn = reinterpret_cast<void (*)(void *, void *)>(
      ::dlsym(model, ("_mlir_ciface_" + entry).c_str()));
  if (!fn)
    die("no _mlir_ciface_" + entry + " in " + modelPath);

  Npy x = readNpy(inputsPath), ref = readNpy(refPath);
  Npy labels;
  if (!labelsPath.empty())
    labels = readNpy(labelsPath);
  int64_t n = x.shape[0];
  if (ref.shape[0] != n || x.floats.empty() || ref.floats.empty() ||
      (!labels.ints.empty() && labels.shape[0] != n))
    die("inputs, reference (and labels) must be float32 (int64) arrays with "
        "the same number of samples");
  std::vector<int64_t> inShape(x.shape.begin() + 1, x.shape.end());
  int64_t inCount = x.count() / n, outCount = ref.count() / n;
  size_t rank = inShape.size(), outRank = ref.shape.size() - 1;
  if (rank > 8 || outRank > 8)
    die("inputs and results of rank > 8 are not supported");

  double maxDiff = 0;
  int64_t agree = 0, correct = 0;
  double seconds = 0;
  for (int64_t s = 0; s < n; ++s) {
    // Memref descriptors: {allocated, aligned, offset, sizes[R], strides[R]}.
    std::vector<int64_t> in(3 + 2 * rank);
    in[0] = in[1] = reinterpret_cast<int64_t>(x.floats.data() + s * inCount);
    for (int64_t i = rank - 1, stride = 1; i >= 0; stride *= inShape[i--]) {
      in[3 + i] = inShape[i];
      in[3 + rank + i] = stride;
    }
    std::vector<int64_t> out(3 + 2 * 8, 0); // (any result rank <= 8)
    auto start = std::chrono::steady_clock::now();
    fn(out.data(), in.data());
    double took = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - start)
                      .count();
    if (s > 0) // (the first call uploads the weights)
      seconds += took;
    if (takeError)
      if (const char *error = takeError(); error && *error)
        die(std::string("the model's GPU calls failed: ") + error);
    // The result, row-major whatever its strides.
    const float *base = reinterpret_cast<const float *>(out[1]) + out[2];
    std::vector<float> yv(outCount);
    for (int64_t i = 0; i < outCount; ++i) {
      int64_t rest = i, offset = 0;
      for (int64_t d = int64_t(outRank) - 1; d >= 0; --d) {
        offset += rest % ref.shape[1 + d] * out[3 + outRank + d];
        rest /= ref.shape[1 + d];
      }
      yv[i] = base[offset];
    }
    const float *y = yv.data();
    const float *r = ref.floats.data() + s * outCount;
    for (int64_t i = 0; i < outCount; ++i)
      maxDiff = std::max(maxDiff, double(std::fabs(y[i] - r[i])));
    int64_t top = argmax(y, outCount);
    agree += top == argmax(r, outCount);
    if (!labels.ints.empty())
      correct += top == labels.ints[s];
    std::free(reinterpret_cast<void *>(out[0]));
  }
  std::printf("%-28s samples %lld  max-abs-diff vs CPU %.3e  top1-agreement "
              "%.4f",
              name.c_str(), (long long)n, maxDiff, double(agree) / n);
  if (!labels.ints.empty())
    std::printf("  accuracy %.4f", double(correct) / n);
  if (n > 1)
    std::printf("  %.1f us/inference", seconds / (n - 1) * 1e6);
  std::printf("\n");
  return maxDiff <= tolerance && agree == n ? 0 : 1;
}
