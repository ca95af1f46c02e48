// The checkpoint folder's layout and its commit protocol (used by Checkpoint.cpp; the
// public side, findCheckpoint and checkpointModelFile, is declared in Checkpoint.h).
#pragma once

#include "kiln/runtime/train/Checkpoint.h"

#include <functional>
#include <string>
#include <vector>

namespace kiln {

/// One file of a checkpoint: its name in the epoch folder and how to write it atomically
/// to `path`, calling `beforeRename` when the temporary file is complete.
struct CheckpointPart {
  std::string name;
  std::function<void(const std::string &path, const std::function<void()> &beforeRename)> write;
};

/// Writes `parts` as the checkpoint of `epoch` in `dir` (created if needed), complete or
/// not at all:
///   1. an earlier folder epoch-N (another run's, or an interrupted write) is renamed aside,
///      so that whatever it holds stays as it was;
///   2. dir/epoch-N is created and each part written into it atomically;
///   3. manifest.json, naming every part with its size and CRC-32 and the save's sequence
///      number (one more than any in `dir`), is written last, atomically: the commit;
///   4. every other checkpoint in `dir` (older epoch folders, folders set aside, the
///      files of the one-folder layout) is removed.
/// `hook` (a test seam) is called before each step with its name, and from inside each
/// atomic write before its rename; whatever it does there (throw, _exit) leaves `dir`
/// with the previous checkpoint or the new one complete.
void writeCheckpointFolder(const std::string &dir, int64_t epoch,
                           const std::vector<CheckpointPart> &parts,
                           const CheckpointStepHook &hook);

} // namespace kiln
