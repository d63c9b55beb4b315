//===- WeightFiles.cpp - Packed weights mapped from files at run time -----===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// A model compiled with its weights outside the IR (`prune.weight_files`)
// calls _mlir_ciface_prune_rt_weight for each weight instead of reading a
// global constant: it maps the weight file (once per process, read-only,
// shared with the page cache) and returns the weight's bytes as a
// memref<?xi8>. The compiler checked the file when it compiled the model
// and passes the size it saw; a file of another size is a different file
// and stops the program with a message rather than computing with it.
//
// A relative path is resolved against $PRUNE_OPT_WEIGHTS_DIR when that is
// set (deployments that move the files), else the working directory.
//
//===----------------------------------------------------------------------===//

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>

namespace {
struct Bytes1D {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
};

struct Mapping {
  char *base = nullptr;
  int64_t size = 0;
};

[[noreturn]] void fail(const std::string &path, const std::string &why) {
  std::fprintf(stderr, "prune-opt runtime: weight file '%s': %s\n",
               path.c_str(), why.c_str());
  std::exit(1);
}

const Mapping &mapFile(const std::string &path, int64_t expectedSize) {
  static std::mutex mutex;
  static auto *files = new std::unordered_map<std::string, Mapping>();
  std::lock_guard<std::mutex> lock(mutex);
  auto it = files->find(path);
  if (it != files->end()) {
    if (it->second.size != expectedSize)
      fail(path, "is mapped with " + std::to_string(it->second.size) +
                     " bytes, this model expects " +
                     std::to_string(expectedSize) +
                     " (two models naming different files of one path)");
    return it->second;
  }
  std::string resolved = path;
  if (const char *dir = std::getenv("PRUNE_OPT_WEIGHTS_DIR");
      dir && *dir && !path.empty() && path[0] != '/')
    resolved = std::string(dir) + "/" + path;
  int fd = ::open(resolved.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    fail(resolved, std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0)
    fail(resolved, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    fail(resolved, "is not a regular file");
  if (int64_t(st.st_size) != expectedSize)
    fail(resolved, "has " + std::to_string(st.st_size) +
                       " bytes, the compiled model expects " +
                       std::to_string(expectedSize) +
                       " (a different file: compile the model again)");
  Mapping m;
  m.size = st.st_size;
  if (m.size > 0) {
    void *p = ::mmap(nullptr, m.size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
      fail(resolved, std::string("cannot map: ") + std::strerror(errno));
    m.base = static_cast<char *>(p);
  }
  ::close(fd);
  return (*files)[path] = m;
}
} // namespace

extern "C" {
/// The `bytes` bytes at `offset` of the weight file named by `path` (UTF-8,
/// not NUL-terminated), whose size must be `fileSize`.
void _mlir_ciface_prune_rt_weight(Bytes1D *result, Bytes1D *path,
                                  int64_t offset, int64_t bytes,
                                  int64_t fileSize) {
  std::string name(path->aligned + path->offset, path->sizes[0]);
  const Mapping &m = mapFile(name, fileSize);
  if (offset < 0 || bytes < 0 || offset > m.size || bytes > m.size - offset)
    fail(name, "bytes [" + std::to_string(offset) + ", " +
                   std::to_string(offset + bytes) + ") are outside the file");
  result->allocated = m.base;
  result->aligned = m.base ? m.base + offset : nullptr;
  result->offset = 0;
  result->sizes[0] = bytes;
  result->strides[0] = 1;
}
} // extern "C"
