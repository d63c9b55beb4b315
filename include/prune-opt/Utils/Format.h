//===- Format.h - Human-readable numbers ------------------------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_UTILS_FORMAT_H
#define PRUNE_OPT_UTILS_FORMAT_H

#include <cstdint>
#include <string>

namespace mlir::prune {

/// "812 B", "1.5 KiB", "2.25 MiB" ("1.5KiB" when `compact`, for tables).
std::string formatBytes(int64_t bytes, bool compact = false);

} // namespace mlir::prune

#endif // PRUNE_OPT_UTILS_FORMAT_H
