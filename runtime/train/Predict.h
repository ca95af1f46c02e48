// `kiln predict`: classify images with a trained checkpoint. Images come from PNG files
// (any colour type, read as grey) or IDX image files holding many; each must have the
// size the model takes. Probabilities are the softmax of the eval-mode logits.
#pragma once

#include "kiln/runtime/data/DataLoader.h"
#include "kiln/runtime/train/Executor.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kiln {

struct PredictOptions {
  /// The model; by default the one the checkpoint records.
  std::optional<std::string> model;
  Backend backend = Backend::Jit;
  /// How many classes to report per image, most probable first.
  int64_t top = 3;
  /// The pixels' normalization the model was trained with.
  Normalization norm;
};

struct Prediction {
  std::string source; ///< "seven.png", or "digits-idx3-ubyte[17]" for image 17 of a file
  std::vector<std::pair<int, double>> classes; ///< (class, probability), most probable first
};

/// Classifies every image of `files` with the model of `checkpoint`. Every file is read
/// and checked (a PNG or an IDX file of images of the model's size) before the model is
/// compiled; kiln::Error names the file and what does not fit.
std::vector<Prediction> predictImages(const std::string &checkpoint,
                                      const std::vector<std::string> &files,
                                      const PredictOptions &options);

} // namespace kiln
