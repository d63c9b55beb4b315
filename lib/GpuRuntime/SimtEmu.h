//===- SimtEmu.h - CUDA kernels on host threads, for the tests --*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// A small SIMT emulation that lets a host compiler (clang++, g++) compile
// and run the CUDA kernels of Kernels.cuh unchanged, so that they are
// tested where there is no GPU. Include it before Kernels.cuh; nvcc never
// sees it.
//
// What it emulates:
// - a launch (simt::launch) runs the grid one block at a time, z, y, x
//   order; each thread of the block is a host thread (std::thread, from a
//   pool kept between launches; thread t is thread t of every block);
// - threadIdx / blockIdx / blockDim / gridDim (thread-local);
// - __syncthreads(): a barrier of the block's threads; a thread that has
//   returned from the kernel leaves it (as exited threads do on the device);
// - __shared__: a function-local `static`, which is one copy per kernel
//   instantiation -- correct because blocks (and launches) run one at a
//   time, and the barriers order every access between threads;
// - __shfl_{down,up,xor,}_sync and __syncwarp: each warp of 32 threads has
//   slots and a barrier: a lane writes its value, waits for the warp,
//   reads its source lane's slot;
// - warp-wide instructions (mma.sp: SimtMmaSp.h) through warpCollective():
//   every lane publishes its operands (at most kCollectiveBytes), waits
//   for the warp, and computes its own result from all 32 lanes' operands.
//
// Its limits (docs/Design.md, "GPU backend: kernels and emulation"):
// - shuffles must be made by the whole warp (mask 0xffffffff, every lane
//   still running): partial masks are reported as an error of the launch,
//   so the kernels keep every lane in the shuffle; so must warp
//   collectives (as mma.sync.aligned must on the device);
// - blocks are whole warps (a multiple of 32 threads, at most 1024);
// - shared memory is not reset between blocks (on the device it holds
//   garbage): a kernel that reads shared memory it did not write is not
//   caught;
// - no atomics, no dynamic shared memory, no streams, no timing; memory is
//   host memory (device and host pointers are the same thing);
// - host threads are not lock-step warps: a kernel that relies on
//   warp-synchronous execution without __syncwarp / shuffles is not
//   emulated (nor correct on Volta and later); the warps of a block start
//   staggered (staggerMicros) so that a missing __syncthreads shows;
// - a barrier that never completes (a __syncthreads or shuffle that some
//   thread does not reach) aborts the process after a timeout, with a
//   message, rather than hanging.
// The arithmetic is the device's where the kernels use fmaf (one rounding,
// as the device's fma.rn.f32) and the same summation order: the emulated
// results are the device's bit for bit, barring compiler contraction of
// plain a * b + c (the kernels avoid it).
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_LIB_GPURUNTIME_SIMTEMU_H
#define PRUNE_OPT_LIB_GPURUNTIME_SIMTEMU_H

#ifdef __CUDACC__
#error "SimtEmu.h is for host compilers; nvcc compiles Kernels.cuh itself"
#endif
#define PRUNE_SIMT_EMU 1

#include <math.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

/// CUDA's dim3 (uint3 for the indices).
struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x = 1, unsigned y = 1, unsigned z = 1)
      : x(x), y(y), z(z) {}
};
using uint3 = dim3;

// Kernels are defined in headers: inline, as one TU's nvcc build has them.
#define __global__ inline
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
// One block runs at a time (see above).
#define __shared__ static

namespace simt {
constexpr unsigned kWarpSize = 32;
constexpr unsigned kFullMask = 0xffffffffu;

/// A barrier for a set of threads, which a thread may leave for good
/// (drop()). The last thread to arrive may run a function before the
/// others go on.
class Barrier {
public:
  void reset(unsigned n) {
    std::lock_guard<std::mutex> lock(mu);
    expected = n;
    arrived = 0;
  }
  unsigned count() {
    std::lock_guard<std::mutex> lock(mu);
    return expected;
  }
  template <typename F> void wait(const char *what, F onLast) {
    std::unique_lock<std::mutex> lock(mu);
    uint64_t gen = generation;
    if (++arrived >= expected) {
      onLast();
      release(lock);
      return;
    }
    // A kernel's barrier completes in milliseconds even with 1024 host
    // threads on 2 cores; a minute means some thread never comes.
    if (!cv.wait_for(lock, std::chrono::seconds(60),
                     [&] { return generation != gen; })) {
      std::fprintf(stderr,
                   "simt: deadlock: %s waited 60 s for threads that never "
                   "arrived (a barrier or shuffle that not every thread of "
                   "the block or warp reaches)\n",
                   what);
      std::abort();
    }
  }
  void wait(const char *what) {
    wait(what, [] {});
  }
  /// Leaves the barrier; returns whether other threads were waiting in it.
  bool drop() {
    std::unique_lock<std::mutex> lock(mu);
    --expected;
    bool waiting = arrived > 0;
    if (waiting && arrived >= expected)
      release(lock);
    return waiting;
  }

private:
  // Wakes the waiters after unlocking, so that they do not wake into a
  // held mutex.
  void release(std::unique_lock<std::mutex> &lock) {
    arrived = 0;
    ++generation;
    lock.unlock();
    cv.notify_all();
  }
  std::mutex mu;
  std::condition_variable cv;
  unsigned expected = 0, arrived = 0;
  uint64_t generation = 0;
};

/// The shuffle slots and barrier of one warp. Shuffles alternate between
/// two sets of slots, so that one barrier per shuffle suffices: a lane
/// writes set s of shuffle i + 2 only after every lane has arrived at the
/// barrier of shuffle i + 1, i.e. has read set s of shuffle i.
constexpr size_t kCollectiveBytes = 64;
struct Warp {
  Barrier bar;
  uint64_t slots[2][kWarpSize];
  /// warpCollective's operands, alternating like the shuffle slots.
  alignas(16) unsigned char collective[2][kWarpSize][kCollectiveBytes];
  /// warpCollective rounds completed by every lane arriving (not by a lane
  /// returning while the others waited).
  std::atomic<uint64_t> collectives{0};
};

/// What the threads of the running block share.
struct BlockState {
  explicit BlockState(unsigned threads)
      : threads(threads), warps(new Warp[threads / kWarpSize]) {
    resetBarriers();
    end.reset(threads);
  }
  void resetBarriers() {
    sync.reset(threads);
    for (unsigned w = 0; w < threads / kWarpSize; ++w)
      warps[w].bar.reset(kWarpSize);
  }
  void fail(const std::string &message) {
    std::lock_guard<std::mutex> lock(errorMu);
    if (error.empty())
      error = message;
  }
  unsigned threads;
  Barrier sync; // __syncthreads
  Barrier end;  // every thread, between two blocks
  std::unique_ptr<Warp[]> warps;
  std::mutex errorMu;
  std::string error;
};

/// The calling thread's place in the grid.
struct ThreadCtx {
  dim3 thread, block, blockDim, gridDim;
  /// x + y * blockDim.x + z * blockDim.x * blockDim.y
  unsigned linear = 0;
  /// This block's shuffles and warp collectives so far (the slot set).
  unsigned shuffles = 0;
  BlockState *state = nullptr;
};
inline thread_local ThreadCtx tls;

inline BlockState &state() {
  if (!tls.state) {
    std::fprintf(stderr, "simt: a device function ran outside a launch\n");
    std::abort();
  }
  return *tls.state;
}

/// A shuffle of the calling lane's warp: every lane publishes `v`; the
/// lane gets the value of lane src(lane).
template <typename T, typename Src>
T shuffle(const char *name, unsigned mask, T v, Src src) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8,
                "shuffles move values of at most 8 bytes");
  BlockState &st = state();
  unsigned lane = tls.linear % kWarpSize;
  Warp &w = st.warps[tls.linear / kWarpSize];
  if (mask != kFullMask)
    st.fail(std::string(name) + ": mask is not 0xffffffff: the emulation "
                                "shuffles whole warps only");
  else if (w.bar.count() != kWarpSize)
    st.fail(std::string(name) + ": a shuffle after some lanes of the warp "
                                "returned");
  uint64_t *slots = w.slots[tls.shuffles++ % 2];
  std::memcpy(&slots[lane], &v, sizeof(T));
  w.bar.wait(name);
  T r;
  std::memcpy(&r, &slots[src(lane)], sizeof(T));
  return r;
}

/// Reports an error of the running launch (the first one is kept): what a
/// device function did that the device does not define.
inline void fail(const std::string &message) { state().fail(message); }

/// A warp-wide operation: every lane of the calling lane's warp publishes
/// `mine`, waits for the whole warp, then returns fn(all, lane), where
/// all[l] is lane l's value -- each lane computes its own part of the
/// result from every lane's operands, as a warp-wide instruction hands
/// each lane its registers. Like a shuffle: the whole warp, every lane
/// still running, or an error of the launch; one barrier per operation
/// (the operand sets alternate, see Warp).
template <typename T, typename Fn>
auto warpCollective(const char *name, const T &mine, Fn fn) {
  static_assert(std::is_trivially_copyable_v<T> &&
                    sizeof(T) <= kCollectiveBytes,
                "a warp collective moves at most kCollectiveBytes per lane");
  BlockState &st = state();
  unsigned lane = tls.linear % kWarpSize;
  Warp &w = st.warps[tls.linear / kWarpSize];
  if (w.bar.count() != kWarpSize)
    st.fail(std::string(name) + ": some lanes of the warp returned (the "
                                "whole warp must execute it)");
  auto &set = w.collective[tls.shuffles++ % 2];
  std::memcpy(set[lane], &mine, sizeof(T));
  // No round can complete before this lane arrives, so `before` is the
  // count of the rounds before this one.
  uint64_t before = w.collectives.load();
  w.bar.wait(name, [&] { w.collectives.fetch_add(1); });
  // A lane that returned while the others waited released the barrier
  // without publishing its operands: say so before fn reads its stale slot
  // (the first error of a launch is the one kept).
  if (w.collectives.load() == before)
    st.fail(std::string(name) + ": some lanes of the warp returned (the "
                                "whole warp must execute it)");
  T all[kWarpSize];
  for (unsigned l = 0; l < kWarpSize; ++l)
    std::memcpy(&all[l], set[l], sizeof(T));
  return fn(static_cast<const T *>(all), lane);
}

/// Host threads kept for the launches (creating 256 threads per launch
/// cost more than most kernels): thread t runs job(t) for t < n.
class ThreadPool {
public:
  static ThreadPool &get() {
    static ThreadPool *pool = new ThreadPool; // never destroyed: detached
    return *pool;
  }
  void run(unsigned n, const std::function<void(unsigned)> &job) {
    std::unique_lock<std::mutex> lock(mu);
    while (threads < n) {
      std::thread([this, t = threads] { work(t); }).detach();
      ++threads;
    }
    current = &job;
    active = pending = n;
    ++generation;
    lock.unlock();
    start.notify_all();
    lock.lock();
    finished.wait(lock, [&] { return pending == 0; });
    current = nullptr;
  }

private:
  void work(unsigned t) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      start.wait(lock, [&] { return generation != seen && t < active; });
      seen = generation;
      const std::function<void(unsigned)> *job = current;
      lock.unlock();
      (*job)(t);
      lock.lock();
      if (--pending == 0)
        finished.notify_one();
    }
  }
  std::mutex mu;
  std::condition_variable start, finished;
  unsigned threads = 0, active = 0, pending = 0;
  uint64_t generation = 0;
  const std::function<void(unsigned)> *current = nullptr;
};

/// Microseconds per warp by which the warps of a block start apart (0:
/// off). On 2 cores, host threads mostly run in order, and a kernel that
/// reads shared memory another warp writes without a __syncthreads between
/// would often still read the right value; staggered starts, the first
/// warp last in even blocks and first in odd ones, make it read stale data
/// (the previous block's) instead.
inline std::atomic<int> staggerMicros{50};

inline void stagger(unsigned warp, unsigned warps, unsigned block) {
  int us = staggerMicros.load();
  if (us <= 0 || warps < 2)
    return;
  unsigned rank = block % 2 ? warp : warps - 1 - warp;
  if (rank)
    std::this_thread::sleep_for(std::chrono::microseconds(us * rank));
}

/// Runs kernel() as a grid of `grid` blocks of `block` threads; returns ""
/// or what went wrong (a shape the emulation does not run, a partial
/// shuffle). One launch at a time in the process.
inline std::string launch(dim3 grid, dim3 block,
                          const std::function<void()> &kernel) {
  static std::mutex oneLaunch;
  std::lock_guard<std::mutex> guard(oneLaunch);
  unsigned n = block.x * block.y * block.z;
  if (n == 0 || n > 1024 || n % kWarpSize)
    return "a block of " + std::to_string(n) +
           " threads: the emulation runs whole warps, at most 1024 threads";
  if (grid.x == 0 || grid.y == 0 || grid.z == 0)
    return "an empty grid (cudaErrorInvalidConfiguration on the device)";
  BlockState st(n);
  ThreadPool::get().run(n, [&](unsigned t) {
    tls.blockDim = block;
    tls.gridDim = grid;
    tls.linear = t;
    tls.thread =
        dim3(t % block.x, t / block.x % block.y, t / (block.x * block.y));
    tls.state = &st;
    for (unsigned z = 0; z < grid.z; ++z)
      for (unsigned y = 0; y < grid.y; ++y)
        for (unsigned x = 0; x < grid.x; ++x) {
          tls.block = dim3(x, y, z);
          tls.shuffles = 0;
          stagger(t / kWarpSize, n / kWarpSize, x + y + z);
          kernel();
          // Returned: leave the block's barriers (others may still sync).
          st.sync.drop();
          if (st.warps[t / kWarpSize].bar.drop())
            st.fail("a lane returned while its warp was in a shuffle, "
                    "__syncwarp or warp collective");
          st.end.wait("the end of a block", [&] { st.resetBarriers(); });
        }
    tls.state = nullptr;
  });
  return st.error;
}
} // namespace simt

#define threadIdx (::simt::tls.thread)
#define blockIdx (::simt::tls.block)
#define blockDim (::simt::tls.blockDim)
#define gridDim (::simt::tls.gridDim)

inline void __syncthreads() { simt::state().sync.wait("__syncthreads"); }

inline void __syncwarp(unsigned mask = simt::kFullMask) {
  simt::BlockState &st = simt::state();
  if (mask != simt::kFullMask)
    st.fail("__syncwarp: mask is not 0xffffffff");
  st.warps[simt::tls.linear / simt::kWarpSize].bar.wait("__syncwarp");
}

template <typename T>
T __shfl_sync(unsigned mask, T v, int srcLane, int width = 32) {
  return simt::shuffle("__shfl_sync", mask, v, [&](unsigned lane) {
    return lane / width * width + unsigned(srcLane) % width;
  });
}

template <typename T>
T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return simt::shuffle("__shfl_down_sync", mask, v, [&](unsigned lane) {
    return lane % width + delta < unsigned(width) ? lane + delta : lane;
  });
}

template <typename T>
T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
  return simt::shuffle("__shfl_up_sync", mask, v, [&](unsigned lane) {
    return lane % width >= delta ? lane - delta : lane;
  });
}

template <typename T>
T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
  // A lane may read earlier groups of `width` lanes, not later ones.
  return simt::shuffle("__shfl_xor_sync", mask, v, [&](unsigned lane) {
    unsigned src = lane ^ unsigned(laneMask);
    return src / width > lane / width ? lane : src;
  });
}

#endif // PRUNE_OPT_LIB_GPURUNTIME_SIMTEMU_H
