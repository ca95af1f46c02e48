// The whole DSL in one include: values, modules, layers, losses, models and the zoo.
#pragma once

#include "kiln/frontend/Attention.h"
#include "kiln/frontend/Functional.h"
#include "kiln/frontend/GraphModel.h"
#include "kiln/frontend/Layers.h"
#include "kiln/frontend/Loss.h"
#include "kiln/frontend/Models.h"
#include "kiln/frontend/Module.h"
#include "kiln/frontend/Norm.h"
#include "kiln/frontend/Recurrent.h"
#include "kiln/frontend/SequenceModels.h"
#include "kiln/frontend/Tracer.h"
#include "kiln/frontend/Value.h"
#include "kiln/frontend/Zoo.h"
