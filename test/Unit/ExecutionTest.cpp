//===- ExecutionTest.cpp - The JIT's section memory -----------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// jitSectionMapper: data sections of 2 MiB or more start on a 2 MiB
// boundary and, where the kernel offers transparent huge pages, their
// mapping is eligible for them; they are written, protected and released
// like LLVM's own mappings.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Execution/Runner.h"

#include "llvm/Support/Memory.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

using llvm::sys::Memory;
using llvm::sys::MemoryBlock;
using Purpose = llvm::SectionMemoryManager::AllocationPurpose;

namespace {
constexpr size_t kHugePage = size_t(2) << 20;

/// The value of /proc/self/smaps's field `field` for the mapping that
/// holds `addr`; "" if not found.
std::string smapsField(const void *addr, const std::string &field) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= a && a < hi;
      continue;
    }
    if (inside && line.rfind(field + ":", 0) == 0) {
      std::string value = line.substr(field.size() + 1);
      return value.substr(value.find_first_not_of(' '));
    }
  }
  return "";
}

/// The kernel's transparent huge page mode: "always", "madvise", "never"
/// ("" if unknown).
std::string thpMode() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string s;
  std::getline(f, s);
  const size_t open = s.find('['), close = s.find(']');
  return open == std::string::npos || close == std::string::npos
             ? ""
             : s.substr(open + 1, close - open - 1);
}

/// Whether the kernel gives transparent huge pages to madvised mappings.
bool thpForMadvise() { return thpMode() == "always" || thpMode() == "madvise"; }
} // namespace

TEST(Execution, LargeDataSectionsStartOnHugePages) {
  auto &mapper = mlir::prune::jitSectionMapper();
  const unsigned rw = Memory::MF_READ | Memory::MF_WRITE;
  for (Purpose purpose : {Purpose::ROData, Purpose::RWData}) {
    std::error_code ec;
    const size_t bytes = 3 * (size_t(1) << 20) + 123;
    MemoryBlock block =
        mapper.allocateMappedMemory(purpose, bytes, nullptr, rw, ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_NE(block.base(), nullptr);
    EXPECT_GE(block.allocatedSize(), bytes);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(block.base()) % kHugePage, 0u);
    // Written as the JIT copies a section, then read back read-only.
    auto *p = static_cast<uint8_t *>(block.base());
    uint64_t expected = 0;
    for (size_t i = 0; i < bytes; ++i)
      expected += p[i] = uint8_t(i * 7);
    if (thpForMadvise())
      EXPECT_EQ(smapsField(block.base(), "THPeligible"), "1");
    else
      GTEST_LOG_(INFO) << "transparent huge pages are off on this kernel: "
                          "the eligibility is not checked";
    ASSERT_FALSE(mapper.protectMappedMemory(block, Memory::MF_READ));
    uint64_t sum = 0;
    for (size_t i = 0; i < bytes; ++i)
      sum += p[i];
    EXPECT_EQ(sum, expected);
    EXPECT_FALSE(mapper.releaseMappedMemory(block));
  }
}

TEST(Execution, CodeAndSmallSectionsKeepTheDefaultMapping) {
  auto &mapper = mlir::prune::jitSectionMapper();
  const unsigned rw = Memory::MF_READ | Memory::MF_WRITE;
  for (auto [purpose, bytes] : {std::pair{Purpose::Code, size_t(3) << 20},
                                std::pair{Purpose::ROData, size_t(64) << 10}}) {
    std::error_code ec;
    MemoryBlock block =
        mapper.allocateMappedMemory(purpose, bytes, nullptr, rw, ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_NE(block.base(), nullptr);
    std::memset(block.base(), 0xc3, bytes); // ret, for the code block
    // Not asked for huge pages (a code block is never a weight, and a
    // small section would waste most of one): under THP "madvise" the
    // mapping is not eligible.
    if (thpMode() == "madvise")
      EXPECT_EQ(smapsField(block.base(), "THPeligible"), "0");
    const unsigned final = purpose == Purpose::Code
                               ? Memory::MF_READ | Memory::MF_EXEC
                               : unsigned(Memory::MF_READ);
    EXPECT_FALSE(mapper.protectMappedMemory(block, final));
    EXPECT_FALSE(mapper.releaseMappedMemory(block));
  }
}
