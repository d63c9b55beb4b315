//===- ModelError.h - The first error of a model's runtime calls -*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Private to lib/GpuRuntime: prune_gpu_take_model_error's state, shared by
// the CUDA runtime (ModelRuntime.cpp) and the emulated one
// (EmuRuntime.cpp). The mgpu* entry points cannot return errors to the
// generated code, so a failure is recorded here (the first one counts: the
// later ones usually follow from it) and the model's caller takes it after
// the call.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_MODELERROR_H
#define PRUNE_OPT_LIB_GPURUNTIME_MODELERROR_H

#include <string>

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

} // namespace pruneopt::gpu

#endif // PRUNE_OPT_LIB_GPURUNTIME_MODELERROR_H
