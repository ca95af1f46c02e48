// A checkpoint folder holds one folder per saved epoch, epoch-N/, with the model file, the
// train state and, written last, manifest.json naming both with their sizes and CRC-32s.
// An epoch folder counts only when its manifest is there and its files match it, so a
// crash at any point leaves the previous checkpoint or the new one, never a mixed pair:
//   1. find the next sequence number (one more than any manifest in the folder);
//   2. set aside an existing epoch-N (rename), so it stays complete if it was;
//   3. create epoch-N and write each file into it atomically (temp file, fsync, rename);
//   4. write manifest.json atomically: from here on epoch-N is the newest checkpoint;
//   5. remove every other checkpoint of the folder.
// Readers take the complete folder of the highest sequence number; the sequence, not the
// epoch, orders them, because a new run may save epoch 1 over a folder holding epoch 10.
// A folder holding model.safetensors and train_state.safetensors itself (checkpoints
// written before epoch folders) is read as one checkpoint older than any epoch folder.
#include "kiln/runtime/train/CheckpointFolder.h"

#include "kiln/ir/Error.h"
#include "kiln/runtime/io/AtomicFile.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>

namespace kiln {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char *kManifestFormat = "kiln-checkpoint-2";
const std::regex kEpochFolder("epoch-[0-9]+");
const std::regex kSetAsideFolder("\\.replaced-epoch-[0-9]+-[0-9]+");

struct FileDigest {
  uint64_t bytes = 0;
  uint32_t crc = 0;
};

/// Size and CRC-32 of a file; nullopt if it cannot be read.
std::optional<FileDigest> digestOf(const fs::path &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  FileDigest d;
  uLong crc = ::crc32(0L, Z_NULL, 0);
  std::vector<char> buffer(size_t(1) << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    std::streamsize n = in.gcount();
    crc = ::crc32_z(crc, reinterpret_cast<const Bytef *>(buffer.data()), static_cast<z_size_t>(n));
    d.bytes += static_cast<uint64_t>(n);
  }
  if (in.bad())
    return std::nullopt;
  d.crc = static_cast<uint32_t>(crc);
  return d;
}

/// The manifest of `folder`, or nullopt when it has none or it is not JSON.
std::optional<json> readManifest(const fs::path &folder) {
  std::ifstream in(folder / kManifestFile, std::ios::binary);
  if (!in)
    return std::nullopt;
  try {
    return json::parse(in);
  } catch (const json::exception &) {
    return std::nullopt;
  }
}

/// "" if `folder` is a complete checkpoint by its manifest, else why not.
std::string checkComplete(const fs::path &folder, const json &manifest, CheckpointFiles &out) {
  try {
    if (manifest.at("format").get<std::string>() != kManifestFormat)
      return fmt::format("{}: unknown format '{}'", kManifestFile,
                         manifest.at("format").get<std::string>());
    const json &files = manifest.at("files");
    for (const char *name : {kModelFile, kTrainStateFile}) {
      if (!files.contains(name))
        return fmt::format("{} does not name {}", kManifestFile, name);
      std::optional<FileDigest> d = digestOf(folder / name);
      if (!d)
        return fmt::format("{} is missing", name);
      const json &want = files.at(name);
      if (d->bytes != want.at("bytes").get<uint64_t>() ||
          d->crc != want.at("crc32").get<uint32_t>())
        return fmt::format("{} is not the file {} names (size or CRC-32 differ)", name,
                           kManifestFile);
    }
    out.dir = folder.string();
    out.model = (folder / kModelFile).string();
    out.trainState = (folder / kTrainStateFile).string();
    out.epoch = manifest.at("epoch").get<int64_t>();
    out.sequence = manifest.at("sequence").get<uint64_t>();
    return "";
  } catch (const json::exception &e) {
    return fmt::format("{}: {}", kManifestFile, e.what());
  }
}

uint64_t sequenceOf(const json &manifest) {
  try {
    return manifest.at("sequence").get<uint64_t>();
  } catch (const json::exception &) {
    return 0;
  }
}

/// The folders of `dir` that have a manifest, newest (highest sequence) first.
std::vector<std::pair<fs::path, json>> manifestFolders(const fs::path &dir) {
  std::vector<std::pair<fs::path, json>> found;
  std::error_code ec;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory(ec))
      if (std::optional<json> manifest = readManifest(entry.path()))
        found.emplace_back(entry.path(), std::move(*manifest));
  std::sort(found.begin(), found.end(), [](const auto &a, const auto &b) {
    return sequenceOf(a.second) > sequenceOf(b.second);
  });
  return found;
}

/// Whether `entry` of a checkpoint folder is one of the names kiln writes there: an epoch
/// folder, one set aside, or a file (or its temporary file) of the one-folder layout.
bool isCheckpointEntry(const fs::path &entry) {
  std::string name = entry.filename().string();
  if (std::regex_match(name, kEpochFolder) || std::regex_match(name, kSetAsideFolder))
    return true;
  for (std::string file : {kModelFile, kTrainStateFile})
    if (name == file || name.rfind("." + file + ".tmp-", 0) == 0)
      return true;
  return false;
}

} // namespace

CheckpointFiles findCheckpoint(const std::string &dir) {
  if (!fs::is_directory(dir))
    fail("{}: not a checkpoint directory (kiln train writes one as <out>/checkpoint)", dir);
  CheckpointFiles files;
  if (std::optional<json> own = readManifest(dir)) { // an epoch folder itself
    if (std::string why = checkComplete(dir, *own, files); !why.empty())
      fail("{}: incomplete checkpoint: {}", dir, why);
    return files;
  }
  std::string newestIncomplete;
  for (const auto &[folder, manifest] : manifestFolders(dir)) {
    std::string why = checkComplete(folder, manifest, files);
    if (why.empty())
      return files;
    if (newestIncomplete.empty())
      newestIncomplete = fmt::format(" ({}: {})", folder.string(), why);
  }
  fs::path legacyModel = fs::path(dir) / kModelFile;
  if (fs::exists(legacyModel)) {
    files.dir = dir;
    files.model = legacyModel.string();
    files.trainState = (fs::path(dir) / kTrainStateFile).string();
    files.epoch = -1;
    files.sequence = 0;
    return files;
  }
  fail("{}: no complete checkpoint (an epoch-N folder holding {}, {} and {}){}", dir, kModelFile,
       kTrainStateFile, kManifestFile, newestIncomplete);
}

std::string checkpointModelFile(const std::string &path) {
  return fs::is_directory(path) ? findCheckpoint(path).model : path;
}

void writeCheckpointFolder(const std::string &dir, int64_t epoch,
                           const std::vector<CheckpointPart> &parts,
                           const CheckpointStepHook &hook) {
  auto step = [&](const std::string &name) {
    if (hook)
      hook(name);
  };
  ensureWritableDir(dir);
  uint64_t sequence = 1;
  std::vector<std::pair<fs::path, json>> existing = manifestFolders(dir);
  if (!existing.empty())
    sequence = sequenceOf(existing.front().second) + 1;

  std::string name = fmt::format("epoch-{}", epoch);
  fs::path folder = fs::path(dir) / name;
  std::error_code ec;
  if (fs::exists(fs::symlink_status(folder, ec))) {
    step("set aside " + name);
    fs::path aside = fs::path(dir) / fmt::format(".replaced-{}-{}", name, sequence);
    fs::remove_all(aside, ec);
    fs::rename(folder, aside, ec);
    if (ec)
      fail("{}: cannot move the earlier {} aside ({})", dir, name, ec.message());
    fsyncDirectory(dir);
  }
  step("create " + name);
  fs::create_directory(folder, ec);
  if (ec)
    fail("{}: cannot create directory ({})", folder.string(), ec.message());
  fsyncDirectory(dir);

  json files = json::object();
  for (const CheckpointPart &part : parts) {
    step("write " + part.name);
    fs::path path = folder / part.name;
    part.write(path.string(), [&] { step("rename " + part.name); });
    std::optional<FileDigest> d = digestOf(path);
    if (!d)
      fail("{}: cannot read back the file just written", path.string());
    files[part.name] = {{"bytes", d->bytes}, {"crc32", d->crc}};
  }
  json manifest = {{"format", kManifestFormat},
                   {"sequence", sequence},
                   {"epoch", epoch},
                   {"files", std::move(files)}};
  step(std::string("write ") + kManifestFile);
  std::string text = manifest.dump(2) + "\n";
  writeFileAtomically((folder / kManifestFile).string(), [&](ByteSink &sink) { sink.write(text); },
                      [&] { step(std::string("rename ") + kManifestFile); });

  // The new checkpoint is complete; the others are garbage. One left behind by a crash
  // here is older than the new one, and the next save removes it.
  std::vector<fs::path> garbage;
  for (const fs::directory_entry &entry : fs::directory_iterator(dir, ec))
    if (entry.path().filename() != folder.filename() && isCheckpointEntry(entry.path()))
      garbage.push_back(entry.path());
  std::sort(garbage.begin(), garbage.end());
  for (const fs::path &path : garbage) {
    step("remove " + path.filename().string());
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
}

} // namespace kiln
