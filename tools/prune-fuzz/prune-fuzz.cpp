//===- prune-fuzz.cpp - libFuzzer target for prune-opt's passes -----------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Built only with -DPRUNE_OPT_FUZZ=ON (scripts/fuzz.sh). An input is
//
//   <pass pipeline, no anchor>\n<MLIR text>
//
// e.g. `nn-prune{sparsity=0.5},nn-sparsify{format=csr}` then a module. The
// module is parsed with every dialect prune-opt registers and the pipeline
// is run on it; every error is a diagnostic (captured, a bounded amount
// kept, never printed). Anything else (a sanitizer report, an assertion, a
// signal, an allocation over -rss_limit_mb) is a bug the fuzzer reports.
//
// Only prune-opt's own passes and pipelines may appear in the pipeline, at
// the top level. Left out: nn-calibrate (it JITs the model: far too slow
// per input), the passes that read or write weight files (nn-store-weights,
// nn-embed-weights, nn-external-weight-loads), the nn-lower-gpu pipeline
// (it runs clang on the device code) and any `json` option (nn-report
// would write files).
//
//===----------------------------------------------------------------------===//

#include "prune-opt/InitAll.h"
#include "prune-opt/Utils/WeightData.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

using namespace mlir;

namespace {

DialectRegistry *registry;

/// Diagnostics kept per input (the rest is only counted).
constexpr size_t kMaxDiagBytes = 4096;

/// The top-level passes a pipeline may name.
constexpr llvm::StringLiteral kAllowedPasses[] = {"nn-prune",
                                                  "nn-sparsify",
                                                  "nn-report",
                                                  "nn-shrink-channels",
                                                  "nn-fold-weight-transposes",
                                                  "nn-dense-loop-order",
                                                  "nn-split-empty-tensors",
                                                  "nn-unit-slice-strides",
                                                  "nn-export-c-interface",
                                                  "nn-vectorize-pooling",
                                                  "nn-flatten-elementwise",
                                                  "nn-stack-buffers",
                                                  "nn-drop-tensor-deallocs",
                                                  "nn-tosa-consts-to-arith",
                                                  "nn-zero-size-globals",
                                                  "nn-strip-annotations",
                                                  "nn-lower-kernels",
                                                  "nn-lower-gpu-calls",
                                                  "nn-lower-cpu"};

/// Whether `name` is one of kAllowedPasses.
bool isAllowedPass(llvm::StringRef name) {
  return llvm::is_contained(kAllowedPasses, name);
}

/// The allowed passes that run on a func.func (the others run on the
/// module).
bool isFunctionPass(llvm::StringRef name) {
  return llvm::is_contained({"nn-dense-loop-order", "nn-split-empty-tensors",
                             "nn-unit-slice-strides", "nn-export-c-interface",
                             "nn-vectorize-pooling", "nn-flatten-elementwise",
                             "nn-stack-buffers", "nn-drop-tensor-deallocs",
                             "nn-tosa-consts-to-arith"},
                            name);
}

/// True when `pipeline` is a comma-separated list of allowed passes, each
/// with an optional `{options}` (braces balanced, no nesting in parens).
/// The pipeline to run, with the function passes nested in `func.func(..)`,
/// goes to `nested`.
bool isAllowedPipeline(llvm::StringRef pipeline, std::string *nested) {
  if (pipeline.contains("json"))
    return false;
  while (!pipeline.empty()) {
    size_t end = 0, depth = 0;
    for (; end < pipeline.size(); ++end) {
      char c = pipeline[end];
      if (c == '{')
        ++depth;
      else if (c == '}') {
        if (depth == 0)
          return false;
        --depth;
      } else if (c == '(' && depth == 0)
        return false;
      else if (c == ',' && depth == 0)
        break;
    }
    if (depth != 0)
      return false;
    llvm::StringRef element = pipeline.take_front(end).trim();
    llvm::StringRef name = element.take_until([](char c) { return c == '{'; });
    if (!isAllowedPass(name.trim()))
      return false;
    *nested += nested->empty() ? "" : ",";
    *nested += isFunctionPass(name.trim())
                   ? ("func.func(" + element + ")").str()
                   : element.str();
    pipeline = pipeline.drop_front(std::min(end + 1, pipeline.size()));
  }
  return true;
}

/// What MLIR's lexer skips between tokens: whitespace and NUL bytes that
/// are not the end of the buffer.
const llvm::StringRef kLexerBlanks(" \t\n\v\f\r\0", 7);

/// Inputs that reach crashes of upstream MLIR 22 (not ours) that would
/// otherwise swamp the run; each is documented in docs/UserGuide.md
/// ("Sanitizers and fuzzing").
/// True when `text` starts with what DenseI64ArrayAttr::parse accepts
/// (`[` integers `]`), or the generic `array<` form.
bool isI64ListOrArray(llvm::StringRef text) {
  text = text.ltrim(kLexerBlanks);
  if (text.starts_with("array<"))
    return true;
  if (!text.consume_front("["))
    return false;
  text = text.ltrim(kLexerBlanks);
  if (text.consume_front("]"))
    return true;
  while (true) {
    text.consume_front("-");
    size_t digits = 0;
    while (digits < text.size() && llvm::isDigit(text[digits]))
      ++digits;
    if (digits == 0 || digits > 18)
      return false;
    text = text.drop_front(digits).ltrim(kLexerBlanks);
    if (text.consume_front("]"))
      return true;
    if (!text.consume_front(","))
      return false;
    text = text.ltrim(kLexerBlanks);
  }
}

bool hitsKnownUpstreamCrash(llvm::StringRef pipeline, llvm::StringRef source) {
  // linalg.transpose/broadcast/reduce's custom parser stores a null
  // attribute when the list after `permutation =` / `dimensions =` does not
  // parse (e.g. `permutation = nan[1, 0]`), then dereferences it.
  for (llvm::StringRef keyword : {"permutation", "dimensions"}) {
    for (size_t pos = source.find(keyword); pos != llvm::StringRef::npos;
         pos = source.find(keyword, pos + 1)) {
      llvm::StringRef rest =
          source.drop_front(pos + keyword.size()).ltrim(kLexerBlanks);
      if (rest.consume_front("=") && !isI64ListOrArray(rest))
        return true;
    }
  }
  // Block-sparse encodings ((i floordiv 4 : dense, j : compressed,
  // i mod 4 : dense)) segfault the upstream sparsifier in
  // AffineMap::compose; test/Upstream/bsr-4x1.test pins the bug.
  if (pipeline.contains("nn-lower-cpu") &&
      source.contains("sparse_tensor.encoding") &&
      (source.contains("floordiv") || source.contains(" mod ")))
    return true;
  return false;
}

} // namespace

// Structure-aware mutations. Byte mutations of MLIR text mostly make it
// unparsable; a quarter of the time a new pipeline line is drawn from the
// passes' options and interesting values instead, a quarter of the time one
// number in the module is replaced by an interesting one (a weight value,
// a dimension), else libFuzzer mutates the bytes.
extern "C" size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t maxSize);

namespace {

std::string randomPipeline(std::mt19937 &rng) {
  auto pick = [&](llvm::ArrayRef<const char *> xs) {
    return std::string(xs[rng() % xs.size()]);
  };
  const char *numbers[] = {"0", "1", "2", "3", "4", "7", "8", "16", "-1",
                           "0.5", "0.9", "0.99", "1e-9", "64", "4096"};
  auto option = [&](llvm::StringRef pass) -> std::string {
    if (pass == "nn-prune") {
      switch (rng() % 11) {
      case 9:
        return pick({"budget-bytes=", "budget-latency="}) +
               pick({"0.05", "0.25", "0.5", "1", "2", "1e-9"});
      case 10:
        return "budget-value-types=" + pick({"f32", "i8", "f32,bf16,f16,i8"});
      case 0:
        return "sparsity=" + pick({"0", "0.25", "0.5", "0.9", "0.999"});
      case 1:
        return "criterion=" +
               pick({"magnitude", "random", "obd", "wanda", "sparsegpt", "obs",
                     "activation", "entropy"});
      case 2:
        return "pattern=" + pick({"unstructured", "nm", "block", "channel"});
      case 3:
        return "n=" + pick(numbers) + " m=" + pick(numbers);
      case 4:
        return "block=" + pick(numbers) + "x" + pick(numbers);
      case 5:
        return "scope=" + pick({"layer", "global", "adaptive"});
      case 6:
        return "min-elements=" + pick(numbers);
      case 7:
        return "refit=" + pick({"none", "lsq"});
      default:
        return "layer-sparsity=w0:" + pick({"0", "0.5", "0.9"});
      }
    }
    if (pass == "nn-sparsify") {
      switch (rng() % 7) {
      case 4:
        return "value-type=" + pick({"f32", "bf16", "f16", "i8", "auto"});
      case 5:
        return "objective=" + pick({"size", "latency"});
      case 6:
        return "margin=" + pick({"0", "0.1", "0.99", "5"});
      case 0:
        return "format=" + pick({"auto", "dense", "csr", "bitmask", "bsr", "nm",
                                 "csr-window"});
      case 2:
        return "csr-tiled-batch=" + pick({"0", "1", "8"});
      case 1:
        return "index-width=" + pick({"0", "8", "16", "32", "64"});
      default:
        return "min-sparsity=" + pick({"0", "0.3", "0.9"});
      }
    }
    if (pass == "nn-lower-kernels")
      return pick({"dense=false", "dense=true", "csr-tiled-batch=0",
                   "csr-tiled-batch=1", "fuse-epilogue=false"});
    if (pass == "nn-lower-cpu")
      return pick({"vl=0", "vl=4", "kernels=0",
                   "enable-index-optimizations=true"});
    if (pass == "nn-shrink-channels")
      return pick({"zero-only=true", "zero-only=false"});
    if (pass == "nn-report")
      return "table=false";
    if (pass == "nn-stack-buffers")
      return "max-buffer-bytes=" + pick({"0", "64", "32768", "4294967296"});
    return "";
  };
  std::string pipeline;
  unsigned count = 1 + rng() % 4;
  for (unsigned i = 0; i < count; ++i) {
    // nn-prune and nn-sparsify (the first two) take three times their
    // share: they have the most options.
    size_t n = std::size(kAllowedPasses);
    size_t r = rng() % (n + 4);
    std::string pass = kAllowedPasses[r < n ? r : r % 2].str();
    std::string opts;
    for (unsigned j = rng() % 3; j > 0; --j) {
      std::string o = option(pass);
      if (!o.empty())
        opts += (opts.empty() ? "" : " ") + o;
    }
    pipeline += (pipeline.empty() ? "" : ",") + pass +
                (opts.empty() ? "" : "{" + opts + "}");
  }
  return pipeline;
}

/// Replaces one number of `source` by an interesting value.
std::string replaceNumber(llvm::StringRef source, std::mt19937 &rng) {
  llvm::SmallVector<std::pair<size_t, size_t>> numbers;
  for (size_t i = 0; i < source.size();) {
    if (llvm::isDigit(source[i]) &&
        (i == 0 || !(llvm::isAlnum(source[i - 1]) || source[i - 1] == '_' ||
                     source[i - 1] == '%' || source[i - 1] == '#'))) {
      size_t j = i;
      while (j < source.size() &&
             (llvm::isDigit(source[j]) || source[j] == '.' ||
              source[j] == 'e' || source[j] == '-' || source[j] == '+'))
        ++j;
      numbers.push_back({i, j - i});
      i = j;
    } else {
      ++i;
    }
  }
  if (numbers.empty())
    return source.str();
  auto [pos, len] = numbers[rng() % numbers.size()];
  const char *values[] = {"0", "1", "2", "3", "5", "16", "17", "0.0",
                          "-0.0", "1.0e+38", "1.0e-45", "-3.5", "65536",
                          "0x7FC00000", "0x7F800000", "4294967296"};
  return (source.take_front(pos) + values[rng() % std::size(values)] +
          source.drop_front(pos + len))
      .str();
}

} // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size,
                                          size_t maxSize, unsigned seed) {
  std::mt19937 rng(seed);
  unsigned choice = rng() % 4;
  if (choice >= 2)
    return LLVMFuzzerMutate(data, size, maxSize);
  llvm::StringRef input(reinterpret_cast<const char *>(data), size);
  auto [pipeline, source] = input.split('\n');
  std::string out = choice == 0
                        ? randomPipeline(rng) + "\n" + source.str()
                        : pipeline.str() + "\n" + replaceNumber(source, rng);
  if (out.size() > maxSize)
    return LLVMFuzzerMutate(data, size, maxSize);
  memcpy(data, out.data(), out.size());
  return out.size();
}

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  // nn-lower-cpu builds its pipeline from upstream pass names.
  registerAllPasses();
  prune::registerAllPruneOptPasses();
  registry = new DialectRegistry();
  prune::registerAllUpstream(*registry);
  prune::registerPruneOptDialects(*registry);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef input(reinterpret_cast<const char *>(data), size);
  auto [pipeline, source] = input.split('\n');
  pipeline = pipeline.trim();
  std::string nested;
  if (!isAllowedPipeline(pipeline, &nested) ||
      hitsKnownUpstreamCrash(pipeline, source))
    return -1; // not added to the corpus

  MLIRContext context(*registry, MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  context.printStackTraceOnDiagnostic(false);
  std::string diagnostics;
  size_t numDiagnostics = 0;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    ++numDiagnostics;
    if (diagnostics.size() < kMaxDiagBytes) {
      llvm::raw_string_ostream os(diagnostics);
      os << diag << "\n";
    }
    return success();
  });

  // A copy: the lexer reads up to a NUL after the text (libFuzzer's buffer
  // has none), and an empty StringRef with a null data pointer would equal
  // the parser's "no code completion" location (nullptr) and crash it.
  std::string text = source.str();
  // What the tools reject before the parser
  // (prune::checkResourceBlobAlignments).
  if (failed(prune::checkResourceBlobAlignments(
          *llvm::MemoryBuffer::getMemBuffer(text, "input",
                                            /*RequiresNullTerminator=*/false),
          llvm::nulls())))
    return 0;
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(
      llvm::StringRef(text.c_str(), text.size()), ParserConfig(&context));
  if (!module)
    return 0;

  PassManager pm(&context);
  std::string pipelineErrors;
  llvm::raw_string_ostream errs(pipelineErrors);
  if (failed(parsePassPipeline(nested, pm, errs)))
    return -1;
  (void)pm.run(*module);
  if (std::getenv("PRUNE_FUZZ_VERBOSE"))
    llvm::errs() << "diagnostics (" << numDiagnostics << "):\n"
                 << diagnostics;
  return 0;
}
