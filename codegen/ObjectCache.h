// The on-disk cache of compiled steps: object files keyed by a hash of everything that
// decides the machine code (the program text, the host CPU and its features, kiln's
// version), so the second start of the same model skips code generation.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace llvm {
class MemoryBuffer;
class MemoryBufferRef;
class Module;
} // namespace llvm

namespace kiln::codegen {

class ObjectCache {
public:
  /// $KILN_CACHE_DIR, else $XDG_CACHE_HOME/kiln, else $HOME/.cache/kiln; empty when
  /// none is set (caching off).
  static std::filesystem::path defaultDirectory();

  /// A cache in `directory` (created on first store); an empty path disables it.
  explicit ObjectCache(std::filesystem::path directory) : directory_(std::move(directory)) {}

  bool enabled() const { return !directory_.empty(); }
  const std::filesystem::path &directory() const { return directory_; }

  /// The cache key of a module: hex BLAKE3 of its bitcode, `salt` (what else decides
  /// the machine code: the optimization pipeline's version, LLVM's), the host CPU name
  /// and features, and kiln's version.
  static std::string key(const llvm::Module &module, std::string_view salt);

  /// The objects stored under `key`, or none (also when the entry is damaged).
  std::vector<std::unique_ptr<llvm::MemoryBuffer>> load(const std::string &key) const;
  /// Stores the objects of one step under `key` (write to a temporary, then rename, so
  /// concurrent processes never read half a file). Failures are ignored: the cache is an
  /// optimization, never a reason to fail a run.
  void store(const std::string &key, const std::vector<std::string> &objects) const;
  /// The file of an entry.
  std::filesystem::path path(const std::string &key) const;

private:
  std::filesystem::path directory_;
};

} // namespace kiln::codegen
