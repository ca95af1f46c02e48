// Crash-safe file output: every file kiln writes (checkpoints, histories, charts, images)
// goes through a temporary file in the target's directory that is fsync'ed and renamed
// over the target, so a reader sees either the old file or the complete new one, never a
// torn write.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace kiln {

/// Receives the bytes of a file being written atomically; buffers them and writes them to
/// the temporary file. Write failures throw kiln::Error.
class ByteSink {
public:
  virtual ~ByteSink() = default;
  /// Appends `bytes` to the file.
  virtual void write(std::string_view bytes) = 0;
};

/// Replaces `path` with `bytes` atomically: writes a temporary file in the same directory,
/// fsyncs it, renames it over `path` and fsyncs the directory. On failure the temporary
/// file is removed, an existing `path` is left untouched, and a kiln::Error
/// `path: what failed (strerror)` is thrown.
void writeFileAtomically(const std::string &path, std::string_view bytes);

/// Streaming variant: `produce` writes the contents through the sink. If `produce` throws,
/// the temporary file is removed and the exception propagates; `path` is untouched.
/// `beforeRename`, if given, runs when the temporary file is complete and fsync'ed, just
/// before it is renamed over `path`: a test seam for interrupting a write there (if it
/// throws, the temporary file is removed and `path` is untouched).
void writeFileAtomically(const std::string &path,
                         const std::function<void(ByteSink &sink)> &produce,
                         const std::function<void()> &beforeRename = {});

/// fsyncs directory `dir`, so that renames and new entries in it survive a crash;
/// kiln::Error `dir: ...` on failure (a filesystem without directory fsync is fine).
void fsyncDirectory(const std::string &dir);

/// Makes sure `dir` exists (creating it and its parents if missing) and is a writable
/// directory; throws kiln::Error `dir: ...` otherwise.
void ensureWritableDir(const std::string &dir);

} // namespace kiln
