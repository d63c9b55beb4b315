//===- HugePageNew.cpp - operator new on huge pages for large blocks
//-------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The tools' global operator new (the replaceable one: it serves every
// std::vector, MLIR's heap blobs and LLVM's buffers in the process): blocks
// of 4 MB or more ask the kernel for transparent huge pages
// (madvise(MADV_HUGEPAGE), mlir::prune::adviseHugePages) before anything
// touches them. The passes allocate and free one weight's temporaries after
// another (values and scores in double, the selection's copy, the packed
// layouts); glibc maps each such block afresh and unmaps it on free, so
// every one is faulted in again page by page. In the VMs of this project's
// machines a 4 KB fault costs ~2.6 us: `nn-prune` + `nn-sparsify` on the
// 100M-parameter synthetic transformer took 12.3 s with 4 KB pages and 5.6
// s with huge ones (a third of its samples in the page-fault handler,
// another quarter zeroing fresh pages). What glibc's
// `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` does, without asking the user.
//
// Not in sanitizer builds (their allocators replace these functions), nor
// off Linux. The default operator delete (free) matches: these allocate
// with malloc and aligned_alloc as libstdc++'s own do.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Utils/HugePages.h"

#include "llvm/Support/ErrorHandling.h"

#include <cstddef>
#include <cstdlib>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) ||     \
    __has_feature(thread_sanitizer)
#define PRUNE_OPT_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PRUNE_OPT_SANITIZED 1
#endif

#if defined(__linux__) && !defined(PRUNE_OPT_SANITIZED)
namespace {
/// malloc or aligned_alloc, retrying through the new-handler as the
/// standard's operator new does; without one, LLVM's out-of-memory report.
void *allocate(std::size_t bytes, std::size_t align) {
  if (bytes == 0)
    bytes = 1;
  for (;;) {
    void *p =
        align <= alignof(std::max_align_t)
            ? std::malloc(bytes)
            : std::aligned_alloc(align, (bytes + align - 1) / align * align);
    if (p) {
      mlir::prune::adviseHugePages(p, bytes);
      return p;
    }
    std::new_handler handler = std::get_new_handler();
    if (!handler)
      llvm::report_bad_alloc_error("out of memory");
    handler();
  }
}
} // namespace

void *operator new(std::size_t bytes) { return allocate(bytes, 0); }
void *operator new(std::size_t bytes, std::align_val_t align) {
  return allocate(bytes, static_cast<std::size_t>(align));
}

#endif
