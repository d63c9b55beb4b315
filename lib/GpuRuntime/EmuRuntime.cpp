//===- EmuRuntime.cpp - Compiled GPU models, run on the host ---------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// libPruneOptGpuEmu.so: the entry points a model compiled by nn-lower-gpu
// calls (MLIR's mgpu* GPU runtime ABI and prune_gpu_resident; GpuRuntime.h
// lists them), implemented on the host, so that the whole host protocol of
// a GPU-compiled model -- module load, kernel lookup by name, launches with
// their grids and packed parameters, stream-ordered allocations and copies,
// resident weights -- runs and is tested where there is no GPU (prune-run
// --device=gpu-emulation). The kernels are the entry points of Entries.cuh
// (the functions the model's gpu.module links as bitcode), compiled for the
// host under SimtEmu.h, which runs every block's threads as host threads.
//
// "Device" memory is host memory from a separate allocation (the weights'
// resident copies too), so a model that hands a kernel a host pointer by
// mistake still computes -- the emulation checks the protocol's steps and
// the kernels' numerics, not address spaces. Slow (a host thread per GPU
// thread): for tests on a few samples.
//
//===----------------------------------------------------------------------===//

#include "SimtEmu.h"

#include "Entries.cuh"
#include "ModelState.h"

#include "prune-opt/GpuRuntime/GpuRuntime.h"

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>

using namespace pruneopt::gpu;

#define PRUNE_EMU_EXPORT extern "C" __attribute__((visibility("default")))

namespace {
using EntryFn = void (*)(PRUNE_GPU_ENTRY_PARAMS);
struct Entry {
  const char *name;
  EntryFn fn;
};
/// GpuEntries.def: the kernels a model's gpu.module can hold, by name.
const Entry kEntries[] = {
#define PRUNE_GPU_ENTRY(Name, Kernel, Layout) {#Name, &prune_gpu_##Name},
#include "prune-opt/GpuRuntime/GpuEntries.def"
};
constexpr int kEntryParams = 15;

/// A loaded module: what was loaded (the model's PTX or cubin; unused).
struct Module {
  size_t bytes;
};


int emulationSetUp = [] {
  // Warps start together (SimtEmu.h staggers them by default so that the
  // unit tests catch a missing barrier; a model run wants speed).
  if (!std::getenv("PRUNE_GPU_EMU_STAGGER"))
    simt::staggerMicros = 0;
  return 0;
}();
} // namespace

PRUNE_EMU_EXPORT void *mgpuModuleLoad(void *data, size_t bytes) {
  if (!data) {
    modelFail("mgpuModuleLoad: no module data");
    return nullptr;
  }
  return new Module{bytes};
}

PRUNE_EMU_EXPORT void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  if (!data) {
    modelFail("mgpuModuleLoadJIT: no module data");
    return nullptr;
  }
  return new Module{0}; // (PTX: its size is not passed)
}

PRUNE_EMU_EXPORT void mgpuModuleUnload(void *module) {
  delete static_cast<Module *>(module);
  // A model is going away, and with it the constants the resident copies
  // were made from: a later model could reuse their addresses.
  Resident &r = resident();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (auto &[key, copy] : r.copies)
    std::free(copy);
  r.copies.clear();
}

PRUNE_EMU_EXPORT void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module) {
    modelFail(std::string("mgpuModuleGetFunction (") + name +
              "): the module did not load");
    return nullptr;
  }
  for (const Entry &e : kEntries)
    if (std::strcmp(e.name, name) == 0)
      return const_cast<Entry *>(&e);
  modelFail(std::string("mgpuModuleGetFunction: no kernel named '") + name +
            "' in the emulated runtime");
  return nullptr;
}

PRUNE_EMU_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                       intptr_t gridY, intptr_t gridZ,
                                       intptr_t blockX, intptr_t blockY,
                                       intptr_t blockZ, int32_t smem,
                                       void * /*stream*/, void **params,
                                       void **extra, size_t paramsCount) {
  auto *entry = static_cast<const Entry *>(function);
  if (!entry) {
    modelFail("mgpuLaunchKernel: no kernel (its lookup failed)");
    return;
  }
  std::string what = std::string("mgpuLaunchKernel (") + entry->name + "): ";
  if (paramsCount != kEntryParams || !params || extra || smem != 0) {
    modelFail(what + "expected " + std::to_string(kEntryParams) +
              " parameters and no dynamic shared memory, got " +
              std::to_string(paramsCount) + " and " + std::to_string(smem) +
              " bytes");
    return;
  }
  // Each parameter points to its value (cuLaunchKernel's convention).
  auto ptr = [&](int i) { return *static_cast<void **>(params[i]); };
  auto i64 = [&](int i) { return *static_cast<int64_t *>(params[i]); };
  std::string error = simt::launch(
      dim3(unsigned(gridX), unsigned(gridY), unsigned(gridZ)),
      dim3(unsigned(blockX), unsigned(blockY), unsigned(blockZ)), [&] {
        entry->fn(ptr(0), ptr(1), ptr(2), static_cast<const float *>(ptr(3)),
                  static_cast<float *>(ptr(4)),
                  static_cast<const float *>(ptr(5)),
                  static_cast<float *>(ptr(6)), i64(7), i64(8), i64(9),
                  i64(10), i64(11), i64(12), i64(13),
                  *static_cast<int32_t *>(params[14]));
      });
  if (!error.empty())
    modelFail(what + error);
}

// One stream: everything runs synchronously in the calling thread.
PRUNE_EMU_EXPORT void *mgpuStreamCreate() {
  static int stream;
  return &stream;
}
PRUNE_EMU_EXPORT void mgpuStreamDestroy(void *) {}
PRUNE_EMU_EXPORT void mgpuStreamSynchronize(void *) {}
PRUNE_EMU_EXPORT void mgpuStreamWaitEvent(void *, void *) {}
PRUNE_EMU_EXPORT void *mgpuEventCreate() {
  static int event;
  return &event;
}
PRUNE_EMU_EXPORT void mgpuEventDestroy(void *) {}
PRUNE_EMU_EXPORT void mgpuEventSynchronize(void *) {}
PRUNE_EMU_EXPORT void mgpuEventRecord(void *, void *) {}
PRUNE_EMU_EXPORT void mgpuSetDefaultDevice(int32_t) {}

PRUNE_EMU_EXPORT void *mgpuMemAlloc(uint64_t bytes, void * /*stream*/,
                                    bool /*hostShared*/) {
  // 256-byte aligned, as cudaMalloc's.
  void *p = std::aligned_alloc(256, (bytes + 255) / 256 * 256 + 256);
  if (!p)
    modelFail("mgpuMemAlloc (" + std::to_string(bytes) + " bytes): out of "
              "memory");
  return p;
}
PRUNE_EMU_EXPORT void mgpuMemFree(void *ptr, void * /*stream*/) {
  std::free(ptr);
}
PRUNE_EMU_EXPORT void mgpuMemcpy(void *dst, void *src, size_t bytes,
                                 void * /*stream*/) {
  if (bytes)
    std::memcpy(dst, src, bytes);
}
PRUNE_EMU_EXPORT void mgpuMemset32(void *dst, unsigned value, size_t count,
                                   void * /*stream*/) {
  auto *d = static_cast<uint32_t *>(dst);
  for (size_t i = 0; i < count; ++i)
    d[i] = value;
}
PRUNE_EMU_EXPORT void mgpuMemset16(void *dst, unsigned short value,
                                   size_t count, void * /*stream*/) {
  auto *d = static_cast<uint16_t *>(dst);
  for (size_t i = 0; i < count; ++i)
    d[i] = value;
}

PRUNE_EMU_EXPORT void *prune_gpu_resident(const void *host, int64_t bytes) {
  if (!host || bytes < 0) {
    modelFail("prune_gpu_resident: bad array");
    return nullptr;
  }
  Resident &r = resident();
  std::lock_guard<std::mutex> lock(r.mutex);
  void *&copy = r.copies[{host, bytes}];
  if (!copy) {
    copy = mgpuMemAlloc(uint64_t(bytes), nullptr, false);
    if (copy)
      std::memcpy(copy, host, size_t(bytes));
  }
  return copy;
}

PRUNE_EMU_EXPORT const char *prune_gpu_take_model_error(void) {
  return takeModelError();
}
