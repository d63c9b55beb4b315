//===- SafeOutput.h - Outputs that never destroy a user's file --*- C++ -*-===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//
//
// Every file prune-opt's tools and passes write goes through here, so that a
// failed run leaves every existing file exactly as it was:
//
//  - a regular file (or a new path) is written to a temporary file in the
//    same directory and renamed over the target only on success, keeping the
//    target's permissions;
//  - a symbolic link is followed: its target is what gets written (by the
//    rules here), the link itself stays;
//  - anything else that exists (a character device such as /dev/null, a
//    FIFO, a socket) is written through, never replaced: the content is
//    staged in a temporary file and copied into it on success;
//  - a directory is refused up front; "-" is standard output.
//
//===----------------------------------------------------------------------===//

#ifndef PRUNE_OPT_UTILS_SAFEOUTPUT_H
#define PRUNE_OPT_UTILS_SAFEOUTPUT_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"

#include <memory>
#include <optional>
#include <string>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir::prune {

/// An output whose target changes only when `commit()` succeeds. Destroying
/// it without a commit removes the staging file and leaves the target alone.
class SafeOutputFile {
public:
  /// Prepares to write `path`. Fails (without touching anything) when `path`
  /// is a directory or its directory cannot hold a temporary file.
  static llvm::Expected<SafeOutputFile> create(llvm::StringRef path);

  SafeOutputFile(SafeOutputFile &&other);
  SafeOutputFile &operator=(SafeOutputFile &&other) = delete;
  ~SafeOutputFile();

  /// Where the content goes before the commit: a temporary file's path, or
  /// "-" for standard output. Writers may open it by name.
  llvm::StringRef stagingPath() const { return staging; }
  /// A stream on the staging file (or stdout), for writers that stream.
  llvm::raw_ostream &os();

  /// Moves the content to the target by the rules above.
  llvm::Error commit();
  /// Drops the content; the target stays as it was.
  void discard();

private:
  SafeOutputFile() = default;

  enum class Kind { Stdout, Rename, WriteThrough };
  Kind kind = Kind::Stdout;
  std::string target;  // the path to rename over / write into
  std::string staging; // the temporary (or "-")
  std::optional<llvm::sys::fs::TempFile> temp;
  std::optional<llvm::sys::fs::perms> keepPerms;
  std::unique_ptr<llvm::raw_ostream> stream;
};

/// Writes `path` through a SafeOutputFile: `write` fills the stream; the
/// target changes only if it and the commit succeed.
llvm::Error
writeFileSafely(llvm::StringRef path,
                llvm::function_ref<llvm::Error(llvm::raw_ostream &)> write);

} // namespace mlir::prune

#endif // PRUNE_OPT_UTILS_SAFEOUTPUT_H
