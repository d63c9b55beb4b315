//===- Kernels.cpp - Micro-kernels for pruned fully connected layers ------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// See Kernels.h for the formats. Design notes (numbers in docs/Benchmarks.md):
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

#include "prune-opt/Runtime/Kernels.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <thread>

#if defined(__x86_64__)
#include <immintrin.h>
#define PRUNE_X86 1
#else
#define PRUNE_X86 0
#endif

using namespace pruneopt::kernels;

//===----------------------------------------------------------------------===//
// Threads
//===----------------------------------------------------------------------===//

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

  /// Wakes the workers so that they spin, ready for the next call.
  void warmUp() {
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
      auto spinUntil = std::chrono::steady_clock::now() + kSpin;
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

/// Splits [0, units) over the pool when `work` (multiply-adds) is large
/// enough to pay for waking threads; fn(begin, end) gets unit ranges.
void parallelUnits(int64_t units, double work,
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

inline float finish(float v, const float *y, bool acc) {
  return acc ? *y + v : v;
}
} // namespace

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

namespace {
struct FormatRow {
  const char *name;
  bool selectable;
};
constexpr FormatRow kFormatRows[] = {
#define PRUNE_FORMAT(Enum, Name, Selectable, Description) {Name, Selectable},
#include "prune-opt/Runtime/Formats.def"
};
} // namespace

const char *pruneopt::kernels::formatName(Format format) {
  return kFormatRows[static_cast<int>(format)].name;
}

bool pruneopt::kernels::parseFormat(const char *name, Format &format) {
  for (int i = 0; i < kNumFormats; ++i)
    if (std::strcmp(kFormatRows[i].name, name) == 0) {
      format = static_cast<Format>(i);
      return true;
    }
  return false;
}

bool pruneopt::kernels::isSelectable(Format format) {
  return kFormatRows[static_cast<int>(format)].selectable;
}

int64_t PackedWeight::bytes() const {
  return nnz * 4 + int64_t(rowPtr.size()) * 4 + int64_t(col8.size()) +
         int64_t(col16.size()) * 2 + int64_t(col32.size()) * 4 +
         int64_t(masks.size()) * 2 + int64_t(codes.size());
}

/// Index of W[o, k] in the dense panel layout (see packDense).
static inline int64_t panelOffset(int64_t o, int64_t k, int64_t rows,
                                  int64_t cols) {
  int64_t panel = o / 16, width = panel == rows / 16 ? rows % 16 : 16;
  return panel * cols * 16 + k * width + o % 16;
}

static PackedWeight startPack(Format format, int64_t rows, int64_t cols) {
  PackedWeight p;
  p.format = format;
  p.rows = rows;
  p.cols = cols;
  return p;
}

PackedWeight pruneopt::kernels::packDense(const float *w, int64_t rows,
                                          int64_t cols) {
  PackedWeight p = startPack(Format::Dense, rows, cols);
  // Full panels [k][16], then the last rows % 16 outputs as [k][width]
  // (no padding: the kernel loads that panel masked).
  p.values.resize(rows * cols);
  for (int64_t o = 0; o < rows; ++o)
    for (int64_t k = 0; k < cols; ++k)
      p.values[panelOffset(o, k, rows, cols)] = w[o * cols + k];
  p.nnz = rows * cols;
  return p;
}

static void setColumns(PackedWeight &p, const std::vector<int32_t> &cols,
                       int64_t maxCol) {
  p.colBits = maxCol <= 256 ? 8 : maxCol <= 65536 ? 16 : 32;
  if (p.colBits == 8)
    p.col8.assign(cols.begin(), cols.end());
  else if (p.colBits == 32)
    p.col32 = cols;
  else
    p.col16.assign(cols.begin(), cols.end());
}

/// The nonzeros of W row by row into p.values / p.rowPtr; onNonzero(o, k)
/// for each.
template <typename F>
static void collectRows(PackedWeight &p, const float *w, F onNonzero) {
  p.rowPtr.push_back(0);
  for (int64_t o = 0; o < p.rows; ++o) {
    for (int64_t k = 0; k < p.cols; ++k)
      if (w[o * p.cols + k] != 0.0f) {
        onNonzero(o, k);
        p.values.push_back(w[o * p.cols + k]);
      }
    p.rowPtr.push_back(p.values.size());
  }
  p.nnz = p.values.size();
}

PackedWeight pruneopt::kernels::packCSR(const float *w, int64_t rows,
                                        int64_t cols) {
  PackedWeight p = startPack(Format::CSR, rows, cols);
  std::vector<int32_t> col;
  collectRows(p, w, [&](int64_t, int64_t k) { col.push_back(k); });
  setColumns(p, col, cols);
  return p;
}

PackedWeight pruneopt::kernels::packTiledCSR(const float *w, int64_t rows,
                                             int64_t cols) {
  PackedWeight p = startPack(Format::TiledCSR, rows, cols);
  int64_t blocks = (rows + kTileRows - 1) / kTileRows;
  int64_t tiles = (cols + kTileCols - 1) / kTileCols;
  std::vector<int32_t> entryStart, rowStart, runStart;
  std::vector<std::pair<int, int>> visits; // (entries, row in block)
  for (int64_t rb = 0; rb < blocks; ++rb) {
    entryStart.push_back(p.values.size());
    rowStart.push_back(p.codes.size());
    int64_t o0 = rb * kTileRows, o1 = std::min(rows, o0 + kTileRows);
    for (int64_t t = 0; t < tiles; ++t) {
      runStart.push_back(p.masks.size() / 2);
      int64_t k0 = t * kTileCols, k1 = std::min(cols, k0 + kTileCols);
      visits.clear();
      for (int64_t o = o0; o < o1; ++o) {
        int count = 0;
        for (int64_t k = k0; k < k1; ++k)
          count += w[o * cols + k] != 0.0f;
        if (count)
          visits.push_back({count, int(o - o0)});
      }
      // Longest first; rows in order within a run.
      std::sort(visits.begin(), visits.end(), [](auto &l, auto &r) {
        return l.first != r.first ? l.first > r.first : l.second < r.second;
      });
      for (size_t v = 0; v < visits.size(); ++v) {
        if (v == 0 || visits[v].first != visits[v - 1].first) {
          p.masks.push_back(visits[v].first);
          p.masks.push_back(0);
        }
        ++p.masks.back();
        int64_t o = o0 + visits[v].second;
        p.codes.push_back(visits[v].second);
        for (int64_t k = k0; k < k1; ++k)
          if (w[o * cols + k] != 0.0f) {
            p.col8.push_back(k - k0);
            p.values.push_back(w[o * cols + k]);
          }
      }
    }
  }
  entryStart.push_back(p.values.size());
  rowStart.push_back(p.codes.size());
  runStart.push_back(p.masks.size() / 2);
  p.rowPtr = entryStart;
  p.rowPtr.insert(p.rowPtr.end(), rowStart.begin(), rowStart.end());
  p.rowPtr.insert(p.rowPtr.end(), runStart.begin(), runStart.end());
  p.colBits = 8;
  p.nnz = p.values.size();
  return p;
}

PackedWeight pruneopt::kernels::packBitmask(const float *w, int64_t rows,
                                            int64_t cols) {
  PackedWeight p = startPack(Format::Bitmask, rows, cols);
  int64_t chunks = (cols + 15) / 16;
  p.masks.assign(rows * chunks, 0);
  collectRows(p, w, [&](int64_t o, int64_t k) {
    p.masks[o * chunks + k / 16] |= uint16_t(1u << (k % 16));
  });
  // The kernel loads 16 values per mask and expands the selected ones: the
  // last loads may run up to 16 values past the end.
  p.values.resize(p.nnz + 16, 0.0f);
  return p;
}

bool pruneopt::kernels::packBSR(const float *w, int64_t rows, int64_t cols,
                                int64_t r, int64_t c, PackedWeight &p) {
  if (r <= 0 || c <= 0 || rows % r || cols % c)
    return false;
  p = startPack(Format::BSR, rows, cols);
  p.blockRows = r;
  p.blockCols = c;
  p.rowPtr.push_back(0);
  std::vector<int32_t> col;
  for (int64_t br = 0; br < rows / r; ++br) {
    for (int64_t bc = 0; bc < cols / c; ++bc) {
      bool any = false;
      for (int64_t i = 0; i < r && !any; ++i)
        for (int64_t j = 0; j < c && !any; ++j)
          any = w[(br * r + i) * cols + bc * c + j] != 0.0f;
      if (!any)
        continue;
      col.push_back(bc);
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < c; ++j)
          p.values.push_back(w[(br * r + i) * cols + bc * c + j]);
    }
    p.rowPtr.push_back(col.size());
  }
  p.nnz = p.values.size();
  setColumns(p, col, cols / c);
  return true;
}

bool pruneopt::kernels::packNM(const float *w, int64_t rows, int64_t cols,
                               int64_t n, int64_t m, PackedWeight &p) {
  if (n <= 0 || m <= n || m > 256 || cols % m)
    return false;
  p = startPack(Format::NM, rows, cols);
  p.n = n;
  p.m = m;
  bool is24 = n == 2 && m == 4;
  int64_t perRow = cols / m * n;
  // 2:4 codes come in u32 words of 16 values: pad each row to 16 values.
  int64_t stride = is24 ? (perRow + 15) / 16 * 16 : perRow;
  p.values.assign(rows * stride, 0.0f);
  std::vector<uint8_t> offsets(rows * stride, 0);
  for (int64_t o = 0; o < rows; ++o)
    for (int64_t g = 0; g < cols / m; ++g) {
      int64_t kept = 0;
      const float *group = w + o * cols + g * m;
      for (int64_t j = 0; j < m; ++j)
        if (group[j] != 0.0f) {
          if (kept == n)
            return false;
          p.values[o * stride + g * n + kept] = group[j];
          offsets[o * stride + g * n + kept++] = j;
        }
      // Pad with explicit zeros at unused offsets (kept sorted).
      for (int64_t j = 0; kept < n && j < m; ++j)
        if (group[j] == 0.0f) {
          bool used = false;
          for (int64_t q = 0; q < kept; ++q)
            used |= offsets[o * stride + g * n + q] == j;
          if (!used) {
            offsets[o * stride + g * n + kept] = j;
            p.values[o * stride + g * n + kept++] = 0.0f;
          }
        }
    }
  p.nnz = rows * perRow;
  if (!is24) {
    p.codes = std::move(offsets);
    return true;
  }
  p.codes.assign(rows * stride / 16 * 4, 0);
  for (int64_t i = 0; i < rows * stride; ++i)
    p.codes[i / 16 * 4 + (i % 16) / 4] |= uint8_t(offsets[i] << (2 * (i % 4)));
  return true;
}

//===----------------------------------------------------------------------===//
// Portable kernels
//===----------------------------------------------------------------------===//

namespace {
/// y(b, o) = y[b * ys + o * yo] and x(b, k) = x[b * xs + k * xk]: the
/// kernels read transposed inputs and write transposed outputs in place
/// (convolutions lowered by im2col produce both).
struct Args {
  float *y;
  int64_t ys;
  const float *x;
  int64_t xs;
  int64_t batch, rows, cols;
  bool acc;
  int64_t yo = 1, xk = 1;
};

inline int64_t colAt(const void *col, int bits, int64_t i) {
  if (bits == 8)
    return static_cast<const uint8_t *>(col)[i];
  return bits == 32 ? static_cast<const int32_t *>(col)[i]
                    : static_cast<const uint16_t *>(col)[i];
}

void denseRef(const Args &a, const float *panels, int64_t o0, int64_t o1) {
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t o = o0; o < o1; ++o) {
      const float *x = a.x + b * a.xs;
      float s = 0;
      for (int64_t k = 0; k < a.cols; ++k)
        s += panels[panelOffset(o, k, a.rows, a.cols)] * x[k * a.xk];
      float *y = a.y + b * a.ys + o * a.yo;
      *y = finish(s, y, a.acc);
    }
}

void csrRef(const Args &a, const int32_t *rowPtr, const void *col, int colBits,
            const float *values, int64_t o0, int64_t o1) {
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t o = o0; o < o1; ++o) {
      const float *x = a.x + b * a.xs;
      float s = 0;
      for (int64_t i = rowPtr[o]; i < rowPtr[o + 1]; ++i)
        s += values[i] * x[colAt(col, colBits, i) * a.xk];
      float *y = a.y + b * a.ys + o * a.yo;
      *y = finish(s, y, a.acc);
    }
}

/// Walks the csr-tiled arrays: fn(o, k, value) for each entry of block rows
/// [rb0, rb1).
template <typename Fn>
void forTiledEntries(int64_t rows, int64_t cols, const int32_t *meta,
                     const uint16_t *runs, const uint8_t *rowIds,
                     const uint8_t *col, const float *values, int64_t rb0,
                     int64_t rb1, Fn fn) {
  int64_t blocks = (rows + kTileRows - 1) / kTileRows;
  int64_t tiles = (cols + kTileCols - 1) / kTileCols;
  const int32_t *runStart = meta + 2 * (blocks + 1);
  for (int64_t rb = rb0; rb < rb1; ++rb) {
    int64_t i = meta[rb], v = meta[blocks + 1 + rb];
    for (int64_t t = 0; t < tiles; ++t)
      for (int64_t q = runStart[rb * tiles + t];
           q < runStart[rb * tiles + t + 1]; ++q)
        for (int64_t n = 0; n < runs[2 * q + 1]; ++n, ++v)
          for (int64_t e = i + runs[2 * q]; i < e; ++i)
            fn(rb * kTileRows + rowIds[v], t * kTileCols + col[i], values[i]);
  }
}

void tiledRef(const Args &a, const int32_t *meta, const uint16_t *runs,
              const uint8_t *rowIds, const uint8_t *col, const float *values,
              int64_t rb0, int64_t rb1) {
  int64_t o0 = rb0 * kTileRows, o1 = std::min(a.rows, rb1 * kTileRows);
  std::vector<float> sum(o1 - o0);
  for (int64_t b = 0; b < a.batch; ++b) {
    std::fill(sum.begin(), sum.end(), 0.0f);
    const float *x = a.x + b * a.xs;
    forTiledEntries(
        a.rows, a.cols, meta, runs, rowIds, col, values, rb0, rb1,
        [&](int64_t o, int64_t k, float v) { sum[o - o0] += v * x[k * a.xk]; });
    for (int64_t o = o0; o < o1; ++o) {
      float *y = a.y + b * a.ys + o * a.yo;
      *y = finish(sum[o - o0], y, a.acc);
    }
  }
}

void bitmaskRef(const Args &a, const int32_t *rowPtr, const uint16_t *masks,
                const float *values, int64_t o0, int64_t o1) {
  int64_t chunks = (a.cols + 15) / 16;
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t o = o0; o < o1; ++o) {
      const float *x = a.x + b * a.xs;
      const float *v = values + rowPtr[o];
      float s = 0;
      for (int64_t c = 0; c < chunks; ++c)
        for (uint32_t mk = masks[o * chunks + c]; mk; mk &= mk - 1)
          s += *v++ * x[(16 * c + __builtin_ctz(mk)) * a.xk];
      float *y = a.y + b * a.ys + o * a.yo;
      *y = finish(s, y, a.acc);
    }
}

void bsrRef(const Args &a, int64_t r, int64_t c, const int32_t *rowPtr,
            const void *col, int colBits, const float *values, int64_t br0,
            int64_t br1) {
  std::vector<float> s(r);
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t br = br0; br < br1; ++br) {
      const float *x = a.x + b * a.xs;
      std::fill(s.begin(), s.end(), 0.0f);
      for (int64_t i = rowPtr[br]; i < rowPtr[br + 1]; ++i) {
        const float *xb = x + colAt(col, colBits, i) * c * a.xk;
        const float *v = values + i * r * c;
        for (int64_t ii = 0; ii < r; ++ii)
          for (int64_t j = 0; j < c; ++j)
            s[ii] += v[ii * c + j] * xb[j * a.xk];
      }
      for (int64_t ii = 0; ii < r; ++ii) {
        float *y = a.y + b * a.ys + (br * r + ii) * a.yo;
        *y = finish(s[ii], y, a.acc);
      }
    }
}

/// In-group offset of stored value `i` of a row (see packNM).
inline int64_t nmOffset(const uint8_t *codes, bool is24, int64_t i) {
  if (!is24)
    return codes[i];
  return (codes[i / 16 * 4 + (i % 16) / 4] >> (2 * (i % 4))) & 3;
}

inline int64_t nmStride(int64_t cols, int64_t n, int64_t m) {
  int64_t perRow = cols / m * n;
  return n == 2 && m == 4 ? (perRow + 15) / 16 * 16 : perRow;
}

void nmRef(const Args &a, int64_t n, int64_t m, const uint8_t *codes,
           const float *values, int64_t o0, int64_t o1) {
  bool is24 = n == 2 && m == 4;
  int64_t stride = nmStride(a.cols, n, m), perRow = a.cols / m * n;
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t o = o0; o < o1; ++o) {
      const float *x = a.x + b * a.xs;
      float s = 0;
      for (int64_t i = 0; i < perRow; ++i)
        s += values[o * stride + i] *
             x[((i / n) * m + nmOffset(codes, is24, o * stride + i)) * a.xk];
      float *y = a.y + b * a.ys + o * a.yo;
      *y = finish(s, y, a.acc);
    }
}
} // namespace

//===----------------------------------------------------------------------===//
// AVX-512 kernels
//===----------------------------------------------------------------------===//

#if PRUNE_X86
#define AVX512                                                                 \
  __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,fma,popcnt")))

namespace {
/// Software prefetch distance: the hardware prefetchers of the VMs measured
/// here do not keep up with one stream per row (2:4 went from 3.7 to 2.7 ms
/// on 4096x4096 with it).
constexpr int64_t kPrefetchFloats = 512;

AVX512 inline __mmask16 tailMask(int64_t n) {
  return n >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << n) - 1);
}

/// Stores 16 outputs y[o..o+16) (masked at the end of the row).
AVX512 inline void storeOut(float *y, __m512 v, __mmask16 mask, bool acc) {
  if (acc)
    v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, y));
  _mm512_mask_storeu_ps(y, mask, v);
}

// Dense: R batch rows x P panels of 16 outputs, the whole K per call.
// Tail: the one partial last panel (P = 1), stored [k][rows % 16].
template <int R, int P, bool Tail = false>
AVX512 void denseBlock(const Args &a, const float *panels, int64_t p0,
                       int64_t b0) {
  const int64_t width = Tail ? a.rows % 16 : 16;
  const __mmask16 lanes = tailMask(width);
  __m512 c[R][P];
  for (int r = 0; r < R; ++r)
    for (int p = 0; p < P; ++p)
      c[r][p] = _mm512_setzero_ps();
  const float *w = panels + p0 * a.cols * 16;
  const float *x[R];
  for (int r = 0; r < R; ++r)
    x[r] = a.x + (b0 + r) * a.xs;
  for (int64_t k = 0; k < a.cols; ++k) {
    __m512 wv[P];
    for (int p = 0; p < P; ++p) {
      const float *wk = w + p * a.cols * 16 + k * width;
      _mm_prefetch(reinterpret_cast<const char *>(wk + kPrefetchFloats),
                   _MM_HINT_T0);
      wv[p] = Tail ? _mm512_maskz_loadu_ps(lanes, wk) : _mm512_loadu_ps(wk);
    }
    for (int r = 0; r < R; ++r) {
      __m512 xb = _mm512_set1_ps(x[r][k * a.xk]);
      for (int p = 0; p < P; ++p)
        c[r][p] = _mm512_fmadd_ps(wv[p], xb, c[r][p]);
    }
  }
  for (int p = 0; p < P; ++p) {
    int64_t o = (p0 + p) * 16;
    __mmask16 mask = tailMask(a.rows - o);
    for (int r = 0; r < R; ++r) {
      float *y = a.y + (b0 + r) * a.ys + o * a.yo;
      if (a.yo == 1) {
        storeOut(y, c[r][p], mask, a.acc);
        continue;
      }
      alignas(64) float tmp[16];
      _mm512_store_ps(tmp, c[r][p]);
      for (int64_t j = 0; j < std::min<int64_t>(16, a.rows - o); ++j)
        y[j * a.yo] = finish(tmp[j], y + j * a.yo, a.acc);
    }
  }
}

template <int P, bool Tail = false>
AVX512 void denseRowsP(const Args &a, const float *panels, int64_t p0,
                       int64_t b0, int64_t r) {
  switch (r) {
  case 1:
    return denseBlock<1, P, Tail>(a, panels, p0, b0);
  case 2:
    return denseBlock<2, P, Tail>(a, panels, p0, b0);
  case 3:
    return denseBlock<3, P, Tail>(a, panels, p0, b0);
  case 4:
    return denseBlock<4, P, Tail>(a, panels, p0, b0);
  case 5:
    return denseBlock<5, P, Tail>(a, panels, p0, b0);
  case 6:
    return denseBlock<6, P, Tail>(a, panels, p0, b0);
  case 7:
    return denseBlock<7, P, Tail>(a, panels, p0, b0);
  default:
    return denseBlock<8, P, Tail>(a, panels, p0, b0);
  }
}

AVX512 void denseAvx(const Args &a, const float *panels, int64_t p0,
                     int64_t p1) {
  // Panel groups outside, batch chunks inside: a group's panels stay in L2
  // while every batch chunk reads them. The partial last panel (if any)
  // goes alone, with masked loads.
  const int64_t full = a.rows / 16;
  int64_t group = a.batch <= 2 ? 4 : 2;
  for (int64_t p = p0; p < std::min(p1, full); p += group) {
    int64_t np = std::min(group, std::min(p1, full) - p);
    for (int64_t b0 = 0; b0 < a.batch; b0 += 8) {
      int64_t r = std::min<int64_t>(8, a.batch - b0);
      if (np == 4 && r <= 2) {
        if (r == 1)
          denseBlock<1, 4>(a, panels, p, b0);
        else
          denseBlock<2, 4>(a, panels, p, b0);
      } else if (np == 2) {
        denseRowsP<2>(a, panels, p, b0, r);
      } else {
        for (int64_t q = p; q < p + np; ++q)
          denseRowsP<1>(a, panels, q, b0, r);
      }
    }
  }
  if (p1 > full && a.rows % 16)
    for (int64_t b0 = 0; b0 < a.batch; b0 += 8)
      denseRowsP<1, true>(a, panels, full, b0,
                          std::min<int64_t>(8, a.batch - b0));
}

template <int Bits> AVX512 inline __m512i loadCols(const void *col, int64_t i) {
  if constexpr (Bits == 32)
    return _mm512_loadu_si512(static_cast<const int32_t *>(col) + i);
  else if constexpr (Bits == 8)
    return _mm512_cvtepu8_epi32(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(
            static_cast<const uint8_t *>(col) + i)));
  else
    return _mm512_cvtepu16_epi32(
        _mm256_loadu_si256(reinterpret_cast<const __m256i *>(
            static_cast<const uint16_t *>(col) + i)));
}

template <int Bits>
AVX512 inline __m512i loadColsMasked(const void *col, int64_t i, __mmask16 m) {
  if constexpr (Bits == 32)
    return _mm512_maskz_loadu_epi32(m, static_cast<const int32_t *>(col) + i);
  else if constexpr (Bits == 8)
    return _mm512_cvtepu8_epi32(
        _mm_maskz_loadu_epi8(m, static_cast<const uint8_t *>(col) + i));
  else
    return _mm512_cvtepu16_epi32(
        _mm256_maskz_loadu_epi16(m, static_cast<const uint16_t *>(col) + i));
}

// CSR, one batch row: 16 nonzeros per gather.
template <int Bits>
AVX512 void csrRows1(const Args &a, int64_t b, const int32_t *rowPtr,
                     const void *col, const float *values, int64_t o0,
                     int64_t o1) {
  const float *x = a.x + b * a.xs;
  float *yRow = a.y + b * a.ys;
  for (int64_t o = o0; o < o1; ++o) {
    int64_t i = rowPtr[o], e = rowPtr[o + 1];
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    for (; i + 32 <= e; i += 32) {
      _mm_prefetch(reinterpret_cast<const char *>(values + i + kPrefetchFloats),
                   _MM_HINT_T0);
      _mm_prefetch(
          reinterpret_cast<const char *>(values + i + kPrefetchFloats + 16),
          _MM_HINT_T0);
      _mm_prefetch(static_cast<const char *>(col) +
                       (i + kPrefetchFloats) * (Bits / 8),
                   _MM_HINT_T0);
      __m512 g0 = _mm512_i32gather_ps(loadCols<Bits>(col, i), x, 4);
      __m512 g1 = _mm512_i32gather_ps(loadCols<Bits>(col, i + 16), x, 4);
      acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(values + i), g0, acc0);
      acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(values + i + 16), g1, acc1);
    }
    for (; i < e; i += 16) {
      __mmask16 m = tailMask(e - i);
      __m512 g = _mm512_mask_i32gather_ps(
          _mm512_setzero_ps(), m, loadColsMasked<Bits>(col, i, m), x, 4);
      acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, values + i), g, acc0);
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
    yRow[o * a.yo] = finish(s, yRow + o * a.yo, a.acc);
  }
}

/// Transposes the 16x16 block whose rows are r[0..16) in place (r[j]
/// becomes column j): unpack pairs of rows, then 4x4 blocks within each
/// 128-bit lane, then the lanes.
AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  // r[4q + c], lane l: column 4l + c of rows 4q .. 4q+3.
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0x88);
    t[4 + i] = _mm512_shuffle_f32x4(r[i], r[4 + i], 0xdd);
    t[8 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0x88);
    t[12 + i] = _mm512_shuffle_f32x4(r[8 + i], r[12 + i], 0xdd);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
    r[4 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0x88);
    r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
    r[12 + i] = _mm512_shuffle_f32x4(t[4 + i], t[12 + i], 0xdd);
  }
}

/// x[b0 .. b0+nb) transposed into xT[K][16*nv] (zero padded), 64-byte
/// aligned: unaligned rows split every load across two cache lines, which
/// made the batched kernels 2x slower.
AVX512 float *transposeX(const Args &a, int64_t b0, int64_t nb, int nv,
                         std::vector<float> &buf) {
  int64_t w = 16 * nv;
  buf.resize(a.cols * w + 16);
  float *xT = reinterpret_cast<float *>(
      (reinterpret_cast<uintptr_t>(buf.data()) + 63) & ~uintptr_t(63));
  if (a.xk != 1) {
    std::fill(xT, xT + a.cols * w, 0.0f);
    for (int64_t b = 0; b < nb; ++b) {
      const float *x = a.x + (b0 + b) * a.xs;
      for (int64_t k = 0; k < a.cols; ++k)
        xT[k * w + b] = x[k * a.xk];
    }
    return xT;
  }
  // 16x16 blocks transposed in registers: reads whole lines of x and writes
  // whole lines of xT. The scalar loop (one 4-byte store per line, 32
  // passes over xT) cost up to 1 ms at 4096 x 32 with x not in cache, a
  // third of the batched CSR kernel's time.
  for (int64_t k0 = 0; k0 < a.cols; k0 += 16) {
    int64_t kn = std::min<int64_t>(16, a.cols - k0);
    __mmask16 kMask = tailMask(kn);
    for (int j = 0; j < nv; ++j) {
      __m512 r[16];
      for (int i = 0; i < 16; ++i) {
        int64_t b = 16 * j + i;
        r[i] = b < nb ? _mm512_maskz_loadu_ps(kMask, a.x + (b0 + b) * a.xs + k0)
                      : _mm512_setzero_ps();
      }
      transpose16(r);
      for (int64_t i = 0; i < kn; ++i)
        _mm512_store_ps(xT + (k0 + i) * w + 16 * j, r[i]);
    }
  }
  return xT;
}

/// x arrives transposed, xT[K][batch] with stride xk (e.g. im2col patches):
/// the batched kernels read it in place.
inline bool xGiven(const Args &a) { return a.xs == 1 && a.xk >= a.batch; }

AVX512 inline __m512 loadLanes(const float *p, __mmask16 lanes, bool masked) {
  return masked ? _mm512_maskz_loadu_ps(lanes, p) : _mm512_loadu_ps(p);
}

/// Collects the columns the batched kernels produce (one output row o, nb
/// batch rows) and writes them to y 16 rows at a time. Writing each column
/// straight to y touches nb lines `ys` floats apart: with ys a multiple of
/// 1024 they all map to one L1 set, and above 12 batch rows every store
/// missed (batch 16 ran 2x slower than batch 12).
template <int NV> struct ColumnTile {
  const Args &a;
  int64_t b0, nb;
  int64_t o0 = 0;
  int n = 0;
  alignas(64) float buf[16][16 * NV];

  ColumnTile(const Args &a, int64_t b0, int64_t nb) : a(a), b0(b0), nb(nb) {}
  /// True when x is the caller's transposed input (no padding) and this
  /// chunk has fewer than 16*NV rows: loads must not run past them.
  bool partialGiven() const { return xGiven(a) && nb < 16 * NV; }
  AVX512 void put(int64_t o, const __m512 *acc) {
    if (a.ys == 1) { // transposed output: the column is contiguous
      float *y = a.y + b0 + o * a.yo;
      for (int j = 0; j < NV; ++j)
        storeOut(y + 16 * j, acc[j],
                 tailMask(std::max<int64_t>(nb - 16 * j, 0)), a.acc);
      return;
    }
    if (n == 16 || (n > 0 && o != o0 + n))
      flush();
    if (n == 0)
      o0 = o;
    for (int j = 0; j < NV; ++j)
      _mm512_store_ps(buf[n] + 16 * j, acc[j]);
    ++n;
  }
  AVX512 void flush() {
    for (int64_t b = 0; b < nb; ++b) {
      float *y = a.y + (b0 + b) * a.ys + o0 * a.yo;
      for (int r = 0; r < n; ++r)
        y[r * a.yo] = finish(buf[r][b], y + r * a.yo, a.acc);
    }
    n = 0;
  }
};

/// Batched row kernel shared by csr and nm: `colOf(i)` gives the input
/// column of stored entry i; entries [i, e) of row o.
/// Given: xT is the caller's (stride ldx, maybe partial: masked loads);
/// otherwise our padded copy (stride 16*NV, a shift; plain loads).
template <int NV, bool Given, typename ColOf>
AVX512 inline void
batchedRow(ColumnTile<NV> &tile, const float *xT, int64_t ldx, int64_t nb,
           int64_t o, int64_t i, int64_t e, const float *values, ColOf colOf,
           const char *colBytes = nullptr, int colWidth = 0) {
  // 8 independent FMA chains cover the FMA latency.
  constexpr int U = NV == 1 ? 8 : 4;
  __mmask16 lanes[NV];
  for (int j = 0; j < NV; ++j)
    lanes[j] = tailMask(std::max<int64_t>(nb - 16 * j, 0));
  // Masked loads cost ~1.5x here; only a partial chunk of a caller's xT
  // (not our padded copy) needs them.
  const bool masked = Given && tile.partialGiven();
  if constexpr (!Given)
    ldx = 16 * NV;
  __m512 acc[U][NV];
  for (int u = 0; u < U; ++u)
    for (int j = 0; j < NV; ++j)
      acc[u][j] = _mm512_setzero_ps();
  for (; i + U <= e; i += U) {
    if ((i & 15) < U) { // once per cache line of values
      _mm_prefetch(reinterpret_cast<const char *>(values + i + kPrefetchFloats),
                   _MM_HINT_T0);
      if (colBytes)
        _mm_prefetch(colBytes + (i + kPrefetchFloats) * colWidth, _MM_HINT_T0);
    }
    for (int u = 0; u < U; ++u) {
      __m512 v = _mm512_set1_ps(values[i + u]);
      const float *xr = xT + colOf(i + u) * ldx;
      for (int j = 0; j < NV; ++j)
        acc[u][j] = _mm512_fmadd_ps(v, loadLanes(xr + 16 * j, lanes[j], masked),
                                    acc[u][j]);
    }
  }
  for (; i < e; ++i) {
    __m512 v = _mm512_set1_ps(values[i]);
    const float *xr = xT + colOf(i) * ldx;
    for (int j = 0; j < NV; ++j)
      acc[0][j] = _mm512_fmadd_ps(v, loadLanes(xr + 16 * j, lanes[j], masked),
                                  acc[0][j]);
  }
  for (int u = 1; u < U; ++u)
    for (int j = 0; j < NV; ++j)
      acc[0][j] = _mm512_add_ps(acc[0][j], acc[u][j]);
  tile.put(o, acc[0]);
}

/// acc += value * xT[c] (NV vectors).
template <int NV>
AVX512 inline void tiledStep(__m512 *acc, const float *xp, int64_t ldx,
                             unsigned c, float value, const __mmask16 *lanes,
                             bool masked) {
  __m512 v = _mm512_set1_ps(value);
  // A scalar load per index: clang otherwise loads 4 at once and extracts
  // them with vpextrd, which competes with the FMAs for ports 0 and 5 (1.9
  // vs 2.5 cycles per entry in L1).
  asm("" : "+r"(c));
  const float *xr = xp + c * ldx;
  for (int j = 0; j < NV; ++j)
    acc[j] =
        _mm512_fmadd_ps(v, loadLanes(xr + 16 * j, lanes[j], masked), acc[j]);
}

/// csr-tiled, one block row [o0, o0 + 256): each tile's runs accumulate
/// into `sum` ([256][16*NV], in L1), which then goes to y through `tile`.
template <int NV, bool Given>
AVX512 void tiledBlockRow(ColumnTile<NV> &tile, const float *xT, int64_t ldx,
                          int64_t nb, int64_t rb, int64_t tiles,
                          const int32_t *runStart, const uint16_t *runs,
                          const uint8_t *rowIds, const uint8_t *col,
                          const float *values, float *sum) {
  constexpr int U = 4;
  constexpr int W = 16 * NV;
  __mmask16 lanes[NV];
  for (int j = 0; j < NV; ++j)
    lanes[j] = tailMask(std::max<int64_t>(nb - 16 * j, 0));
  const bool masked = Given && tile.partialGiven();
  if constexpr (!Given)
    ldx = W;
  int64_t o0 = rb * kTileRows;
  int64_t n = std::min<int64_t>(kTileRows, tile.a.rows - o0);
  std::fill(sum, sum + n * W, 0.0f);
  for (int64_t t = 0; t < tiles; ++t) {
    const float *xp = xT + t * kTileCols * ldx;
    for (int64_t q = runStart[rb * tiles + t]; q < runStart[rb * tiles + t + 1];
         ++q) {
      const int count = runs[2 * q];
      for (int r = runs[2 * q + 1]; r > 0; --r) {
        _mm_prefetch(reinterpret_cast<const char *>(values + 256), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(values + 272), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char *>(col + 256), _MM_HINT_T0);
        __m512 acc[U][NV];
        for (int u = 0; u < U; ++u)
          for (int j = 0; j < NV; ++j)
            acc[u][j] = _mm512_setzero_ps();
        int i = 0;
        for (; i + U <= count; i += U)
          for (int u = 0; u < U; ++u)
            tiledStep<NV>(acc[u], xp, ldx, col[i + u], values[i + u], lanes,
                          masked);
        for (; i < count; ++i)
          tiledStep<NV>(acc[0], xp, ldx, col[i], values[i], lanes, masked);
        float *s = sum + int64_t(*rowIds++) * W;
        for (int j = 0; j < NV; ++j)
          _mm512_store_ps(
              s + 16 * j,
              _mm512_add_ps(
                  _mm512_load_ps(s + 16 * j),
                  _mm512_add_ps(_mm512_add_ps(acc[0][j], acc[1][j]),
                                _mm512_add_ps(acc[2][j], acc[3][j]))));
        values += count;
        col += count;
      }
    }
  }
  for (int64_t o = 0; o < n; ++o) {
    __m512 v[NV];
    for (int j = 0; j < NV; ++j)
      v[j] = _mm512_load_ps(sum + o * W + 16 * j);
    tile.put(o0 + o, v);
  }
}

// Bitmask, one batch row: expand 16 weights per mask, 4 chunks in flight.
AVX512 void bitmaskRows1(const Args &a, int64_t b, const int32_t *rowPtr,
                         const uint16_t *masks, const float *values, int64_t o0,
                         int64_t o1) {
  const float *x = a.x + b * a.xs;
  float *yRow = a.y + b * a.ys;
  int64_t chunks = (a.cols + 15) / 16, full = a.cols / 16;
  __mmask16 lastMask = tailMask(a.cols - full * 16);
  for (int64_t o = o0; o < o1; ++o) {
    const float *v = values + rowPtr[o];
    const uint16_t *mk = masks + o * chunks;
    __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(),
                     _mm512_setzero_ps(), _mm512_setzero_ps()};
    int64_t c = 0;
    for (; c + 4 <= full; c += 4) {
      _mm_prefetch(reinterpret_cast<const char *>(v + kPrefetchFloats),
                   _MM_HINT_T0);
      for (int u = 0; u < 4; ++u) {
        unsigned m = mk[c + u];
        __m512 w = _mm512_maskz_expand_ps(m, _mm512_loadu_ps(v));
        v += __builtin_popcount(m);
        acc[u] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + 16 * (c + u)), acc[u]);
      }
    }
    for (; c < chunks; ++c) {
      unsigned m = mk[c];
      __m512 w = _mm512_maskz_expand_ps(m, _mm512_loadu_ps(v));
      v += __builtin_popcount(m);
      __m512 xv = c < full ? _mm512_loadu_ps(x + 16 * c)
                           : _mm512_maskz_loadu_ps(lastMask, x + 16 * c);
      acc[0] = _mm512_fmadd_ps(w, xv, acc[0]);
    }
    float s = _mm512_reduce_add_ps(_mm512_add_ps(
        _mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
    yRow[o * a.yo] = finish(s, yRow + o * a.yo, a.acc);
  }
}

// BSR, one batch row: U blocks in flight, R x C unrolled at compile time.
template <int R, int C, int Bits>
AVX512 void bsrRows1(const Args &a, int64_t b, const int32_t *rowPtr,
                     const void *col, const float *values, int64_t br0,
                     int64_t br1) {
  constexpr int U = R * C >= 16 ? 1 : 4;
  const float *x = a.x + b * a.xs;
  float *yRow = a.y + b * a.ys;
  for (int64_t br = br0; br < br1; ++br) {
    float s[U][R][C] = {};
    int64_t i = rowPtr[br], e = rowPtr[br + 1];
    for (; i + U <= e; i += U) {
      _mm_prefetch(
          reinterpret_cast<const char *>(values + i * R * C + kPrefetchFloats),
          _MM_HINT_T0);
      for (int u = 0; u < U; ++u) {
        const float *xb = x + colAt(col, Bits, i + u) * C;
        const float *v = values + (i + u) * R * C;
        for (int ii = 0; ii < R; ++ii)
          for (int j = 0; j < C; ++j)
            s[u][ii][j] += v[ii * C + j] * xb[j];
      }
    }
    for (; i < e; ++i) {
      const float *xb = x + colAt(col, Bits, i) * C;
      const float *v = values + i * R * C;
      for (int ii = 0; ii < R; ++ii)
        for (int j = 0; j < C; ++j)
          s[0][ii][j] += v[ii * C + j] * xb[j];
    }
    for (int ii = 0; ii < R; ++ii) {
      float t = 0;
      for (int u = 0; u < U; ++u)
        for (int j = 0; j < C; ++j)
          t += s[u][ii][j];
      float *y = yRow + (br * R + ii) * a.yo;
      *y = finish(t, y, a.acc);
    }
  }
}

// BSR, batched: every block entry is NV FMAs along the batch.
template <int R, int C, int NV, int Bits>
AVX512 void bsrBatched(const Args &a, const float *xT, int64_t ldx, int64_t b0,
                       int64_t nb, const int32_t *rowPtr, const void *col,
                       const float *values, int64_t br0, int64_t br1) {
  __mmask16 lanes[NV];
  for (int j = 0; j < NV; ++j)
    lanes[j] = tailMask(std::max<int64_t>(nb - 16 * j, 0));
  ColumnTile<NV> tile(a, b0, nb);
  bool masked = tile.partialGiven();
  for (int64_t br = br0; br < br1; ++br) {
    __m512 acc[R][NV];
    for (int ii = 0; ii < R; ++ii)
      for (int j = 0; j < NV; ++j)
        acc[ii][j] = _mm512_setzero_ps();
    for (int64_t i = rowPtr[br]; i < rowPtr[br + 1]; ++i) {
      const float *v = values + i * R * C;
      _mm_prefetch(reinterpret_cast<const char *>(v + kPrefetchFloats),
                   _MM_HINT_T0);
      const float *xb = xT + colAt(col, Bits, i) * C * ldx;
      for (int jj = 0; jj < C; ++jj) {
        __m512 xv[NV];
        for (int j = 0; j < NV; ++j)
          xv[j] = loadLanes(xb + jj * ldx + 16 * j, lanes[j], masked);
        for (int ii = 0; ii < R; ++ii) {
          __m512 w = _mm512_set1_ps(v[ii * C + jj]);
          for (int j = 0; j < NV; ++j)
            acc[ii][j] = _mm512_fmadd_ps(w, xv[j], acc[ii][j]);
        }
      }
    }
    for (int ii = 0; ii < R; ++ii)
      tile.put(br * R + ii, acc[ii]);
  }
  tile.flush();
}

// 2:4: 16 values cover 32 inputs; one permute per batch row selects them.
// NB batch rows share each decoded chunk (batch register blocking).
template <int NB>
AVX512 void nm24Rows(const Args &a, int64_t b0, const uint8_t *codes,
                     const float *values, int64_t o0, int64_t o1) {
  int64_t stride = nmStride(a.cols, 2, 4), words = stride / 16;
  const __m512i shifts = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                           20, 22, 24, 26, 28, 30);
  const __m512i base = _mm512_setr_epi32(0, 0, 4, 4, 8, 8, 12, 12, 16, 16, 20,
                                         20, 24, 24, 28, 28);
  const __m512i three = _mm512_set1_epi32(3);
  const float *x[NB];
  for (int b = 0; b < NB; ++b)
    x[b] = a.x + (b0 + b) * a.xs;
  constexpr int U = NB == 1 ? 2 : 1;
  for (int64_t o = o0; o < o1; ++o) {
    const float *v = values + o * stride;
    const uint8_t *cw = codes + o * words * 4;
    __m512 acc[U][NB];
    for (int u = 0; u < U; ++u)
      for (int b = 0; b < NB; ++b)
        acc[u][b] = _mm512_setzero_ps();
    for (int64_t q = 0; q < words; ++q) {
      uint32_t word;
      std::memcpy(&word, cw + 4 * q, 4);
      _mm_prefetch(reinterpret_cast<const char *>(v + 16 * q + kPrefetchFloats),
                   _MM_HINT_T0);
      __m512i idx = _mm512_add_epi32(
          _mm512_and_si512(_mm512_srlv_epi32(_mm512_set1_epi32(word), shifts),
                           three),
          base);
      __m512 w = _mm512_loadu_ps(v + 16 * q);
      int64_t k = 32 * q;
      bool full = k + 32 <= a.cols;
      __mmask16 mLo = tailMask(a.cols - k),
                mHi = tailMask(std::max<int64_t>(a.cols - k - 16, 0));
      for (int b = 0; b < NB; ++b) {
        __m512 lo, hi;
        if (full) {
          lo = _mm512_loadu_ps(x[b] + k);
          hi = _mm512_loadu_ps(x[b] + k + 16);
        } else {
          lo = _mm512_maskz_loadu_ps(mLo, x[b] + k);
          hi = _mm512_maskz_loadu_ps(mHi, x[b] + k + 16);
        }
        __m512 g = _mm512_permutex2var_ps(lo, idx, hi);
        acc[q % U][b] = _mm512_fmadd_ps(w, g, acc[q % U][b]);
      }
    }
    for (int b = 0; b < NB; ++b) {
      __m512 t = acc[0][b];
      for (int u = 1; u < U; ++u)
        t = _mm512_add_ps(t, acc[u][b]);
      float *y = a.y + (b0 + b) * a.ys + o * a.yo;
      *y = finish(_mm512_reduce_add_ps(t), y, a.acc);
    }
  }
}

AVX512 void nm24Block(const Args &a, int64_t b0, int64_t nb,
                      const uint8_t *codes, const float *values, int64_t o0,
                      int64_t o1) {
  switch (nb) {
  case 1:
    return nm24Rows<1>(a, b0, codes, values, o0, o1);
  case 2:
    return nm24Rows<2>(a, b0, codes, values, o0, o1);
  case 3:
    return nm24Rows<3>(a, b0, codes, values, o0, o1);
  case 4:
    return nm24Rows<4>(a, b0, codes, values, o0, o1);
  case 5:
    return nm24Rows<5>(a, b0, codes, values, o0, o1);
  case 6:
    return nm24Rows<6>(a, b0, codes, values, o0, o1);
  case 7:
    return nm24Rows<7>(a, b0, codes, values, o0, o1);
  default:
    return nm24Rows<8>(a, b0, codes, values, o0, o1);
  }
}
} // namespace
#endif // PRUNE_X86

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

namespace {
bool avx512() {
#if PRUNE_X86
  return haveAvx512();
#else
  return false;
#endif
}

/// Calls fn(std::integral_constant<int, NV>()) for nv = 1 or 2 (the batch
/// vectors per chunk), so that kernels are instantiated for both.
template <typename Fn> void withNV(int nv, Fn fn) {
  if (nv == 1)
    fn(std::integral_constant<int, 1>());
  else
    fn(std::integral_constant<int, 2>());
}

/// Batched paths: transposes x in chunks of up to 32 rows and calls
/// fn(b0, nb, nv, xT) for each.
template <typename Fn> void forBatchChunks(const Args &a, Fn fn) {
#if PRUNE_X86
  thread_local std::vector<float> xT;
  bool given = xGiven(a);
  for (int64_t b0 = 0; b0 < a.batch; b0 += 32) {
    int64_t nb = std::min<int64_t>(32, a.batch - b0);
    int nv = nb > 16 ? 2 : 1;
    if (given) {
      fn(b0, nb, nv, a.x + b0, a.xk);
      continue;
    }
    fn(b0, nb, nv, transposeX(a, b0, nb, nv, xT), int64_t(16 * nv));
  }
#else
  (void)a;
  (void)fn;
#endif
}

/// Batches below this run the one-row kernels once per row.
constexpr int64_t kBatchedFrom = 4;

/// The one-row kernels read x with unit stride along k: copy otherwise.
void ensureUnitK(Args &a, std::vector<float> &buf) {
  if (a.xk == 1)
    return;
  buf.resize(a.batch * a.cols);
  for (int64_t b = 0; b < a.batch; ++b)
    for (int64_t k = 0; k < a.cols; ++k)
      buf[b * a.cols + k] = a.x[b * a.xs + k * a.xk];
  a.x = buf.data();
  a.xs = a.cols;
  a.xk = 1;
}
} // namespace

extern "C" {
void prune_kernels_set_num_threads(int32_t n) { Pool::get().setThreads(n); }
int32_t prune_kernels_get_num_threads() { return Pool::get().threads(); }
void prune_kernels_set_isa(int32_t avx) {
  if (!avx) {
    useAvx512 = 0;
    return;
  }
  useAvx512 = -1;
  haveAvx512();
}
int32_t prune_kernels_has_avx512() { return avx512(); }
void prune_kernels_warm_up() { Pool::get().warmUp(); }
void prune_kernels_set_parallel_threshold(double work) {
  minParallelWork = work;
}

static void fc_dense(float *y, int64_t ys, int64_t yo, const float *x,
                     int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                     int64_t cols, const float *panels, int32_t acc) {
  Args a{y, ys, x, xs, batch, rows, cols, acc != 0, yo, xk};
  double work = double(batch) * rows * cols;
  if (!avx512()) {
    parallelUnits(rows, work,
                  [&](int64_t o0, int64_t o1) { denseRef(a, panels, o0, o1); });
    return;
  }
#if PRUNE_X86
  int64_t numPanels = (rows + 15) / 16;
  int64_t group = batch <= 2 ? 4 : 2;
  int64_t units = (numPanels + group - 1) / group;
  parallelUnits(units, work, [&](int64_t u0, int64_t u1) {
    denseAvx(a, panels, u0 * group, std::min(u1 * group, numPanels));
  });
#endif
}

static void fc_csr(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                   int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                   const int32_t *rowPtr, const void *col, int32_t colBits,
                   const float *values, int32_t acc) {
  Args a{y, ys, x, xs, batch, rows, cols, acc != 0, yo, xk};
  double work = double(batch) * rowPtr[rows] * 2;
  if (!avx512()) {
    parallelUnits(rows, work, [&](int64_t o0, int64_t o1) {
      csrRef(a, rowPtr, col, colBits, values, o0, o1);
    });
    return;
  }
#if PRUNE_X86
  std::vector<float> xCopy;
  if (batch < kBatchedFrom) {
    ensureUnitK(a, xCopy);
    parallelUnits(rows, work, [&](int64_t o0, int64_t o1) {
      for (int64_t b = 0; b < batch; ++b)
        colBits == 8    ? csrRows1<8>(a, b, rowPtr, col, values, o0, o1)
        : colBits == 16 ? csrRows1<16>(a, b, rowPtr, col, values, o0, o1)
                        : csrRows1<32>(a, b, rowPtr, col, values, o0, o1);
    });
    return;
  }
  forBatchChunks(
      a, [&](int64_t b0, int64_t nb, int nv, const float *xT, int64_t ldx) {
        parallelUnits(rows, work * nb / batch, [&](int64_t o0, int64_t o1) {
          const char *cb = static_cast<const char *>(col);
          int cw = colBits / 8;
          auto rowsNV = [&](auto nvTag, auto colOf) {
            constexpr int NV = decltype(nvTag)::value;
            ColumnTile<NV> tile(a, b0, nb);
            for (int64_t o = o0; o < o1; ++o)
              if (xGiven(a))
                batchedRow<NV, true>(tile, xT, ldx, nb, o, rowPtr[o],
                                     rowPtr[o + 1], values, colOf, cb, cw);
              else
                batchedRow<NV, false>(tile, xT, ldx, nb, o, rowPtr[o],
                                      rowPtr[o + 1], values, colOf, cb, cw);
            tile.flush();
          };
          auto byWidth = [&](auto nvTag) {
            if (colBits == 32)
              rowsNV(nvTag, [&](int64_t i) {
                return int64_t(static_cast<const int32_t *>(col)[i]);
              });
            else if (colBits == 8)
              rowsNV(nvTag, [&](int64_t i) {
                return int64_t(static_cast<const uint8_t *>(col)[i]);
              });
            else
              rowsNV(nvTag, [&](int64_t i) {
                return int64_t(static_cast<const uint16_t *>(col)[i]);
              });
          };
          withNV(nv, byWidth);
        });
      });
#endif
}

static void fc_csr_tiled(float *y, int64_t ys, int64_t yo, const float *x,
                         int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                         int64_t cols, const int32_t *meta,
                         const uint16_t *runs, const uint8_t *rowIds,
                         const uint8_t *col, const float *values, int32_t acc) {
  Args a{y, ys, x, xs, batch, rows, cols, acc != 0, yo, xk};
  int64_t blocks = (rows + kTileRows - 1) / kTileRows;
  double work = double(batch) * meta[blocks] * 2;
  if (!avx512()) {
    parallelUnits(blocks, work, [&](int64_t rb0, int64_t rb1) {
      tiledRef(a, meta, runs, rowIds, col, values, rb0, rb1);
    });
    return;
  }
#if PRUNE_X86
  int64_t tiles = (cols + kTileCols - 1) / kTileCols;
  const int32_t *runStart = meta + 2 * (blocks + 1);
  // Every batch size takes the batched path (padded to 16 lanes): the
  // compiler picks this layout for batched layers only.
  forBatchChunks(a, [&](int64_t b0, int64_t nb, int nv, const float *xT,
                        int64_t ldx) {
    parallelUnits(blocks, work * nb / batch, [&](int64_t rb0, int64_t rb1) {
      thread_local std::vector<float> buf;
      buf.resize(kTileRows * 32 + 16);
      float *sum = reinterpret_cast<float *>(
          (reinterpret_cast<uintptr_t>(buf.data()) + 63) & ~uintptr_t(63));
      auto blockRows = [&](auto nvTag) {
        constexpr int NV = decltype(nvTag)::value;
        ColumnTile<NV> tile(a, b0, nb);
        for (int64_t rb = rb0; rb < rb1; ++rb) {
          int64_t e = meta[rb], v = meta[blocks + 1 + rb];
          if (xGiven(a))
            tiledBlockRow<NV, true>(tile, xT, ldx, nb, rb, tiles, runStart,
                                    runs, rowIds + v, col + e, values + e, sum);
          else
            tiledBlockRow<NV, false>(tile, xT, ldx, nb, rb, tiles, runStart,
                                     runs, rowIds + v, col + e, values + e,
                                     sum);
        }
        tile.flush();
      };
      withNV(nv, blockRows);
    });
  });
#endif
}

static void fc_bitmask(float *y, int64_t ys, int64_t yo, const float *x,
                       int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                       int64_t cols, const int32_t *rowPtr,
                       const uint16_t *masks, const float *values,
                       int32_t acc) {
  Args a{y, ys, x, xs, batch, rows, cols, acc != 0, yo, xk};
  double work = double(batch) * rows * cols / 8;
  std::vector<float> xCopy;
  if (avx512())
    ensureUnitK(a, xCopy);
  parallelUnits(rows, work, [&](int64_t o0, int64_t o1) {
#if PRUNE_X86
    if (avx512()) {
      for (int64_t b = 0; b < batch; ++b)
        bitmaskRows1(a, b, rowPtr, masks, values, o0, o1);
      return;
    }
#endif
    bitmaskRef(a, rowPtr, masks, values, o0, o1);
  });
}

static void fc_bsr(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                   int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                   int64_t r, int64_t c, const int32_t *rowPtr, const void *col,
                   int32_t colBits, const float *values, int32_t acc) {
  Args a{y, ys, x, xs, batch, rows, cols, acc != 0, yo, xk};
  int64_t blockRows = rows / r;
  double work = double(batch) * rowPtr[blockRows] * r * c * 2;
  auto portable = [&] {
    parallelUnits(blockRows, work, [&](int64_t b0, int64_t b1) {
      bsrRef(a, r, c, rowPtr, col, colBits, values, b0, b1);
    });
  };
  if (!avx512())
    return portable();
#if PRUNE_X86
  // Fast paths for the common block shapes; others run the portable code.
  auto dispatch = [&](auto R, auto C) {
    constexpr int kR = decltype(R)::value, kC = decltype(C)::value;
    if (batch < kBatchedFrom) {
      std::vector<float> xCopy;
      ensureUnitK(a, xCopy);
      parallelUnits(blockRows, work, [&](int64_t b0, int64_t b1) {
        for (int64_t b = 0; b < batch; ++b)
          colBits == 8 ? bsrRows1<kR, kC, 8>(a, b, rowPtr, col, values, b0, b1)
          : colBits == 16
              ? bsrRows1<kR, kC, 16>(a, b, rowPtr, col, values, b0, b1)
              : bsrRows1<kR, kC, 32>(a, b, rowPtr, col, values, b0, b1);
      });
      return;
    }
    forBatchChunks(a, [&](int64_t bb, int64_t nb, int nv, const float *xT,
                          int64_t ldx) {
      parallelUnits(blockRows, work * nb / batch, [&](int64_t b0, int64_t b1) {
        auto run = [&](auto nvTag, auto bitsTag) {
          bsrBatched<kR, kC, decltype(nvTag)::value, decltype(bitsTag)::value>(
              a, xT, ldx, bb, nb, rowPtr, col, values, b0, b1);
        };
        auto byBits = [&](auto nvTag) {
          if (colBits == 8)
            run(nvTag, std::integral_constant<int, 8>());
          else if (colBits == 16)
            run(nvTag, std::integral_constant<int, 16>());
          else
            run(nvTag, std::integral_constant<int, 32>());
        };
        withNV(nv, byBits);
      });
    });
  };
  using I1 = std::integral_constant<int, 1>;
  using I2 = std::integral_constant<int, 2>;
  using I4 = std::integral_constant<int, 4>;
  using I8 = std::integral_constant<int, 8>;
  using I16 = std::integral_constant<int, 16>;
  if (r == 4 && c == 1)
    return dispatch(I4(), I1());
  if (r == 8 && c == 1)
    return dispatch(I8(), I1());
  if (r == 16 && c == 1)
    return dispatch(I16(), I1());
  if (r == 2 && c == 1)
    return dispatch(I2(), I1());
  if (r == 1 && c == 2)
    return dispatch(I1(), I2());
  if (r == 1 && c == 4)
    return dispatch(I1(), I4());
  if (r == 1 && c == 8)
    return dispatch(I1(), I8());
  if (r == 1 && c == 16)
    return dispatch(I1(), I16());
  if (r == 2 && c == 2)
    return dispatch(I2(), I2());
  if (r == 4 && c == 4)
    return dispatch(I4(), I4());
  if (r == 8 && c == 8)
    return dispatch(I8(), I8());
  portable();
#endif
}

static void fc_nm(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                  int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                  int64_t n, int64_t m, const uint8_t *codes,
                  const float *values, int32_t acc) {
  Args a{y, ys, x, xs, batch, rows, cols, acc != 0, yo, xk};
  bool is24 = n == 2 && m == 4;
  double work = double(batch) * rows * (cols / m * n) * 2;
  if (!avx512() || (!is24 && batch < kBatchedFrom)) {
    parallelUnits(rows, work, [&](int64_t o0, int64_t o1) {
      nmRef(a, n, m, codes, values, o0, o1);
    });
    return;
  }
#if PRUNE_X86
  if (is24) {
    std::vector<float> xCopy;
    ensureUnitK(a, xCopy);
    // Rows outside, batch blocks of 8 inside: a row's values stay in L1.
    parallelUnits(rows, work, [&](int64_t o0, int64_t o1) {
      for (int64_t r0 = o0; r0 < o1; r0 += 64)
        for (int64_t b = 0; b < batch; b += 8)
          nm24Block(a, b, std::min<int64_t>(8, batch - b), codes, values, r0,
                    std::min(r0 + 64, o1));
    });
    return;
  }
  int64_t stride = nmStride(cols, n, m), perRow = cols / m * n;
  forBatchChunks(a, [&](int64_t b0, int64_t nb, int nv, const float *xT,
                        int64_t ldx) {
    parallelUnits(rows, work * nb / batch, [&](int64_t o0, int64_t o1) {
      // Columns of one row, decoded once per row (no divisions inside).
      std::vector<int32_t> cols(perRow);
      ColumnTile<1> tile1(a, b0, nb);
      ColumnTile<2> tile2(a, b0, nb);
      for (int64_t o = o0; o < o1; ++o) {
        int64_t base = o * stride;
        for (int64_t j = 0, g = 0, q = 0; j < perRow; ++j) {
          cols[j] = g + nmOffset(codes, is24, base + j);
          if (++q == n) {
            q = 0;
            g += m;
          }
        }
        const float *v = values + base;
        auto colOf = [&](int64_t j) { return int64_t(cols[j]); };
        bool given = xGiven(a);
        if (nv == 1)
          given
              ? batchedRow<1, true>(tile1, xT, ldx, nb, o, 0, perRow, v, colOf)
              : batchedRow<1, false>(tile1, xT, ldx, nb, o, 0, perRow, v,
                                     colOf);
        else
          given
              ? batchedRow<2, true>(tile2, xT, ldx, nb, o, 0, perRow, v, colOf)
              : batchedRow<2, false>(tile2, xT, ldx, nb, o, 0, perRow, v,
                                     colOf);
      }
      tile1.flush();
      tile2.flush();
    });
  });
#endif
}

/// bias (per output) and ReLU after the kernel, while y is in cache.
static void epilogue(float *y, int64_t ys, int64_t yo, int64_t batch,
                     int64_t rows, int32_t flags, const float *bias) {
  bool relu = flags & PRUNE_RELU;
  if (!bias && !relu)
    return;
  auto apply = [&](float &v, int64_t o) {
    if (bias)
      v += bias[o];
    if (relu) // max(0, v) keeps NaN, as arith.maximumf and cmpf ugt do
      v = 0.0f > v ? 0.0f : v;
  };
  if (yo == 1 || ys != 1) {
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t o = 0; o < rows; ++o)
        apply(y[b * ys + o * yo], o);
  } else {
    for (int64_t o = 0; o < rows; ++o)
      for (int64_t b = 0; b < batch; ++b)
        apply(y[b + o * yo], o);
  }
}

void prune_fc_dense(float *y, int64_t ys, int64_t yo, const float *x,
                    int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                    int64_t cols, const float *panels, int32_t flags,
                    const float *bias) {
  fc_dense(y, ys, yo, x, xs, xk, batch, rows, cols, panels,
           flags & PRUNE_ACCUMULATE);
  epilogue(y, ys, yo, batch, rows, flags, bias);
}

void prune_fc_csr(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                  int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                  const int32_t *rowPtr, const void *col, int32_t colBits,
                  const float *values, int32_t flags, const float *bias) {
  fc_csr(y, ys, yo, x, xs, xk, batch, rows, cols, rowPtr, col, colBits, values,
         flags & PRUNE_ACCUMULATE);
  epilogue(y, ys, yo, batch, rows, flags, bias);
}

void prune_fc_csr_tiled(float *y, int64_t ys, int64_t yo, const float *x,
                        int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                        int64_t cols, const int32_t *meta, const uint16_t *runs,
                        const uint8_t *rowIds, const uint8_t *col,
                        const float *values, int32_t flags, const float *bias) {
  fc_csr_tiled(y, ys, yo, x, xs, xk, batch, rows, cols, meta, runs, rowIds, col,
               values, flags & PRUNE_ACCUMULATE);
  epilogue(y, ys, yo, batch, rows, flags, bias);
}

void prune_fc_bitmask(float *y, int64_t ys, int64_t yo, const float *x,
                      int64_t xs, int64_t xk, int64_t batch, int64_t rows,
                      int64_t cols, const int32_t *rowPtr,
                      const uint16_t *masks, const float *values, int32_t flags,
                      const float *bias) {
  fc_bitmask(y, ys, yo, x, xs, xk, batch, rows, cols, rowPtr, masks, values,
             flags & PRUNE_ACCUMULATE);
  epilogue(y, ys, yo, batch, rows, flags, bias);
}

void prune_fc_bsr(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                  int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                  int64_t r, int64_t c, const int32_t *rowPtr, const void *col,
                  int32_t colBits, const float *values, int32_t flags,
                  const float *bias) {
  fc_bsr(y, ys, yo, x, xs, xk, batch, rows, cols, r, c, rowPtr, col, colBits,
         values, flags & PRUNE_ACCUMULATE);
  epilogue(y, ys, yo, batch, rows, flags, bias);
}

void prune_fc_nm(float *y, int64_t ys, int64_t yo, const float *x, int64_t xs,
                 int64_t xk, int64_t batch, int64_t rows, int64_t cols,
                 int64_t n, int64_t m, const uint8_t *codes,
                 const float *values, int32_t flags, const float *bias) {
  fc_nm(y, ys, yo, x, xs, xk, batch, rows, cols, n, m, codes, values,
        flags & PRUNE_ACCUMULATE);
  epilogue(y, ys, yo, batch, rows, flags, bias);
}
} // extern "C"

void pruneopt::kernels::run(const PackedWeight &w, const float *x,
                            int64_t xStride, float *y, int64_t yStride,
                            int64_t batch, bool accumulate) {
  runStrided(w, x, xStride, 1, y, yStride, 1, batch, accumulate);
}

void pruneopt::kernels::runStrided(const PackedWeight &w, const float *x,
                                   int64_t xs, int64_t xk, float *y, int64_t ys,
                                   int64_t yo, int64_t batch, bool accumulate,
                                   const float *bias, bool relu) {
  int32_t flags = (accumulate ? PRUNE_ACCUMULATE : 0) | (relu ? PRUNE_RELU : 0);
  int64_t xStride = xs, yStride = ys;
  const void *col = w.colBits == 8 ? static_cast<const void *>(w.col8.data())
                    : w.colBits == 32
                        ? static_cast<const void *>(w.col32.data())
                        : static_cast<const void *>(w.col16.data());
  switch (w.format) {
  case Format::Dense:
    return prune_fc_dense(y, yStride, yo, x, xStride, xk, batch, w.rows, w.cols,
                          w.values.data(), flags, bias);
  case Format::CSR:
    return prune_fc_csr(y, yStride, yo, x, xStride, xk, batch, w.rows, w.cols,
                        w.rowPtr.data(), col, w.colBits, w.values.data(), flags,
                        bias);
  case Format::Bitmask:
    return prune_fc_bitmask(y, yStride, yo, x, xStride, xk, batch, w.rows,
                            w.cols, w.rowPtr.data(), w.masks.data(),
                            w.values.data(), flags, bias);
  case Format::BSR:
    return prune_fc_bsr(y, yStride, yo, x, xStride, xk, batch, w.rows, w.cols,
                        w.blockRows, w.blockCols, w.rowPtr.data(), col,
                        w.colBits, w.values.data(), flags, bias);
  case Format::NM:
    return prune_fc_nm(y, yStride, yo, x, xStride, xk, batch, w.rows, w.cols,
                       w.n, w.m, w.codes.data(), w.values.data(), flags, bias);
  case Format::TiledCSR:
    return prune_fc_csr_tiled(y, yStride, yo, x, xStride, xk, batch, w.rows,
                              w.cols, w.rowPtr.data(), w.masks.data(),
                              w.codes.data(), w.col8.data(), w.values.data(),
                              flags, bias);
  }
}

//===----------------------------------------------------------------------===//
// MLIR C interface (what nn-lower-kernels calls)
//===----------------------------------------------------------------------===//

namespace {
/// The memref descriptor of MLIR's C interface (StridedMemRefType).
template <typename T, int N> struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
  T *data() const { return aligned + offset; }
};

/// Calls fn(y, ys, yo, x, xs, xk): the kernels take any strides.
template <typename Fn>
void withRows(MemRef<float, 2> *y, MemRef<float, 2> *x, Fn fn) {
  fn(y->data(), y->strides[0], y->strides[1], x->data(), x->strides[0],
     x->strides[1]);
}
/// A bias memref of size 0 means none.
inline const float *biasOf(MemRef<float, 1> *bias) {
  return bias->sizes[0] ? bias->data() : nullptr;
}
} // namespace

extern "C" {
void _mlir_ciface_prune_mr_dense(MemRef<float, 2> *y, MemRef<float, 2> *x,
                                 MemRef<float, 1> *panels, int32_t flags,
                                 MemRef<float, 1> *bias) {
  withRows(y, x,
           [&](float *yp, int64_t ys, int64_t yo, const float *xp, int64_t xs,
               int64_t xk) {
             prune_fc_dense(yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1],
                            x->sizes[1], panels->data(), flags, biasOf(bias));
           });
}

#define PRUNE_CSR_CIFACE(NAME, T, WIDE)                                        \
  void _mlir_ciface_prune_mr_##NAME(                                           \
      MemRef<float, 2> *y, MemRef<float, 2> *x, MemRef<int32_t, 1> *rowPtr,    \
      MemRef<T, 1> *col, MemRef<float, 1> *values, int32_t flags,              \
      MemRef<float, 1> *bias) {                                                \
    withRows(y, x,                                                             \
             [&](float *yp, int64_t ys, int64_t yo, const float *xp,           \
                 int64_t xs, int64_t xk) {                                     \
               prune_fc_csr(yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1],  \
                            x->sizes[1], rowPtr->data(), col->data(), WIDE,    \
                            values->data(), flags, biasOf(bias));              \
             });                                                               \
  }
PRUNE_CSR_CIFACE(csr8, int8_t, 8)
PRUNE_CSR_CIFACE(csr16, int16_t, 16)
PRUNE_CSR_CIFACE(csr32, int32_t, 32)
#undef PRUNE_CSR_CIFACE

#define PRUNE_BSR_CIFACE(NAME, T, WIDE)                                        \
  void _mlir_ciface_prune_mr_##NAME(                                           \
      MemRef<float, 2> *y, MemRef<float, 2> *x, MemRef<int32_t, 1> *rowPtr,    \
      MemRef<T, 1> *col, MemRef<float, 1> *values, int64_t r, int64_t c,       \
      int32_t flags, MemRef<float, 1> *bias) {                                 \
    withRows(y, x,                                                             \
             [&](float *yp, int64_t ys, int64_t yo, const float *xp,           \
                 int64_t xs, int64_t xk) {                                     \
               prune_fc_bsr(yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1],  \
                            x->sizes[1], r, c, rowPtr->data(), col->data(),    \
                            WIDE, values->data(), flags, biasOf(bias));        \
             });                                                               \
  }
PRUNE_BSR_CIFACE(bsr8, int8_t, 8)
PRUNE_BSR_CIFACE(bsr16, int16_t, 16)
PRUNE_BSR_CIFACE(bsr32, int32_t, 32)
#undef PRUNE_BSR_CIFACE

void _mlir_ciface_prune_mr_bitmask(MemRef<float, 2> *y, MemRef<float, 2> *x,
                                   MemRef<int32_t, 1> *rowPtr,
                                   MemRef<int16_t, 1> *masks,
                                   MemRef<float, 1> *values, int32_t flags,
                                   MemRef<float, 1> *bias) {
  withRows(y, x,
           [&](float *yp, int64_t ys, int64_t yo, const float *xp, int64_t xs,
               int64_t xk) {
             prune_fc_bitmask(yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1],
                              x->sizes[1], rowPtr->data(),
                              reinterpret_cast<const uint16_t *>(masks->data()),
                              values->data(), flags, biasOf(bias));
           });
}

void _mlir_ciface_prune_mr_csr_tiled(
    MemRef<float, 2> *y, MemRef<float, 2> *x, MemRef<int32_t, 1> *meta,
    MemRef<int16_t, 1> *runs, MemRef<int8_t, 1> *rowIds, MemRef<int8_t, 1> *col,
    MemRef<float, 1> *values, int32_t flags, MemRef<float, 1> *bias) {
  withRows(y, x,
           [&](float *yp, int64_t ys, int64_t yo, const float *xp, int64_t xs,
               int64_t xk) {
             prune_fc_csr_tiled(
                 yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1], x->sizes[1],
                 meta->data(), reinterpret_cast<const uint16_t *>(runs->data()),
                 reinterpret_cast<const uint8_t *>(rowIds->data()),
                 reinterpret_cast<const uint8_t *>(col->data()), values->data(),
                 flags, biasOf(bias));
           });
}

void _mlir_ciface_prune_mr_nm(MemRef<float, 2> *y, MemRef<float, 2> *x,
                              MemRef<int8_t, 1> *codes,
                              MemRef<float, 1> *values, int64_t n, int64_t m,
                              int32_t flags, MemRef<float, 1> *bias) {
  withRows(y, x,
           [&](float *yp, int64_t ys, int64_t yo, const float *xp, int64_t xs,
               int64_t xk) {
             prune_fc_nm(yp, ys, yo, xp, xs, xk, y->sizes[0], y->sizes[1],
                         x->sizes[1], n, m,
                         reinterpret_cast<const uint8_t *>(codes->data()),
                         values->data(), flags, biasOf(bias));
           });
}
} // extern "C"
