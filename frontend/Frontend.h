// The whole DSL in one include: values, modules, layers, losses, models and the zoo.
#pragma once

#include "frontend/Attention.h"
#include "frontend/Functional.h"
#include "frontend/Layers.h"
#include "frontend/Loss.h"
#include "frontend/Models.h"
#include "frontend/Module.h"
#include "frontend/Norm.h"
#include "frontend/Recurrent.h"
#include "frontend/Tracer.h"
#include "frontend/Value.h"
#include "frontend/Zoo.h"
