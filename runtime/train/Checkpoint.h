// Checkpoints (DESIGN §10): a directory holding
//   model.safetensors        the model's state_dict, with PyTorch's names and layouts
//                            (loads into reference/pytorch_mnist.py with load_state_dict),
//                            and in its metadata the model, the input normalization it
//                            expects and, for a model file, the file's text
//   train_state.safetensors  optimizer moments, the step counter, and in its metadata the
//                            epoch, the run's configuration, history and early-stopping
//                            counters, so `--resume` continues exactly.
// Each file is written atomically; both carry the epoch, and loading refuses a pair whose
// epochs differ (a crash between the two writes).
#pragma once

#include "kiln/runtime/train/Trainer.h"

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

namespace kiln {

inline constexpr const char *kModelFile = "model.safetensors";
inline constexpr const char *kTrainStateFile = "train_state.safetensors";

/// Writes the checkpoint of `state` into directory `dir` (created if needed);
/// `modelSource` is a model file's text (ModelSpec::source), kept beside its path.
void saveCheckpoint(const std::string &dir, const TrainConfig &config, const RunState &state,
                    const std::string &modelSource = {});

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

/// Loads a whole checkpoint directory for `--resume`: model state, optimizer state,
/// epoch, history and early stopping. Returns the configuration it was saved with (JSON)
/// so the caller can continue with the same settings.
nlohmann::json loadCheckpoint(const std::string &dir, const Graph &trainGraph, RunState &state);

/// The TrainConfig as JSON and back (the checkpoint's record of how it was made).
nlohmann::json configToJson(const TrainConfig &config);
TrainConfig configFromJson(const nlohmann::json &json);

} // namespace kiln
