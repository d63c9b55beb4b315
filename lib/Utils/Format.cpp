//===- Format.cpp - Human-readable numbers --------------------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Utils/Format.h"

#include "llvm/Support/FormatVariadic.h"

std::string mlir::prune::formatBytes(int64_t b, bool compact) {
  const char *sep = compact ? "" : " ";
  if (b >= (1 << 20))
    return llvm::formatv("{0:F2}{1}MiB", b / 1048576.0, sep).str();
  if (b >= 1024)
    return llvm::formatv("{0:F1}{1}KiB", b / 1024.0, sep).str();
  return std::to_string(b) + sep + "B";
}
