// All-reduces that overlap the rest of a compiled step (issue 14 item 3; Horovod's
// tensor fusion and PyTorch DDP's gradient buckets). The JIT groups the step's all_reduce
// kernels, in program order, into buckets of about JitOptions::bucketBytes
// (codegen/Buckets.h). Each all_reduce copies its operand into its bucket and goes on;
// the one that fills the bucket hands it to a communication thread, which reduces the
// whole bucket in one call and writes every member's result. The step waits for a
// bucket only before the first kernel that reads one of its results.
//
// Every rank runs the same program, so every rank forms the same buckets and hands them
// over in the same order: the collectives match without any negotiation.
#pragma once

#include "kiln/ir/Type.h"

#include <cstdint>

namespace kiln {

/// Adds `count` elements at `in` to bucket `bucket` of the running step (copied before
/// this returns, so `in` may then be reused); the sum over the ranks, or the mean when
/// `mean`, goes to `out` once the bucket is reduced. `closes`: the last member; the bucket
/// is reduced in the background from now on. A single process copies `in` to `out`.
void startBucketedAllReduce(int64_t bucket, const void *in, void *out, int64_t count, DType dtype,
                            bool mean, bool closes);

/// Blocks until bucket `bucket` is reduced and its results are written.
void waitBucket(int64_t bucket);

/// Seconds the calling process has spent in waitBucket (kiln profile's waiting row).
double bucketWaitSeconds();

} // namespace kiln

/// The C symbols compiled steps call (static_cast<int32_t>(DType) for the dtype).
extern "C" void kiln_all_reduce_start(int64_t bucket, const void *in, void *out, int64_t count,
                                      int32_t dtype, int32_t mean, int32_t closes) noexcept;
extern "C" void kiln_all_reduce_wait(int64_t bucket) noexcept;
