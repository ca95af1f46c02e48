// kiln's public API in one include: the DSL (values, modules, layers, losses, the zoo),
// the step graphs, executors and the trainer.
#pragma once

#include "kiln/frontend/Frontend.h"
#include "kiln/runtime/train/Experiment.h"
#include "kiln/runtime/train/StepGraphs.h"
#include "kiln/runtime/train/Trainer.h"
