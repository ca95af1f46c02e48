#include "kiln/codegen/Buckets.h"

#include <algorithm>
#include <cstdint>

namespace kiln::codegen {

namespace {

/// Where a value's bytes are while the step runs; two extents that overlap share memory.
struct Extent {
  Storage storage;
  int64_t bytes = 0;

  bool overlaps(const Extent &other) const {
    if (storage.kind != other.storage.kind)
      return false;
    switch (storage.kind) {
    case StorageKind::Argument:
      return storage.slot == other.storage.slot;
    case StorageKind::Arena:
      return storage.offset < other.storage.offset + other.bytes &&
             other.storage.offset < storage.offset + bytes;
    case StorageKind::Global:
    case StorageKind::Virtual:
      return false;
    }
    return false;
  }
};

struct Bucket {
  DType dtype = DType::F32;
  bool mean = false;
  int64_t bytes = 0;
  size_t lastStage = 0;
  std::vector<Extent> results;
  bool closed = false, waited = false;
};

int64_t bytesOf(const Graph &graph, ValueId v) {
  const Type &t = graph.type(v);
  return t.numElements() * static_cast<int64_t>(dtypeSize(t.dtype));
}

} // namespace

void planBuckets(StepPlan &plan) {
  const Graph &graph = *plan.graph;
  std::vector<Bucket> buckets;
  constexpr size_t kNone = SIZE_MAX;
  size_t open = kNone; // the bucket still taking members
  auto close = [&](size_t b) {
    buckets[b].closed = true;
    plan.stages[buckets[b].lastStage].closesBucket = true;
    if (open == b)
      open = kNone;
  };
  plan.waitsBefore.assign(plan.kernelNames.size(), {});
  size_t s = 0;
  for (size_t k = 0; k < plan.kernelNames.size(); ++k) {
    // Before kernel k: the buckets holding a result it touches.
    for (const StepPlan::Access &a : plan.access[k]) {
      Extent touched{a.storage, bytesOf(graph, a.value)};
      for (size_t b = 0; b < buckets.size(); ++b) {
        Bucket &bucket = buckets[b];
        if (bucket.waited || std::none_of(bucket.results.begin(), bucket.results.end(),
                                          [&](const Extent &r) { return r.overlaps(touched); }))
          continue;
        if (!bucket.closed)
          close(b);
        bucket.waited = true;
        plan.waitsBefore[k].push_back(static_cast<int64_t>(b));
      }
    }
    for (; s < plan.stages.size() && plan.stages[s].kernel == static_cast<int>(k); ++s) {
      Stage &stage = plan.stages[s];
      if (stage.kind != StageKind::AllReduce)
        continue;
      const Node &node = graph.node(stage.value);
      bool mean = node.attrs.getString("reduction") == "mean";
      if (open != kNone && (buckets[open].dtype != node.type.dtype || buckets[open].mean != mean))
        close(open);
      if (open == kNone) {
        open = buckets.size();
        buckets.emplace_back();
        buckets.back().dtype = node.type.dtype;
        buckets.back().mean = mean;
      }
      Bucket &bucket = buckets[open];
      stage.bucket = static_cast<int64_t>(open);
      bucket.lastStage = s;
      bucket.bytes += bytesOf(graph, stage.value);
      bucket.results.push_back({plan.storage(stage.value, s), bytesOf(graph, stage.value)});
      if (bucket.bytes >= plan.options.bucketBytes)
        close(open);
    }
  }
  if (open != kNone)
    close(open);
  plan.waitsAtEnd.clear();
  for (size_t b = 0; b < buckets.size(); ++b)
    if (!buckets[b].waited)
      plan.waitsAtEnd.push_back(static_cast<int64_t>(b));
}

} // namespace kiln::codegen
