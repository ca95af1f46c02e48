// Checkpoints (DESIGN §10): a directory holding one folder per saved epoch, epoch-N/, with
//   model.safetensors        the model's state_dict, with PyTorch's names and layouts
//                            (loads into reference/pytorch_mnist.py with load_state_dict),
//                            and in its metadata the model, the input normalization it
//                            expects and, for a model file, the file's text
//   train_state.safetensors  optimizer moments, the step counter, and in its metadata the
//                            epoch, the run's configuration, history and early-stopping
//                            counters, so `--resume` continues exactly
//   manifest.json            written last: both files' sizes and CRC-32s, the epoch and the
//                            save's sequence number.
// A checkpoint is complete or absent: an epoch folder without its manifest, or whose files
// do not match it, is not one (CheckpointFolder.cpp has the protocol). Readers take the
// newest complete epoch folder; a folder holding the two files itself (written before
// epoch folders) still loads.
#pragma once

#include "kiln/runtime/train/Trainer.h"

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kiln {

inline constexpr const char *kModelFile = "model.safetensors";
inline constexpr const char *kTrainStateFile = "train_state.safetensors";
inline constexpr const char *kManifestFile = "manifest.json";

/// A test seam: called with a step's name ("write model.safetensors", "rename
/// manifest.json", ...) before each step of writing a checkpoint; it may throw (or end
/// the process) to interrupt the write there.
using CheckpointStepHook = std::function<void(std::string_view step)>;

/// The files of one complete checkpoint.
struct CheckpointFiles {
  std::string dir; ///< the epoch folder (or, for the one-folder layout, the checkpoint folder)
  std::string model, trainState;
  int64_t epoch = -1;    ///< from the manifest; -1 for the one-folder layout
  uint64_t sequence = 0; ///< the save's number in its folder; 0 for the one-folder layout
};

/// The newest complete checkpoint in `dir`: `dir` itself if it is an epoch folder, else
/// its complete epoch folder of the highest sequence number, else the files of the
/// one-folder layout. kiln::Error if there is none (naming why the newest one found is
/// incomplete).
CheckpointFiles findCheckpoint(const std::string &dir);

/// The model file a checkpoint path names: a file is itself, a folder the model file of
/// its newest complete checkpoint. What kiln eval, kiln predict and --init read.
std::string checkpointModelFile(const std::string &path);

/// Writes the checkpoint of `state` (epoch state.epochsDone) into directory `dir`
/// (created if needed), complete or not at all, and removes the older ones;
/// `modelSource` is a model file's text (ModelSpec::source), kept beside its path.
/// kiln::Error, before anything is written, if a tensor holds a NaN or an infinity.
void saveCheckpoint(const std::string &dir, const TrainConfig &config, const RunState &state,
                    const std::string &modelSource = {}, const CheckpointStepHook &hook = {});

/// The model name recorded in a checkpoint (a directory or a model.safetensors file).
std::string checkpointModel(const std::string &path);

/// The model `kiln eval` and `kiln predict` use for a checkpoint: `model` when given,
/// else the one the checkpoint records. A model file comes from the text the checkpoint
/// keeps, so the checkpoint works after the file has moved or changed (a note on stderr
/// says when it has); checkpoints written before the text was kept read the file.
ModelSpec checkpointModelSpec(const std::string &path, const std::optional<std::string> &model);

/// The input normalization a checkpoint's model was trained with (metadata 'kiln.norm'
/// of its model file); MNIST's 0.1307 / 0.3081 for files without it (older checkpoints,
/// PyTorch's).
Normalization checkpointNormalization(const std::string &path);

/// Loads only the model's state_dict from `path` (a checkpoint directory or any
/// safetensors file with PyTorch names) into `store`, checking names, dtypes and shapes
/// against the graph's model state. kiln::Error says precisely what does not match.
void loadModelState(const std::string &path, const Graph &graph, ParamStore &store);

/// The configuration a checkpoint directory was trained with (only its train state is
/// read): `--resume` builds its step graph from it, so the optimizer state fits.
TrainConfig checkpointConfig(const std::string &dir);
TrainConfig checkpointConfig(const CheckpointFiles &files);

/// Loads a whole checkpoint for `--resume` (the newest complete one of `dir`): model
/// state, optimizer state, epoch, history and early stopping. Refuses files of different
/// models or epochs, a negative step counter or epoch, and non-finite tensors. Returns
/// the configuration it was saved with (JSON) so the caller can continue with the same
/// settings.
nlohmann::json loadCheckpoint(const std::string &dir, const Graph &trainGraph, RunState &state);
nlohmann::json loadCheckpoint(const CheckpointFiles &files, const Graph &trainGraph,
                              RunState &state);

/// The TrainConfig as JSON and back (the checkpoint's record of how it was made).
nlohmann::json configToJson(const TrainConfig &config);
TrainConfig configFromJson(const nlohmann::json &json);

} // namespace kiln
