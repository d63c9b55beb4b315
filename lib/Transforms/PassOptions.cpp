//===- PassOptions.cpp - Checks shared by the passes' option parsing ------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Transforms/Passes.h"

using namespace mlir;

LogicalResult mlir::prune::rejectEmptyOptionValues(
    StringRef options, StringRef pass,
    function_ref<LogicalResult(const Twine &)> onError) {
  // Top-level `key=value` items are separated by spaces; values may hold
  // nested `{...}`, quoted strings and commas (list options).
  size_t i = 0, n = options.size();
  while (i < n) {
    while (i < n && options[i] == ' ')
      ++i;
    size_t start = i;
    int depth = 0;
    char quote = 0;
    for (; i < n; ++i) {
      char c = options[i];
      if (quote) {
        if (c == quote)
          quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '{') {
        ++depth;
      } else if (c == '}') {
        --depth;
      } else if (c == ' ' && depth == 0) {
        break;
      }
    }
    StringRef item = options.slice(start, i);
    auto [key, value] = item.split('=');
    if (item.contains('=') && value.trim().empty())
      return onError(pass + ": option '" + key.trim() + "' needs a value");
  }
  return success();
}
