// Which all_reduce stages of a step share a bucket, and where the step waits for each
// bucket (runtime/BucketedAllReduce.h does the reducing).
//
// Buckets are consecutive all_reduce stages of one dtype and reduction, in program
// order, closed once they hold PlanOptions::bucketBytes (0: every all_reduce alone). A
// bucket is waited for right before the first kernel that touches one of its results,
// and all are waited for before the step's final copies; a kernel that needs a result of
// a bucket still filling closes that bucket early. The schedule (passes/KernelSchedule)
// runs all_reduce kernels as early as it can and their readers as late as it can, so the
// kernels in between hide the communication.
#pragma once

#include "kiln/codegen/StepPlan.h"

namespace kiln::codegen {

/// Sets every AllReduce stage's bucket and closesBucket, and plan.waitsBefore and
/// plan.waitsAtEnd.
void planBuckets(StepPlan &plan);

} // namespace kiln::codegen
