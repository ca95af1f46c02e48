// Models read from textual IR. A model file holds the model's forward graph as
// `kiln ir MODEL --stage forward` prints it (edited, or written by hand), optionally
// followed by its eval-mode graph (`kiln ir MODEL --stage model` prints both): one input
// of examples f32[B, sample...], one output f32[B, classes], states that carry their
// initialisers. kiln compiles such a file like any other model, at any batch size.
#pragma once

#include "kiln/frontend/Zoo.h"

#include <string>
#include <string_view>

namespace kiln {

/// The model in `path` (a classifier named after the file's stem). Fails with
/// kiln::Error naming the file on anything that does not parse (FILE:LINE:COL) or is not
/// a model: not one f32 input of rank >= 2, not one output f32[B, classes >= 2], an
/// eval-mode graph whose input, output or states differ from the forward graph's, more
/// than two graphs.
ModelSpec graphModel(const std::string &path);

/// The model whose file `path` holds `text` (a checkpoint's copy of a model file that
/// may since have moved or changed), with graphModel's checks and errors.
ModelSpec graphModelText(std::string text, const std::string &path);

/// True when `name` names a model file (it ends in ".kir") rather than a zoo model.
bool isModelFile(std::string_view name);

/// The model a command line names: a model file, or a zoo model.
ModelSpec resolveModel(const std::string &name);

} // namespace kiln
