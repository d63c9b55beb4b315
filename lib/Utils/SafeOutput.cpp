//===- SafeOutput.cpp - Outputs that never destroy a user's file ----------===//
//
// Part of the prune-opt project.
//
//===----------------------------------------------------------------------===//

#include "prune-opt/Utils/SafeOutput.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace mlir::prune;

static Error fail(const Twine &path, const Twine &why) {
  return createStringError(inconvertibleErrorCode(),
                           "cannot write '" + path + "': " + why);
}

Expected<SafeOutputFile> SafeOutputFile::create(StringRef path) {
  SafeOutputFile out;
  if (path == "-") {
    out.kind = Kind::Stdout;
    out.staging = "-";
    return std::move(out);
  }
  if (path.empty())
    return fail(path, "empty file name");

  sys::fs::file_status st;
  std::error_code ec = sys::fs::status(path, st, /*Follow=*/true);
  bool exists = !ec;
  if (ec && ec != std::errc::no_such_file_or_directory)
    return fail(path, ec.message());
  bool dangling = false;
  if (!exists) {
    // A symbolic link whose target does not exist yet: writing by name
    // creates the target and keeps the link.
    sys::fs::file_status lst;
    dangling = !sys::fs::status(path, lst, /*Follow=*/false) &&
               lst.type() == sys::fs::file_type::symlink_file;
  }

  SmallString<256> model;
  if (exists && st.type() == sys::fs::file_type::directory_file)
    return fail(path, "it is a directory");
  if (dangling || (exists && st.type() != sys::fs::file_type::regular_file)) {
    // Devices, FIFOs, sockets, dangling links: written through, never
    // replaced. The content is staged in the system's temporary directory.
    out.kind = Kind::WriteThrough;
    out.target = path.str();
    sys::path::system_temp_directory(/*ErasedOnReboot=*/true, model);
    sys::path::append(model, "prune-opt-%%%%%%%%.tmp");
  } else {
    // A regular file (through any links) or a new path: renamed over on
    // success, so the target is never seen half written.
    out.kind = Kind::Rename;
    SmallString<256> real;
    if (exists && !sys::fs::real_path(path, real))
      out.target = std::string(real);
    else
      out.target = path.str();
    if (exists)
      out.keepPerms = st.permissions();
    StringRef dir = sys::path::parent_path(out.target);
    model = dir.empty() ? "." : dir;
    sys::path::append(model, "." + sys::path::filename(out.target) +
                                 ".tmp-%%%%%%%%");
  }
  Expected<sys::fs::TempFile> temp = sys::fs::TempFile::create(model);
  if (!temp)
    return fail(path, toString(temp.takeError()));
  out.staging = temp->TmpName;
  out.temp.emplace(std::move(*temp));
  return std::move(out);
}

SafeOutputFile::SafeOutputFile(SafeOutputFile &&other)
    : kind(other.kind), target(std::move(other.target)),
      staging(std::move(other.staging)), keepPerms(other.keepPerms),
      stream(std::move(other.stream)) {
  if (other.temp) {
    temp.emplace(std::move(*other.temp));
    other.temp.reset();
  }
}

SafeOutputFile::~SafeOutputFile() { discard(); }

raw_ostream &SafeOutputFile::os() {
  if (kind == Kind::Stdout || !temp)
    return outs();
  if (!stream)
    stream = std::make_unique<raw_fd_ostream>(temp->FD, /*shouldClose=*/false);
  return *stream;
}

void SafeOutputFile::discard() {
  if (stream) {
    if (auto *fd = static_cast<raw_fd_ostream *>(stream.get()))
      fd->clear_error();
    stream.reset();
  }
  if (temp) {
    consumeError(temp->discard());
    temp.reset();
  }
}

Error SafeOutputFile::commit() {
  if (kind == Kind::Stdout) {
    outs().flush();
    return Error::success();
  }
  if (!temp)
    return fail(target, "the output was already committed or discarded");
  if (stream) {
    auto *fd = static_cast<raw_fd_ostream *>(stream.get());
    fd->flush();
    if (std::error_code ec = fd->error()) {
      fd->clear_error();
      discard();
      return fail(target, ec.message());
    }
    stream.reset();
  }
  if (kind == Kind::Rename) {
    if (keepPerms)
      (void)sys::fs::setPermissions(temp->FD, *keepPerms);
    Error err = temp->keep(target);
    temp.reset();
    if (err)
      return fail(target, toString(std::move(err)));
    return Error::success();
  }
  // Write through: copy the staged bytes into the existing node.
  auto staged = MemoryBuffer::getFile(staging, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false);
  if (!staged) {
    discard();
    return fail(target, staged.getError().message());
  }
  std::error_code ec;
  raw_fd_ostream dst(target, ec, sys::fs::OF_None);
  if (ec) {
    discard();
    return fail(target, ec.message());
  }
  dst << (*staged)->getBuffer();
  dst.close();
  std::error_code werr = dst.error();
  dst.clear_error();
  discard();
  if (werr)
    return fail(target, werr.message());
  return Error::success();
}

Error mlir::prune::writeFileSafely(
    StringRef path, function_ref<Error(raw_ostream &)> write) {
  Expected<SafeOutputFile> out = SafeOutputFile::create(path);
  if (!out)
    return out.takeError();
  if (Error err = write(out->os())) {
    out->discard();
    return err;
  }
  return out->commit();
}
