//===- HugePages.h - Advising transparent huge pages ------------*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Large buffers that are about to be filled ask the kernel for transparent
// huge pages first: in the VMs of this project's machines the first touch
// of a 4 KB page costs ~2.6 us (zeroing a fresh 128 MB: 0.33 s in 4 KB
// pages, 0.01 s in huge pages once the host has backed them). Used by the
// criteria's matrices (lib/Criteria/Dense.h) and the tools' operator new
// (tools/common/HugePageNew.cpp). Header-only: no library to link.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_UTILS_HUGEPAGES_H
#define PRUNE_OPT_UTILS_HUGEPAGES_H

#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mlir::prune {

/// Asks the kernel to back the whole 2 MB pages within [p, p + bytes) with
/// transparent huge pages when they are first touched (Linux
/// madvise(MADV_HUGEPAGE); nothing elsewhere or for less than 4 MB). Advice
/// only: a kernel without THP refuses it, and nothing changes.
inline void adviseHugePages(void *p, std::size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t(2) << 20;
  if (!p || bytes < 2 * huge)
    return;
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t begin = (at + huge - 1) & ~(huge - 1);
  const std::uintptr_t end = (at + bytes) & ~(huge - 1);
  if (end > begin)
    (void)madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

} // namespace mlir::prune

#endif // PRUNE_OPT_UTILS_HUGEPAGES_H
