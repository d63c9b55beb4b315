//===- ModelState.h - What a model's runtime calls keep  -*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/GpuRuntime: the state of the model entry points shared by
// the CUDA runtime (ModelRuntime.cpp) and the emulated one (EmuRuntime.cpp):
// the resident weight copies, and prune_gpu_take_model_error's error. The mgpu* entry points cannot return errors to the
// generated code, so a failure is recorded here (the first one counts: the
// later ones usually follow from it) and the model's caller takes it after
// the call.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_MODELSTATE_H
#define PRUNE_OPT_LIB_GPURUNTIME_MODELSTATE_H

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace pruneopt::gpu {

inline thread_local std::string modelError, takenModelError;

/// Records `message` unless an earlier error is pending.
inline void modelFail(const std::string &message) {
  if (modelError.empty())
    modelError = message;
}

/// prune_gpu_take_model_error: the pending error ("" if none), cleared.
inline const char *takeModelError() {
  takenModelError = std::move(modelError);
  modelError.clear();
  return takenModelError.c_str();
}

/// The resident copies (device memory, or host memory under the emulation)
/// of the host arrays prune_gpu_resident was given. Never destroyed: models
/// unload (mgpuModuleUnload) from their own destructors, which can run after
/// the runtime library's static destructors at exit.
struct Resident {
  std::mutex mutex;
  std::map<std::pair<const void *, int64_t>, void *> copies;
};
inline Resident &resident() {
  static Resident *r = new Resident;
  return *r;
}

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_MODELSTATE_H
