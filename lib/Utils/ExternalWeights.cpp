//===- ExternalWeights.cpp - Weights kept outside the IR ------------------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Utils/ExternalWeights.h"

#include "prune-opt/Utils/SafeOutput.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cerrno>
#include <numeric>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;
using namespace mlir::prune;

//===----------------------------------------------------------------------===//
// Element types
//===----------------------------------------------------------------------===//

static constexpr std::pair<TensorDType, llvm::StringLiteral> kDTypeNames[] = {
    {TensorDType::F64, "F64"}, {TensorDType::F32, "F32"},
    {TensorDType::F16, "F16"}, {TensorDType::BF16, "BF16"},
    {TensorDType::I64, "I64"}, {TensorDType::I32, "I32"},
    {TensorDType::I16, "I16"}, {TensorDType::I8, "I8"},
    {TensorDType::U8, "U8"},   {TensorDType::Bool, "BOOL"}};

std::optional<TensorDType> mlir::prune::parseTensorDType(StringRef name) {
  for (auto [dtype, text] : kDTypeNames)
    if (name == text)
      return dtype;
  return std::nullopt;
}

StringRef mlir::prune::tensorDTypeName(TensorDType dtype) {
  for (auto [d, text] : kDTypeNames)
    if (d == dtype)
      return text;
  llvm_unreachable("unknown dtype");
}

unsigned mlir::prune::tensorDTypeBytes(TensorDType dtype) {
  switch (dtype) {
  case TensorDType::F64:
  case TensorDType::I64:
    return 8;
  case TensorDType::F32:
  case TensorDType::I32:
    return 4;
  case TensorDType::F16:
  case TensorDType::BF16:
  case TensorDType::I16:
    return 2;
  case TensorDType::I8:
  case TensorDType::U8:
  case TensorDType::Bool:
    return 1;
  }
  llvm_unreachable("unknown dtype");
}

std::optional<TensorDType> mlir::prune::tensorDTypeFor(Type type) {
  if (type.isF64())
    return TensorDType::F64;
  if (type.isF32())
    return TensorDType::F32;
  if (type.isF16())
    return TensorDType::F16;
  if (type.isBF16())
    return TensorDType::BF16;
  if (type.isIndex())
    return TensorDType::I64;
  if (auto i = dyn_cast<IntegerType>(type)) {
    switch (i.getWidth()) {
    case 64:
      return TensorDType::I64;
    case 32:
      return TensorDType::I32;
    case 16:
      return TensorDType::I16;
    case 8:
      return i.isUnsigned() ? TensorDType::U8 : TensorDType::I8;
    default:
      break;
    }
  }
  return std::nullopt;
}

/// Whether data stored as `dtype` can be read as elements of `type`
/// (integers of the same width, signedness aside).
static bool dtypeFits(TensorDType dtype, Type type) {
  std::optional<TensorDType> want = tensorDTypeFor(type);
  if (!want)
    return false;
  if (*want == dtype)
    return true;
  auto isInt = [](TensorDType d) {
    return d == TensorDType::I8 || d == TensorDType::U8 ||
           d == TensorDType::I16 || d == TensorDType::I32 ||
           d == TensorDType::I64;
  };
  return isInt(*want) && isInt(dtype) &&
         tensorDTypeBytes(*want) == tensorDTypeBytes(dtype);
}

//===----------------------------------------------------------------------===//
// WeightFile
//===----------------------------------------------------------------------===//

/// An open file descriptor, closed with its last user.
struct WeightFile::Descriptor {
  int fd = -1;
  explicit Descriptor(int fd) : fd(fd) {}
  ~Descriptor() {
    if (fd >= 0)
      ::close(fd);
  }
};
using FileDescriptor = WeightFile::Descriptor;

namespace {

/// Files being written by a WeightWriter, readable before their header is:
/// path -> the entries so far (and the descriptor to read them).
struct PendingFile {
  ModuleOp module;
  std::shared_ptr<FileDescriptor> fd;
  llvm::StringMap<TensorEntry> entries;
};

struct Registry {
  std::mutex mutex;
  /// Opened files, by path.
  llvm::StringMap<std::shared_ptr<const WeightFile>> open;
  /// Files a WeightWriter is writing.
  llvm::StringMap<PendingFile *> pending;
  /// Files this process created, and the module each was made for.
  llvm::StringMap<Operation *> created;
  bool removeAtExit = false;
  /// Files written by writeWeightFile waiting for the tool's success
  /// (deferWeightFileCommits), and where their content is meanwhile.
  bool deferCommits = false;
  std::vector<std::unique_ptr<SafeOutputFile>> deferred;
  llvm::StringMap<std::string> redirect;
};
} // namespace

static Registry &registry() {
  static Registry *r = new Registry(); // outlives atexit handlers
  return *r;
}

static llvm::Error fileError(StringRef path, const Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "weight file '" + path + "': " + what);
}

/// A non-negative integer of a JSON value that fits `uint64_t`, or none.
static std::optional<uint64_t> jsonSize(const llvm::json::Value &v) {
  if (std::optional<int64_t> i = v.getAsInteger(); i && *i >= 0)
    return static_cast<uint64_t>(*i);
  if (std::optional<uint64_t> u = v.getAsUINT64())
    return *u;
  return std::nullopt;
}

llvm::Expected<std::unique_ptr<WeightFile>>
WeightFile::parse(StringRef path, ArrayRef<char> prefix, uint64_t fileSize) {
  if (prefix.size() < 8 || fileSize < 8)
    return fileError(path, "too short for a safetensors file (no header "
                           "length)");
  uint64_t headerLen =
      llvm::support::endian::read64le(reinterpret_cast<const void *>(
          prefix.data()));
  // The format's own limit is 100 MB of header.
  if (headerLen > fileSize - 8 || headerLen > (100u << 20))
    return fileError(path, "header length " + Twine(headerLen) +
                               " does not fit the file (" + Twine(fileSize) +
                               " bytes)");
  if (prefix.size() < 8 + headerLen)
    return fileError(path, "truncated header");
  StringRef text(prefix.data() + 8, headerLen);
  // The JSON parser recurses: a header of nested brackets must not
  // exhaust the stack (a safetensors header nests 3 deep).
  {
    int depth = 0;
    bool inString = false;
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (inString) {
        if (c == '\\')
          ++i;
        else if (c == '"')
          inString = false;
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        if (++depth > 8)
          return fileError(path, "bad header: nested deeper than a "
                                 "safetensors header");
      } else if (c == '}' || c == ']') {
        --depth;
      }
    }
  }
  llvm::Expected<llvm::json::Value> json = llvm::json::parse(text);
  if (!json)
    return fileError(path, "bad header JSON: " +
                               llvm::toString(json.takeError()));
  const llvm::json::Object *top = json->getAsObject();
  if (!top)
    return fileError(path, "the header is not a JSON object");
  auto file = std::make_unique<WeightFile>();
  file->path = path.str();
  file->fileSize = fileSize;
  file->dataStart = 8 + headerLen;
  uint64_t dataSize = fileSize - file->dataStart;
  for (const auto &[key, value] : *top) {
    StringRef name = key;
    if (name == "__metadata__")
      continue;
    auto bad = [&](const Twine &why) {
      return fileError(path, "tensor '" + name + "': " + why);
    };
    const llvm::json::Object *info = value.getAsObject();
    if (!info)
      return bad("not a JSON object");
    std::optional<StringRef> dtypeName = info->getString("dtype");
    std::optional<TensorDType> dtype =
        dtypeName ? parseTensorDType(*dtypeName) : std::nullopt;
    if (!dtype)
      return bad("unsupported or missing dtype" +
                 (dtypeName ? " '" + *dtypeName + "'" : Twine("")));
    const llvm::json::Array *shape = info->getArray("shape");
    const llvm::json::Array *offsets = info->getArray("data_offsets");
    if (!shape || !offsets || offsets->size() != 2)
      return bad("needs \"shape\" and \"data_offsets\": [begin, end]");
    if (shape->size() > 16)
      return bad("shape has more than 16 dimensions");
    TensorEntry entry;
    entry.name = name.str();
    entry.dtype = *dtype;
    uint64_t elements = 1;
    for (const llvm::json::Value &dim : *shape) {
      std::optional<uint64_t> d = jsonSize(dim);
      if (!d || *d > (uint64_t(1) << 40))
        return bad("bad dimension in shape");
      if (*d != 0 && elements > (uint64_t(1) << 62) / *d)
        return bad("shape too large");
      elements *= *d;
      entry.shape.push_back(static_cast<int64_t>(*d));
    }
    std::optional<uint64_t> begin = jsonSize((*offsets)[0]);
    std::optional<uint64_t> end = jsonSize((*offsets)[1]);
    if (!begin || !end || *begin > *end || *end > dataSize)
      return bad("data_offsets outside the file's data (" + Twine(dataSize) +
                 " bytes)");
    if (elements > (uint64_t(1) << 62) / tensorDTypeBytes(*dtype) ||
        *end - *begin != elements * tensorDTypeBytes(*dtype))
      return bad("holds " + Twine(*end - *begin) + " bytes, its shape and "
                 "dtype need " + Twine(elements * tensorDTypeBytes(*dtype)));
    entry.begin = file->dataStart + *begin;
    entry.end = file->dataStart + *end;
    file->byName[entry.name] = file->entries.size();
    file->entries.push_back(std::move(entry));
  }
  return file;
}

const TensorEntry *WeightFile::lookup(StringRef name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &entries[it->second];
}

/// Maps bytes [begin, end) of `fd` read-only; the handle unmaps them.
static llvm::Expected<WeightBytes>
mapRange(StringRef path, const std::shared_ptr<FileDescriptor> &fd,
         uint64_t begin, uint64_t end) {
  if (begin == end)
    return WeightBytes();
  static const uint64_t page = sysconf(_SC_PAGESIZE);
  uint64_t start = begin & ~(page - 1);
  size_t length = end - start;
  void *base = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd->fd,
                      static_cast<off_t>(start));
  if (base == MAP_FAILED)
    return fileError(path, "cannot map " + Twine(end - begin) +
                               " bytes: " + std::strerror(errno));
  std::shared_ptr<const void> keep(base, [length, fd](const void *p) {
    ::munmap(const_cast<void *>(p), length);
  });
  return WeightBytes(
      ArrayRef<char>(static_cast<const char *>(base) + (begin - start),
                     end - begin),
      std::move(keep));
}

llvm::Expected<WeightBytes> WeightFile::map(const TensorEntry &entry) const {
  if (!descriptor)
    return fileError(path, "is not open");
  return mapRange(path, descriptor, entry.begin, entry.end);
}

llvm::Expected<std::shared_ptr<const WeightFile>>
WeightFile::open(StringRef path) {
  std::string openPath = path.str();
  {
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    if (auto it = r.redirect.find(path); it != r.redirect.end())
      openPath = it->second; // written by this run, not committed yet
  }
  // (O_NONBLOCK: a FIFO must not block the open; it is refused below.)
  int fd = ::open(openPath.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return fileError(path, std::strerror(errno));
  auto desc = std::make_shared<FileDescriptor>(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0)
    return fileError(path, std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return fileError(path, "not a regular file");
  int64_t mtime = int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  Registry &r = registry();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    auto it = r.open.find(path);
    if (it != r.open.end() && it->second->device == uint64_t(st.st_dev) &&
        it->second->inode == uint64_t(st.st_ino) &&
        it->second->mtimeNs == mtime &&
        it->second->fileSize == uint64_t(st.st_size))
      return it->second;
  }
  uint64_t size = st.st_size;
  std::vector<char> head(std::min<uint64_t>(size, 8));
  if (::pread(fd, head.data(), head.size(), 0) != ssize_t(head.size()))
    return fileError(path, "cannot read the header length");
  if (head.size() == 8) {
    uint64_t len = llvm::support::endian::read64le(head.data());
    if (len <= size - 8 && len <= (100u << 20)) {
      head.resize(8 + len);
      if (::pread(fd, head.data() + 8, len, 8) != ssize_t(len))
        return fileError(path, "cannot read the header");
    }
  }
  llvm::Expected<std::unique_ptr<WeightFile>> parsed =
      parse(path, head, size);
  if (!parsed)
    return parsed.takeError();
  (*parsed)->device = st.st_dev;
  (*parsed)->inode = st.st_ino;
  (*parsed)->mtimeNs = mtime;
  (*parsed)->descriptor = desc;
  std::shared_ptr<const WeightFile> file(std::move(*parsed));
  std::lock_guard<std::mutex> lock(r.mutex);
  // (Another thread may have opened the same file meanwhile: either copy
  // works, each has its own descriptor.)
  r.open[path] = file;
  return file;
}

//===----------------------------------------------------------------------===//
// Lookups
//===----------------------------------------------------------------------===//

static ModuleOp moduleWithWeightFiles(Operation *op) {
  for (; op; op = op->getParentOp())
    if (auto module = dyn_cast<ModuleOp>(op))
      if (module->hasAttr(kWeightFilesAttrName))
        return module;
  return nullptr;
}

SmallVector<std::string> mlir::prune::getWeightFiles(Operation *op) {
  SmallVector<std::string> files;
  ModuleOp module = moduleWithWeightFiles(op);
  if (!module)
    return files;
  if (auto list = module->getAttrOfType<ArrayAttr>(kWeightFilesAttrName))
    for (Attribute a : list)
      if (auto s = dyn_cast<StringAttr>(a))
        files.push_back(s.str());
  return files;
}

namespace {
/// A tensor found in the weight files (or a pending file) of a module.
struct Found {
  std::string path;
  TensorEntry entry;
  std::shared_ptr<const WeightFile> file; // null for a pending file
  std::shared_ptr<FileDescriptor> pendingFd;
};
} // namespace

/// Finds `key` for `owner`'s module; `why` says what failed.
static std::optional<Found> find(Operation *owner, StringRef key,
                                 std::string &why) {
  ModuleOp module = moduleWithWeightFiles(owner);
  if (!module) {
    why = "the module names no weight files (attribute '" +
          kWeightFilesAttrName.str() + "')";
    return std::nullopt;
  }
  auto list = module->getAttrOfType<ArrayAttr>(kWeightFilesAttrName);
  if (!list || !llvm::all_of(list, [](Attribute a) {
        return isa<StringAttr>(a);
      })) {
    why = "attribute '" + kWeightFilesAttrName.str() +
          "' must be an array of file names";
    return std::nullopt;
  }
  Registry &r = registry();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    for (auto &it : r.pending) {
      PendingFile *p = it.second;
      if (p->module != module)
        continue;
      if (auto e = p->entries.find(key); e != p->entries.end())
        return Found{it.first().str(), e->second, nullptr, p->fd};
    }
  }
  for (Attribute a : list) {
    StringRef path = cast<StringAttr>(a).getValue();
    llvm::Expected<std::shared_ptr<const WeightFile>> file =
        WeightFile::open(path);
    if (!file) {
      why = llvm::toString(file.takeError());
      return std::nullopt;
    }
    if (const TensorEntry *entry = (*file)->lookup(key))
      return Found{path.str(), *entry, *file, nullptr};
  }
  why = "no weight file has tensor '" + key.str() + "' (searched ";
  llvm::raw_string_ostream os(why);
  llvm::interleaveComma(list, os, [&](Attribute a) {
    os << "'" << cast<StringAttr>(a).getValue() << "'";
  });
  os << ")";
  return std::nullopt;
}

/// Checks that `entry` holds data of `type`.
static std::string checkFits(const TensorEntry &entry, ShapedType type) {
  if (!dtypeFits(entry.dtype, type.getElementType())) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "tensor '" << entry.name << "' is "
       << tensorDTypeName(entry.dtype) << ", the IR expects "
       << type.getElementType();
    return s;
  }
  unsigned eltBytes = tensorDTypeBytes(entry.dtype);
  if (!type.hasStaticShape() ||
      entry.end - entry.begin !=
          uint64_t(type.getNumElements()) * eltBytes) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << "tensor '" << entry.name << "' has "
       << (entry.end - entry.begin) / eltBytes << " elements, the IR expects "
       << type;
    return s;
  }
  return "";
}

/// `key` for `owner`'s module, checked against `type`; diagnoses at `loc`.
static FailureOr<Found> findChecked(Operation *owner, StringRef key,
                                    ShapedType type, Location loc) {
  std::string why;
  std::optional<Found> found = find(owner, key, why);
  if (!found)
    return emitError(loc) << "weight data of resource '" << key
                          << "' is not in the IR and cannot be found: "
                          << why;
  if (std::string bad = checkFits(found->entry, type); !bad.empty())
    return emitError(loc) << "weight file '" << found->path << "': " << bad;
  return std::move(*found);
}

FailureOr<ExternalTensor>
mlir::prune::findExternalTensor(Operation *owner, StringRef key,
                                ShapedType type, Location loc) {
  FailureOr<Found> found = findChecked(owner, key, type, loc);
  if (failed(found))
    return failure();
  if (!found->file)
    return emitError(loc) << "weight file '" << found->path
                          << "' is still being written";
  return ExternalTensor{found->file, found->entry};
}

bool mlir::prune::hasExternalData(DenseResourceElementsAttr attr,
                                  Operation *owner) {
  if (attr.getRawHandle().getBlob())
    return false;
  std::string why;
  std::optional<Found> found =
      find(owner, attr.getRawHandle().getKey(), why);
  return found && checkFits(found->entry, attr.getType()).empty();
}

FailureOr<WeightBytes> mlir::prune::readExternalWeight(
    DenseResourceElementsAttr attr, Operation *owner, Location loc) {
  FailureOr<Found> found = findChecked(owner, attr.getRawHandle().getKey(),
                                       attr.getType(), loc);
  if (failed(found))
    return failure();
  llvm::Expected<WeightBytes> bytes =
      found->file ? found->file->map(found->entry)
                  : mapRange(found->path, found->pendingFd,
                             found->entry.begin, found->entry.end);
  if (!bytes)
    return emitError(loc) << llvm::toString(bytes.takeError());
  return std::move(*bytes);
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

static constexpr uint64_t kAlign = 64;

static uint64_t alignTo64(uint64_t v) { return (v + kAlign - 1) & ~(kAlign - 1); }

/// The JSON header of `tensors` at data offsets `offsets`, padded with
/// spaces so that 8 + its length is a multiple of 64 (at least `minLength`).
static std::string headerText(ArrayRef<TensorToWrite> tensors,
                              ArrayRef<uint64_t> offsets,
                              uint64_t minLength = 0) {
  llvm::json::Object top;
  top["__metadata__"] = llvm::json::Object{{"producer", "prune-opt"}};
  for (auto [t, offset] : llvm::zip(tensors, offsets)) {
    llvm::json::Array shape;
    for (int64_t d : t.shape)
      shape.push_back(d);
    top[t.name] = llvm::json::Object{
        {"dtype", tensorDTypeName(t.dtype)},
        {"shape", std::move(shape)},
        {"data_offsets", llvm::json::Array{offset, offset + t.bytes}}};
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::json::Value(std::move(top));
  uint64_t length = std::max<uint64_t>(text.size(), minLength);
  length = alignTo64(8 + length) - 8;
  text.resize(length, ' ');
  return text;
}

llvm::Error mlir::prune::writeWeightFile(
    StringRef path, ArrayRef<TensorToWrite> tensors,
    llvm::function_ref<llvm::Expected<WeightBytes>(size_t)> fetch) {
  // The data is contiguous (what strict safetensors readers require), the
  // widest element types first so that every tensor is aligned to its
  // element size (the data starts 64-byte aligned).
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensorDTypeBytes(tensors[a].dtype) >
           tensorDTypeBytes(tensors[b].dtype);
  });
  std::vector<uint64_t> offsets(tensors.size());
  uint64_t at = 0;
  for (size_t i : order) {
    offsets[i] = at;
    at += tensors[i].bytes;
  }
  std::string header = headerText(tensors, offsets);
  llvm::Expected<SafeOutputFile> out = SafeOutputFile::create(path);
  if (!out)
    return out.takeError();
  llvm::raw_ostream &os = out->os();
  char len[8];
  llvm::support::endian::write64le(len, header.size());
  os.write(len, 8);
  os << header;
  for (size_t i : order) {
    const TensorToWrite &t = tensors[i];
    llvm::Expected<WeightBytes> bytes = fetch(i);
    if (!bytes)
      return bytes.takeError();
    if (bytes->size() != t.bytes)
      return fileError(path, "tensor '" + t.name + "' has " +
                                 Twine(bytes->size()) + " bytes, expected " +
                                 Twine(t.bytes));
    os.write(bytes->data(), bytes->size());
  }
  os.flush();
  Registry &r = registry();
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    if (r.deferCommits && out->stagingPath() != "-") {
      // Committed by the tool when the whole run succeeded; read from the
      // staging file until then.
      r.redirect[path] = out->stagingPath().str();
      r.deferred.push_back(std::make_unique<SafeOutputFile>(std::move(*out)));
      return llvm::Error::success();
    }
  }
  return out->commit(); // (reports write errors)
}

void mlir::prune::deferWeightFileCommits() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.deferCommits = true;
}

llvm::Error mlir::prune::commitWeightFiles() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  llvm::Error all = llvm::Error::success();
  for (std::unique_ptr<SafeOutputFile> &out : r.deferred)
    all = llvm::joinErrors(std::move(all), out->commit());
  r.deferred.clear();
  r.redirect.clear();
  return all;
}

void mlir::prune::discardWeightFiles() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (std::unique_ptr<SafeOutputFile> &out : r.deferred)
    out->discard();
  r.deferred.clear();
  r.redirect.clear();
}

/// Header space a WeightWriter reserves at the start of its file; a larger
/// header makes `finish` copy the data once.
static constexpr uint64_t kReservedHeader = 256 << 10;

struct WeightWriter::State {
  std::string path;
  std::shared_ptr<FileDescriptor> fd;
  uint64_t end = kReservedHeader; // where the next tensor goes
  PendingFile pending;
  std::vector<TensorToWrite> tensors;
  std::vector<uint64_t> begins; // absolute
  bool failed = false;
  std::string error;
};

WeightWriter::WeightWriter(ModuleOp module, StringRef passName)
    : module(module), passName(passName.str()) {
  external = !getWeightFiles(module).empty();
}

static void removeFile(StringRef path) { (void)llvm::sys::fs::remove(path); }

/// Creates `<prefix>-XXXXXX.safetensors` (six random hex digits) that did
/// not exist, open for reading and writing. (Not createUniqueFile: it would
/// also replace any '%' in the directory's name.)
static std::error_code createNewFile(StringRef prefix, int &fd,
                                     std::string &path) {
  for (int attempt = 0; attempt < 128; ++attempt) {
    char suffix[16];
    std::snprintf(suffix, sizeof(suffix), "-%06x",
                  unsigned(llvm::sys::Process::GetRandomNumber()) & 0xffffff);
    path = (prefix + suffix + ".safetensors").str();
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0)
      return {};
    if (errno != EEXIST)
      return std::error_code(errno, std::generic_category());
  }
  return std::make_error_code(std::errc::file_exists);
}

/// Deletes a file this process created and forgets it (`r.mutex` held).
static void deleteCreated(Registry &r, StringRef path) {
  r.created.erase(path);
  r.open.erase(path);
  removeFile(path);
}

WeightWriter::~WeightWriter() {
  if (!state)
    return;
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.pending.erase(state->path);
  r.created.erase(state->path);
  removeFile(state->path);
}

static void writeAllAt(int fd, const char *data, size_t size, uint64_t at,
                       bool &failed) {
  while (size > 0 && !failed) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(at));
    if (n <= 0) {
      if (n < 0 && errno == EINTR)
        continue;
      failed = true;
      return;
    }
    data += n;
    size -= n;
    at += n;
  }
}

ElementsAttr WeightWriter::writeBytes(RankedTensorType type,
                                      ArrayRef<char> bytes, StringRef name) {
  MLIRContext *ctx = type.getContext();
  if (!external) {
    size_t align = std::max<size_t>(
        4, type.getElementType().isIndex()
               ? 8
               : std::max(1u, type.getElementTypeBitWidth() / 8));
    AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
        bytes, align, /*dataIsMutable=*/true);
    return DenseResourceElementsAttr::get(type, name, std::move(blob));
  }
  std::lock_guard<std::mutex> lock(mutex);
  if (!state) {
    state = std::make_unique<State>();
    SmallVector<std::string> files = getWeightFiles(module);
    SmallString<256> model(llvm::sys::path::parent_path(files.front()));
    StringRef stem = llvm::sys::path::filename(files.front());
    stem.consume_back(".safetensors");
    // A pass's file: <first file's stem>.<pass>-XXXXXX.safetensors.
    size_t dash = stem.find(".nn-");
    if (dash != StringRef::npos)
      stem = stem.take_front(dash);
    llvm::sys::path::append(model, stem + "." + passName);
    int fd = -1;
    std::string path;
    if (std::error_code ec = createNewFile(model, fd, path)) {
      state->failed = true;
      state->error = "cannot create a weight file like '" +
                     model.str().str() + "': " + ec.message();
    } else {
      state->path = path;
      state->fd = std::make_shared<FileDescriptor>(fd);
      state->pending.module = module;
      state->pending.fd = state->fd;
      Registry &r = registry();
      std::lock_guard<std::mutex> rlock(r.mutex);
      r.pending[state->path] = &state->pending;
      r.created[state->path] = module.getOperation();
    }
  }
  auto handle =
      DenseResourceElementsHandle::getManagerInterface(ctx).insert(name);
  if (state->failed)
    return DenseResourceElementsAttr::get(type, handle);
  std::optional<TensorDType> dtype = tensorDTypeFor(type.getElementType());
  assert(dtype && "element type without a safetensors dtype");
  TensorToWrite t{handle.getKey().str(), *dtype,
                  SmallVector<int64_t>(type.getShape()), bytes.size()};
  uint64_t begin = state->end;
  writeAllAt(state->fd->fd, bytes.data(), bytes.size(), begin, state->failed);
  if (state->failed) {
    state->error = "cannot write '" + state->path + "': " + std::strerror(errno);
    return DenseResourceElementsAttr::get(type, handle);
  }
  state->end = alignTo64(begin + bytes.size());
  TensorEntry entry{t.name, t.dtype, t.shape, begin, begin + bytes.size()};
  {
    Registry &r = registry();
    std::lock_guard<std::mutex> rlock(r.mutex);
    state->pending.entries[t.name] = entry;
  }
  state->tensors.push_back(std::move(t));
  state->begins.push_back(begin);
  return DenseResourceElementsAttr::get(type, handle);
}

/// Converts doubles to `elt` into `out` (little endian).
static void convertFloats(ArrayRef<double> values, Type elt, char *out) {
  if (elt.isF32()) {
    for (size_t i = 0; i < values.size(); ++i) {
      float f = static_cast<float>(values[i]);
      std::memcpy(out + 4 * i, &f, 4);
    }
  } else if (elt.isF64()) {
    for (size_t i = 0; i < values.size(); ++i) {
      double d = static_cast<double>(values[i]);
      std::memcpy(out + 8 * i, &d, 8);
    }
  } else {
    bool bf16 = elt.isBF16();
    for (size_t i = 0; i < values.size(); ++i) {
      uint16_t bits = doubleToHalfBits(static_cast<double>(values[i]), bf16);
      std::memcpy(out + 2 * i, &bits, 2);
    }
  }
}

ElementsAttr WeightWriter::writeFloats(RankedTensorType type,
                                       ArrayRef<double> values,
                                       StringRef name) {
  Type elt = type.getElementType();
  size_t eltBytes = elt.getIntOrFloatBitWidth() / 8;
  std::vector<char> bytes(values.size() * eltBytes);
  convertFloats(values, elt, bytes.data());
  return writeBytes(type, bytes, name);
}

ElementsAttr WeightWriter::writeInts(unsigned bitWidth, bool isIndex,
                                     ArrayRef<int64_t> values,
                                     StringRef name) {
  MLIRContext *ctx = module.getContext();
  Type elt = isIndex ? Type(IndexType::get(ctx))
                     : Type(IntegerType::get(ctx, bitWidth));
  size_t eltBytes = (isIndex ? 64 : bitWidth) / 8;
  auto type =
      RankedTensorType::get({static_cast<int64_t>(values.size())}, elt);
  std::vector<char> bytes(values.size() * eltBytes);
  for (size_t i = 0; i < values.size(); ++i) {
    uint64_t v = static_cast<uint64_t>(values[i]);
    std::memcpy(bytes.data() + i * eltBytes, &v, eltBytes); // little endian
  }
  return writeBytes(type, bytes, name);
}

/// The keys of the blob-less resources `root` refers to, in walk order.
static SmallVector<StringRef> externalKeys(Operation *root) {
  SmallVector<StringRef> keys;
  llvm::StringSet<> seen;
  root->walk([&](Operation *op) {
    op->getAttrDictionary().walk([&](DenseResourceElementsAttr attr) {
      DenseResourceElementsHandle handle = attr.getRawHandle();
      if (!handle.getBlob() && seen.insert(handle.getKey()).second)
        keys.push_back(handle.getKey());
    });
  });
  return keys;
}

/// Removes from `module`'s list, and deletes, the files this process created
/// for it that no blob-less resource of the module resolves to.
static void dropUnclaimedFiles(ModuleOp module) {
  SmallVector<std::string> files = getWeightFiles(module);
  if (files.empty())
    return;
  SmallVector<StringRef> keys = externalKeys(module);
  llvm::StringSet<> claimed;
  for (StringRef key : keys)
    for (const std::string &path : files) {
      llvm::Expected<std::shared_ptr<const WeightFile>> file =
          WeightFile::open(path);
      if (!file) {
        llvm::consumeError(file.takeError());
        claimed.insert(path); // keep what cannot be checked
        continue;
      }
      if ((*file)->lookup(key)) {
        claimed.insert(path);
        break;
      }
    }
  Registry &r = registry();
  SmallVector<Attribute> kept;
  bool changed = false;
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const std::string &path : files) {
    auto it = r.created.find(path);
    if (claimed.contains(path) || it == r.created.end() ||
        it->second != module.getOperation()) {
      kept.push_back(StringAttr::get(module.getContext(), path));
      continue;
    }
    deleteCreated(r, path);
    changed = true;
  }
  if (changed)
    module->setAttr(kWeightFilesAttrName,
                    ArrayAttr::get(module.getContext(), kept));
}

void mlir::prune::dropUnlistedWeightFiles(ModuleOp module,
                                          ArrayRef<std::string> oldFiles) {
  llvm::StringSet<> listed;
  for (const std::string &f : getWeightFiles(module))
    listed.insert(f);
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const std::string &path : oldFiles) {
    auto it = r.created.find(path);
    if (it != r.created.end() && it->second == module.getOperation() &&
        !listed.contains(path) && !r.pending.contains(path))
      deleteCreated(r, path);
  }
}

LogicalResult WeightWriter::finish() {
  std::lock_guard<std::mutex> lock(mutex);
  if (!state)
    return success();
  if (state->failed)
    return module.emitError() << state->error;
  llvm::StringSet<> referenced;
  for (StringRef key : externalKeys(module))
    referenced.insert(key);
  // The tensors still referred to, and the gaps around them as padding
  // tensors (strict readers want the data covered without holes).
  std::vector<TensorToWrite> keep;
  std::vector<uint64_t> offsets;
  uint64_t at = kReservedHeader;
  auto pad = [&](uint64_t upTo) {
    if (upTo <= at)
      return;
    keep.push_back({"__padding_" + std::to_string(keep.size()),
                    TensorDType::U8, {int64_t(upTo - at)}, upTo - at});
    offsets.push_back(at - kReservedHeader);
  };
  bool any = false;
  for (auto [t, begin] : llvm::zip(state->tensors, state->begins)) {
    if (!referenced.contains(t.name))
      continue;
    any = true;
    pad(begin);
    keep.push_back(t);
    offsets.push_back(begin - kReservedHeader);
    at = begin + t.bytes;
  }
  Registry &r = registry();
  auto unregister = [&](bool remove) {
    std::lock_guard<std::mutex> rlock(r.mutex);
    r.pending.erase(state->path);
    if (remove) {
      r.created.erase(state->path);
      removeFile(state->path);
    }
  };
  if (!any) {
    unregister(/*remove=*/true);
    state.reset();
    return success();
  }
  std::string header = headerText(keep, offsets, kReservedHeader - 8);
  if (header.size() + 8 != kReservedHeader) {
    // More tensors than the reserved header holds: write a new file with
    // the data moved up (mapped from this one a tensor at a time).
    std::string from = state->path;
    std::shared_ptr<FileDescriptor> fd = state->fd;
    std::string path;
    int newFd = -1;
    SmallString<256> model(from);
    llvm::sys::path::replace_extension(model, "");
    if (std::error_code ec = createNewFile(model, newFd, path)) {
      unregister(/*remove=*/true);
      state.reset();
      return module.emitError() << "cannot create a weight file like '"
                                << model << "': " << ec.message();
    }
    ::close(newFd);
    std::vector<TensorToWrite> named;
    std::vector<uint64_t> begins;
    for (auto [t, offset] : llvm::zip(keep, offsets))
      if (!StringRef(t.name).starts_with("__padding_")) {
        named.push_back(t);
        begins.push_back(offset + kReservedHeader);
      }
    llvm::Error err = writeWeightFile(path, named, [&](size_t i) {
      return mapRange(from, fd, begins[i], begins[i] + named[i].bytes);
    });
    unregister(/*remove=*/true);
    state.reset();
    if (err) {
      removeFile(path);
      return module.emitError() << llvm::toString(std::move(err));
    }
    std::lock_guard<std::mutex> rlock(r.mutex);
    r.created[path] = module.getOperation();
    state = std::make_unique<State>();
    state->path = path;
  } else {
    char len[8];
    llvm::support::endian::write64le(len, header.size());
    bool failed = ::ftruncate(state->fd->fd, off_t(at)) != 0;
    writeAllAt(state->fd->fd, len, 8, 0, failed);
    writeAllAt(state->fd->fd, header.data(), header.size(), 8, failed);
    if (failed) {
      std::string error = std::strerror(errno);
      unregister(/*remove=*/true);
      std::string path = state->path;
      state.reset();
      return module.emitError()
             << "cannot write '" << path << "': " << error;
    }
    unregister(/*remove=*/false);
  }
  SmallVector<Attribute> list = {
      StringAttr::get(module.getContext(), state->path)};
  if (auto old = module->getAttrOfType<ArrayAttr>(kWeightFilesAttrName))
    llvm::append_range(list, old.getValue());
  module->setAttr(kWeightFilesAttrName,
                  ArrayAttr::get(module.getContext(), list));
  state.reset();
  dropUnclaimedFiles(module);
  return success();
}

LogicalResult mlir::prune::withWeightWriter(ModuleOp module, StringRef passName,
                                           WeightWriter *&slot,
                                           llvm::function_ref<void()> body) {
  WeightWriter writer(module, passName);
  slot = &writer;
  body();
  slot = nullptr;
  return writer.finish();
}

void mlir::prune::removeCreatedWeightFiles() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  SmallVector<std::string> paths;
  for (auto &it : r.created)
    paths.push_back(it.first().str());
  for (const std::string &path : paths)
    deleteCreated(r, path);
}

std::vector<std::string> mlir::prune::takeCreatedWeightFiles(ModuleOp module) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<std::string> taken;
  for (auto &it : r.created)
    if (it.second == module.getOperation())
      taken.push_back(it.first().str());
  for (const std::string &path : taken)
    r.created.erase(path);
  return taken;
}

void mlir::prune::deleteWeightFiles(ArrayRef<std::string> paths) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const std::string &path : paths)
    deleteCreated(r, path);
}

void mlir::prune::removeCreatedWeightFilesAtExit() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  if (r.removeAtExit)
    return;
  r.removeAtExit = true;
  std::atexit([] {
    Registry &r = registry();
    std::lock_guard<std::mutex> lock(r.mutex);
    for (auto &it : r.created)
      removeFile(it.first());
    r.created.clear();
  });
}
