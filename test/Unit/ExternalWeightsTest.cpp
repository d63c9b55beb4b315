//===- ExternalWeightsTest.cpp - safetensors files and the WeightWriter ---===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// The reader must reject every malformed header with a message (never read
// outside the file); files written by writeWeightFile and by a WeightWriter
// read back bit for bit and are contiguous safetensors.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Utils/ExternalWeights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::prune;

namespace {

/// A file image: header length, header text, then `data`.
std::vector<char> image(const std::string &header, size_t dataBytes,
                        int64_t lengthOverride = -1) {
  std::vector<char> out(8);
  llvm::support::endian::write64le(
      out.data(), lengthOverride >= 0 ? uint64_t(lengthOverride)
                                      : uint64_t(header.size()));
  out.insert(out.end(), header.begin(), header.end());
  out.resize(out.size() + dataBytes, 1);
  return out;
}

std::string parseError(const std::vector<char> &bytes) {
  auto file = WeightFile::parse("t.safetensors", bytes, bytes.size());
  if (file)
    return "";
  return llvm::toString(file.takeError());
}

TEST(SafetensorsHeader, AcceptsAWellFormedFile) {
  auto bytes = image(R"({"a":{"dtype":"F32","shape":[2,3],)"
                     R"("data_offsets":[0,24]},"__metadata__":{"k":"v"}})",
                     24);
  auto file = WeightFile::parse("t.safetensors", bytes, bytes.size());
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  const TensorEntry *a = (*file)->lookup("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, TensorDType::F32);
  EXPECT_EQ(a->shape, (SmallVector<int64_t>{2, 3}));
  EXPECT_EQ(a->begin, bytes.size() - 24);
  EXPECT_EQ(a->end, bytes.size());
  EXPECT_EQ((*file)->lookup("__metadata__"), nullptr);
}

TEST(SafetensorsHeader, RejectsMalformedHeaders) {
  struct Case {
    std::vector<char> bytes;
    const char *message;
  } cases[] = {
      {{1, 2, 3}, "too short"},
      {image("{}", 0, int64_t(1) << 40), "does not fit the file"},
      {image("{}", 0, 100), "does not fit the file"},
      {image("{\"a\":", 0), "bad header JSON"},
      {image("[1,2]", 0), "not a JSON object"},
      {image(R"({"a":3})", 0), "not a JSON object"},
      {image(R"({"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})", 1),
       "unsupported or missing dtype 'F8'"},
      {image(R"({"a":{"dtype":"F32","shape":[1]}})", 4), "data_offsets"},
      {image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}})", 4),
       "outside the file's data"},
      {image(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 4),
       "outside the file's data"},
      {image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4),
       "its shape and dtype need 8"},
      {image(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
       "bad dimension"},
      {image(R"({"a":{"dtype":"F32","shape":[1099511627776,1099511627776],)"
             R"("data_offsets":[0,4]}})",
             4),
       "shape too large"},
      {image(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4),
       "bad dimension"},
      // The JSON parser recurses: deep nesting is refused before it.
      {image(std::string(100000, '[') + std::string(100000, ']'), 0),
       "nested deeper than a safetensors header"},
      {image(R"({"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,)"
             R"(1],"data_offsets":[0,4]}})",
             4),
       "more than 16 dimensions"},
  };
  for (const Case &c : cases) {
    std::string error = parseError(c.bytes);
    EXPECT_NE(error.find(c.message), std::string::npos)
        << "expected '" << c.message << "', got '" << error << "'";
  }
}

struct TempDir {
  SmallString<128> path;
  TempDir() {
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("prune-ext", path));
  }
  ~TempDir() { (void)llvm::sys::fs::remove_directories(path); }
  std::string file(StringRef name) const {
    SmallString<128> p(path);
    llvm::sys::path::append(p, name);
    return p.str().str();
  }
};

TEST(SafetensorsFile, WriteThenReadIsExactAndContiguous) {
  TempDir dir;
  std::string path = dir.file("w.safetensors");
  std::vector<float> f = {1.5f, -2.0f, 3.25f};
  std::vector<int8_t> b = {7, -3, 1, 0, 5};
  std::vector<double> d = {0.125, -1e300};
  std::vector<TensorToWrite> tensors = {
      {"f", TensorDType::F32, {3}, 12},
      {"b", TensorDType::I8, {5}, 5},
      {"d", TensorDType::F64, {2}, 16}};
  std::vector<ArrayRef<char>> data = {
      {reinterpret_cast<const char *>(f.data()), 12},
      {reinterpret_cast<const char *>(b.data()), 5},
      {reinterpret_cast<const char *>(d.data()), 16}};
  llvm::Error err = writeWeightFile(path, tensors, [&](size_t i) {
    return llvm::Expected<WeightBytes>(WeightBytes(data[i]));
  });
  ASSERT_FALSE(bool(err)) << llvm::toString(std::move(err));
  auto file = WeightFile::open(path);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ((*file)->getDataStart() % 64, 0u);
  // Contiguous, widest first (every tensor aligned to its element size).
  const TensorEntry *ef = (*file)->lookup("f"), *eb = (*file)->lookup("b"),
                    *ed = (*file)->lookup("d");
  ASSERT_TRUE(ef && eb && ed);
  EXPECT_EQ(ed->begin, (*file)->getDataStart());
  EXPECT_EQ(ef->begin, ed->end);
  EXPECT_EQ(eb->begin, ef->end);
  EXPECT_EQ(eb->end, (*file)->getFileSize());
  for (auto [entry, bytes] :
       {std::pair(ef, data[0]), std::pair(eb, data[1]),
        std::pair(ed, data[2])}) {
    auto mapped = (*file)->map(*entry);
    ASSERT_TRUE(bool(mapped)) << llvm::toString(mapped.takeError());
    EXPECT_EQ(mapped->getBytes(), bytes);
  }
}

TEST(SafetensorsFile, OpenReportsMissingAndChangedFiles) {
  TempDir dir;
  auto missing = WeightFile::open(dir.file("nope.safetensors"));
  ASSERT_FALSE(bool(missing));
  EXPECT_NE(llvm::toString(missing.takeError()).find("No such file"),
            std::string::npos);
  // A file rewritten under the same name is read again, not served from
  // the cache.
  std::string path = dir.file("w.safetensors");
  for (float v : {1.0f, 2.0f}) {
    std::vector<TensorToWrite> t = {{"x", TensorDType::F32, {1}, 4}};
    ASSERT_FALSE(bool(writeWeightFile(path, t, [&](size_t) {
      return llvm::Expected<WeightBytes>(
          WeightBytes({reinterpret_cast<const char *>(&v), 4}));
    })));
    auto file = WeightFile::open(path);
    ASSERT_TRUE(bool(file));
    auto bytes = (*file)->map(*(*file)->lookup("x"));
    ASSERT_TRUE(bool(bytes));
    float read;
    std::memcpy(&read, bytes->data(), 4);
    EXPECT_EQ(read, v);
  }
}

/// A module whose weight file is `name` (an empty safetensors file) in a
/// fresh directory.
struct ExternalModule {
  TempDir dir;
  std::string input;
  MLIRContext ctx;
  OpBuilder b{&ctx};
  ModuleOp module;
  explicit ExternalModule(StringRef name) : input(dir.file(name)) {
    std::vector<TensorToWrite> none;
    EXPECT_FALSE(bool(writeWeightFile(input, none, [](size_t) {
      return llvm::Expected<WeightBytes>(WeightBytes());
    })));
    ctx.loadDialect<arith::ArithDialect>();
    module = ModuleOp::create(b.getUnknownLoc());
    module->setAttr(kWeightFilesAttrName,
                    b.getArrayAttr({b.getStringAttr(input)}));
  }
  ~ExternalModule() { module->erase(); }
};

TEST(WeightWriter, SpillsToANewFileAndListsItFirst) {
  ExternalModule m("in.safetensors");
  std::string &input = m.input;
  OpBuilder &b = m.b;
  ModuleOp module = m.module;
  auto type = RankedTensorType::get({2, 2}, b.getF32Type());
  {
    WeightWriter writer(module, "nn-test");
    ASSERT_TRUE(writer.isExternal());
    ElementsAttr kept =
        writer.writeFloats(type, ArrayRef<double>{1, 2, 3, 4}, "kept");
    (void)writer.writeFloats(type, ArrayRef<double>{5, 6, 7, 8}, "dropped");
    ElementsAttr ints = writer.writeInts(16, false, {-1, 2, 300}, "ints");
    b.setInsertionPointToEnd(module.getBody());
    auto c1 = arith::ConstantOp::create(b, b.getUnknownLoc(),
                                        cast<TypedAttr>(kept));
    arith::ConstantOp::create(b, b.getUnknownLoc(), cast<TypedAttr>(ints));
    // Readable before the pass ends.
    FailureOr<WeightBytes> bytes = readExternalWeight(
        cast<DenseResourceElementsAttr>(c1.getValue()), c1, c1.getLoc());
    ASSERT_TRUE(succeeded(bytes));
    EXPECT_EQ(bytes->size(), 16u);
    ASSERT_TRUE(succeeded(writer.finish()));
  }
  SmallVector<std::string> files = getWeightFiles(module);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1], input);
  StringRef created = files[0];
  EXPECT_TRUE(created.contains(".nn-test-")) << created.str();
  auto file = WeightFile::open(created);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  // Only what the module refers to is in the header (the rest is padding).
  EXPECT_EQ((*file)->lookup("dropped"), nullptr);
  const TensorEntry *kept = (*file)->lookup("kept");
  ASSERT_NE(kept, nullptr);
  auto data = (*file)->map(*kept);
  ASSERT_TRUE(bool(data));
  float values[4];
  std::memcpy(values, data->data(), 16);
  EXPECT_EQ(values[0], 1.0f);
  EXPECT_EQ(values[3], 4.0f);
  const TensorEntry *ints = (*file)->lookup("ints");
  ASSERT_NE(ints, nullptr);
  EXPECT_EQ(ints->dtype, TensorDType::I16);
  // Every byte of the data is covered by some entry (strict readers).
  uint64_t covered = 0;
  for (const TensorEntry &e : (*file)->getEntries())
    covered += e.end - e.begin;
  EXPECT_EQ(covered, (*file)->getFileSize() - (*file)->getDataStart());
}

TEST(WeightWriter, ManyTensorsOutgrowTheReservedHeader) {
  // ~6000 entries do not fit the header space the writer reserves: the
  // file is written again with the data moved up, and reads back.
  ExternalModule m("in%d.safetensors"); // (a '%' in the name)
  TempDir &dir = m.dir;
  OpBuilder &b = m.b;
  ModuleOp module = m.module;
  auto type = RankedTensorType::get({2}, b.getF32Type());
  constexpr int kCount = 6000;
  {
    WeightWriter writer(module, "nn-test");
    b.setInsertionPointToEnd(module.getBody());
    for (int i = 0; i < kCount; ++i)
      arith::ConstantOp::create(
          b, b.getUnknownLoc(),
          cast<TypedAttr>(writer.writeFloats(
              type, ArrayRef<double>{double(i), -double(i)},
              "tensor_with_a_long_name_" + std::to_string(i))));
    ASSERT_TRUE(succeeded(writer.finish()));
  }
  SmallVector<std::string> files = getWeightFiles(module);
  ASSERT_EQ(files.size(), 2u);
  EXPECT_TRUE(StringRef(files[0]).starts_with(dir.file("in%d.nn-test-")))
      << files[0];
  auto file = WeightFile::open(files[0]);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ((*file)->getEntries().size(), size_t(kCount));
  // (Rewritten: the data no longer starts at the reserved 256 KiB.)
  EXPECT_GT((*file)->getDataStart(), uint64_t(256) << 10);
  const TensorEntry *last =
      (*file)->lookup("tensor_with_a_long_name_" + std::to_string(kCount - 1));
  ASSERT_NE(last, nullptr);
  auto data = (*file)->map(*last);
  ASSERT_TRUE(bool(data));
  float v[2];
  std::memcpy(v, data->data(), 8);
  EXPECT_EQ(v[0], float(kCount - 1));
  EXPECT_EQ(v[1], -float(kCount - 1));
  // Only the final file remains beside the input.
  std::error_code ec;
  int count = 0;
  for (llvm::sys::fs::directory_iterator it(dir.path, ec), end;
       !ec && it != end; it.increment(ec))
    ++count;
  EXPECT_EQ(count, 2);
}

} // namespace
