// Checkpoints (DESIGN §10): a directory holding
//   model.safetensors        the model's state_dict, with PyTorch's names and layouts
//                            (loads into reference/pytorch_mnist.py with load_state_dict),
//                            and in its metadata the input normalization it expects
//   train_state.safetensors  optimizer moments, the step counter, and in its metadata the
//                            epoch, the run's configuration, history and early-stopping
//                            counters, so `--resume` continues exactly.
// Each file is written atomically; both carry the epoch, and loading refuses a pair whose
// epochs differ (a crash between the two writes).
#pragma once

#include "kiln/runtime/train/Trainer.h"

#include <nlohmann/json_fwd.hpp>
#include <string>

namespace kiln {

inline constexpr const char *kModelFile = "model.safetensors";
inline constexpr const char *kTrainStateFile = "train_state.safetensors";

/// Writes the checkpoint of `state` into directory `dir` (created if needed).
void saveCheckpoint(const std::string &dir, const TrainConfig &config, const RunState &state);

/// The model name recorded in a checkpoint (a directory or a model.safetensors file).
std::string checkpointModel(const std::string &path);

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
