//===- EmuLaunch.h - A launcher of the launch plans under SimtEmu -*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// For the GPU kernel tests: the launcher launchFc / launchSptc24 call,
// running each launch under simt::launch and recording "kernel<layout>".
// Include after SimtEmu.h.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_TEST_UNIT_EMULAUNCH_H
#define PRUNE_OPT_TEST_UNIT_EMULAUNCH_H

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pruneopt::gpu::test {

/// Launches through simt::launch and records "kernel<layout>".
struct EmuLaunch {
  std::vector<std::string> launched;
  template <typename... P, typename... A>
  bool operator()(const char *kernel, const char *layout, void (*fn)(P...),
                  dim3 grid, dim3 block, A... args) {
    launched.push_back(std::string(kernel) + "<" + layout + ">");
    std::string error = simt::launch(grid, block, [&] { fn(args...); });
    EXPECT_EQ(error, "") << launched.back();
    return error.empty();
  }
};

} // namespace pruneopt::gpu::test

#endif // PRUNE_OPT_TEST_UNIT_EMULAUNCH_H
