//===- Pool.cpp - Threads and ISA selection of the kernels ----------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The worker pool the kernels split their output rows over, the choice
// between the AVX-512 and the portable kernels, and the prune_kernels_*
// settings of Kernels.h. Design notes of the kernels (numbers in
// docs/Benchmarks.md):
// - batch 1 is memory bound: the kernels read each weight byte once, with
//   the narrowest index that fits (u8/u16 columns, 1-bit masks, 2-bit codes)
//   and software prefetch;
// - batch >= 4 vectorizes along the batch: x is transposed once per call
//   into xT[K][16*nv] (or read transposed in place, e.g. im2col patches) so
//   that every stored weight costs nv FMAs, with no gathers;
// - threads split the output rows, claiming chunks dynamically; layers with
//   little work stay on the calling thread (waking a thread costs more than
//   a small layer).
//
//===----------------------------------------------------------------------===//

#include "KernelsImpl.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

using namespace pruneopt::kernels;
using namespace pruneopt::kernels::impl;

namespace {
/// A fixed set of worker threads. Chunks of a job are claimed dynamically
/// (the caller works too), so a worker that wakes late only takes what is
/// left: a parallel call is never much slower than a serial one.
class Pool {
public:
  static Pool &get() {
    static Pool pool;
    return pool;
  }
  int threads() const { return numThreads.load(); }
  void setThreads(int n) {
    n = std::max(1, std::min(n, 256));
    std::lock_guard<std::mutex> lock(mutex);
    while (static_cast<int>(workers.size()) < n - 1) {
      int id = workers.size() + 1;
      workers.emplace_back([this, id] { workerLoop(id); });
    }
    numThreads = n;
  }

  /// Calls fn(chunk, numChunks) for every chunk, in parallel.
  void run(int numChunks, const std::function<void(int, int)> &fn) {
    if (numChunks <= 1 || threads() == 1) {
      for (int c = 0; c < numChunks; ++c)
        fn(c, numChunks);
      return;
    }
    std::lock_guard<std::mutex> callLock(callMutex);
    uint32_t gen = publish(&fn, numChunks);
    wake.notify_all();
    work(gen, fn, numChunks);
    while (done.load(std::memory_order_acquire) != numChunks)
      pause();
  }

  /// Wakes the workers so that they spin, ready for the next call (none
  /// when calls run on the caller's thread alone: no worker takes part).
  void warmUp() {
    if (threads() == 1)
      return;
    std::lock_guard<std::mutex> callLock(callMutex);
    publish(nullptr, 0);
    wake.notify_all();
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
      ++generation;
      published.store(generation, std::memory_order_release);
    }
    wake.notify_all();
    for (auto &t : workers)
      t.join();
  }

private:
  Pool() {
    int n = std::thread::hardware_concurrency();
    if (const char *env = std::getenv("PRUNE_NUM_THREADS"))
      n = std::atoi(env);
    setThreads(n > 0 ? n : 1);
  }

  uint32_t publish(const std::function<void(int, int)> *fn, int n) {
    std::lock_guard<std::mutex> lock(mutex);
    job = fn;
    chunks = n;
    done.store(0, std::memory_order_relaxed);
    uint32_t gen = ++generation;
    ticket.store(uint64_t(gen) << 32, std::memory_order_release);
    published.store(gen, std::memory_order_release);
    return gen;
  }

  /// Claims and runs chunks of job `gen` until none is left.
  void work(uint32_t gen, const std::function<void(int, int)> &fn, int n) {
    for (;;) {
      uint64_t t = ticket.load(std::memory_order_acquire);
      if (uint32_t(t >> 32) != gen || int(uint32_t(t)) >= n)
        return;
      if (!ticket.compare_exchange_weak(t, t + 1, std::memory_order_acq_rel))
        continue;
      fn(int(uint32_t(t)), n);
      done.fetch_add(1, std::memory_order_release);
    }
  }

  /// Worker `id` (1-based) takes part only while id < threads().
  void workerLoop(int id) {
    uint32_t seen = 0;
    for (;;) {
      // Spin before sleeping: waking a thread through the condition variable
      // took ~100 us on the dev VM, longer than many layers.
      // Only workers that take part spin.
      auto spinUntil = std::chrono::steady_clock::now() +
                       (id < threads() ? kSpin : std::chrono::microseconds(0));
      while (published.load(std::memory_order_acquire) == seen &&
             std::chrono::steady_clock::now() < spinUntil)
        for (int i = 0; i < 64; ++i)
          pause();
      const std::function<void(int, int)> *fn;
      int n;
      uint32_t gen;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation != seen; });
        seen = gen = generation;
        if (stop)
          return;
        fn = job;
        n = chunks;
      }
      // (A job the caller already finished fails the ticket check: its
      // generation is stale or no chunk is left, so fn is never called.)
      if (fn && id < threads())
        work(gen, *fn, n);
    }
  }

  static void pause() {
#if defined(__x86_64__)
    __builtin_ia32_pause();
#endif
  }

  static constexpr std::chrono::microseconds kSpin{2000};
  std::mutex mutex, callMutex;
  std::condition_variable wake;
  std::vector<std::thread> workers;
  std::atomic<int> numThreads{1};
  std::atomic<uint32_t> published{0};
  std::atomic<uint64_t> ticket{0};
  std::atomic<int> done{0};
  const std::function<void(int, int)> *job = nullptr;
  int chunks = 0;
  uint32_t generation = 0;
  bool stop = false;
};

std::atomic<int> useAvx512{-1};
/// The ISA prune_kernels_set_isa allows: 0 portable, 1 AVX2, 2 AVX-512
/// (F, BW, VL, DQ), 3 AVX-512 with VBMI2.
std::atomic<int> maxIsa{3};
/// Multiply-adds below which a layer runs on the calling thread: waking a
/// thread costs ~5 us, about 100k multiply-adds of these kernels.
std::atomic<double> minParallelWork{200000.0};

bool haveAvx512() {
#if PRUNE_X86
  int v = useAvx512.load();
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl");
    useAvx512 = v;
  }
  return v != 0;
#else
  return false;
#endif
}

} // namespace

void pruneopt::kernels::impl::parallelUnits(
    int64_t units, double work,
    const std::function<void(int64_t, int64_t)> &fn) {
  Pool &pool = Pool::get();
  int threads = pool.threads();
  if (threads > 1 && work < minParallelWork.load())
    threads = 1;
  threads = std::min<int64_t>(threads, units);
  if (threads <= 1) {
    fn(0, units);
    return;
  }
  // A few chunks per thread: claimed dynamically, they balance uneven rows.
  int chunks = std::min<int64_t>(units, threads * 4);
  pool.run(chunks, [&](int chunk, int n) {
    int64_t begin = units * chunk / n, end = units * (chunk + 1) / n;
    if (begin < end)
      fn(begin, end);
  });
}

bool pruneopt::kernels::impl::avx512() {
#if PRUNE_X86
  return maxIsa.load() >= 2 && haveAvx512();
#else
  return false;
#endif
}

bool pruneopt::kernels::impl::avx512PermuteExpand() {
#if PRUNE_X86
  static const bool have = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vpopcntdq") && __builtin_cpu_is("amd");
  }();
  return maxIsa.load() >= 3 && have && haveAvx512();
#else
  return false;
#endif
}

bool pruneopt::kernels::impl::avx512Vbmi2() {
#if PRUNE_X86
  static const bool have = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512vbmi2") &&
           __builtin_cpu_supports("bmi2");
  }();
  return maxIsa.load() >= 3 && have && haveAvx512();
#else
  return false;
#endif
}

bool pruneopt::kernels::impl::avx2() {
#if PRUNE_X86
  static const bool have = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
  }();
  return maxIsa.load() >= 1 && have;
#else
  return false;
#endif
}

extern "C" {
void prune_kernels_set_num_threads(int32_t n) { Pool::get().setThreads(n); }
int32_t prune_kernels_get_num_threads() { return Pool::get().threads(); }
void prune_kernels_set_isa(int32_t isa) {
  maxIsa = isa == 0 ? 0 : isa == 2 ? 1 : isa == 3 ? 2 : 3;
}
int32_t prune_kernels_has_avx512() { return avx512(); }
int32_t prune_kernels_has_avx2() { return avx2(); }
void prune_kernels_warm_up() { Pool::get().warmUp(); }
void prune_kernels_set_parallel_threshold(double work) {
  minParallelWork = work;
}
} // extern "C"
