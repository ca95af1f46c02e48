// kiln's public API in one include: the DSL (values, modules, layers, losses, the zoo),
// compiling a model into a training step or a predictor, data sets, the Trainer, and the
// experiments with their checkpoints and reports.
#pragma once

#include "kiln/frontend/Frontend.h"
#include "kiln/runtime/data/DataLoader.h"
#include "kiln/runtime/data/Dataset.h"
#include "kiln/runtime/data/Mnist.h"
#include "kiln/runtime/train/Checkpoint.h"
#include "kiln/runtime/train/Compile.h"
#include "kiln/runtime/train/Experiment.h"
#include "kiln/runtime/train/Trainer.h"
