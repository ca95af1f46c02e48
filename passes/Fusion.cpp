// fuse: partitions a graph into kernels under the rules of FusionRules.cpp.
//
// Algorithm (consumer-driven, like XLA's instruction fusion):
//   1. Walk the live computations from last to first, so every user of a node has its
//      kernel when the node is placed. Inputs, state and constant data are buffers.
//   2. Recompute what is cheap: an inline source (splat constant, iota) is copied into
//      every kernel that reads it; a re-indexing layout op (broadcast, reshape,
//      transpose, slice, one_hot) that is not a result is copied into every kernel that
//      reads it when the rules allow it in each. Its operand is then read by all of them,
//      so an expensive operand is computed once into a buffer: a value needed by two
//      kernels is computed once unless recomputing it costs no more than reading it.
//      The same holds for a small index-only expression: at most kMaxIndexOnlyOps
//      elementwise ops over inline sources, scalars and random_uniform (a counter-based
//      draw, DESIGN §5) — a dropout mask is recomputed in the backward kernel from the
//      step counter rather than stored from the forward pass; and for an expression
//      over one buffer of at most kRecomputeBudget (an activation's intermediate
//      values, recomputed by its gradient from its input).
//   3. Otherwise join one kernel that reads the node: the kernels are tried from the
//      earliest in program order, and the first whose rules still hold with the node
//      added, and which does not depend on another reader of the node (that would be a
//      cycle), takes it. An epilogue of a contraction or pooling op (elementwise ops over
//      its result) joins no reduction kernel: it waits for its op, to run inside that
//      op's kernel while the results are in cache. Other readers read its buffer (a multi-output kernel). A node
//      no kernel can take starts a kernel of its own.
//   4. Merge producer and consumer kernels: for each kernel P and each kernel C that
//      reads a buffer P writes, in program order, merge them when the rules hold for the
//      union and no third kernel lies on a path from P to C; repeat until nothing
//      merges. This catches what the backward walk cannot: a consumer that was placed
//      first and reads several producers (batch-norm normalization and running
//      statistics next to the statistics, the loss gradient next to the loss).
//   5. Order the kernels (KernelSchedule.h): data dependences, plus "readers of a
//      state's old value run before the kernel that writes its new value" wherever that
//      adds no cycle (so the update can be done in place), choosing among ready kernels
//      the one that adds the fewest live bytes.
#include "kiln/passes/Fusion.h"

#include "kiln/passes/DCE.h"
#include "kiln/passes/FusionRules.h"
#include "kiln/passes/KernelSchedule.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <set>

namespace kiln {

using fusion::NodeClass;
using fusion::nodeClass;

namespace {

/// The largest index-only expression recomputed in each kernel that reads it.
constexpr int kMaxIndexOnlyOps = 4;

/// The largest expression over one buffer recomputed in each kernel that reads it, in
/// units of a cheap op (a costly one counts kCostlyOp): below this, recomputing costs
/// less than storing the value and reading it back. Measured on vit (GELU's polynomial,
/// about 30 ops, with its dropout): recomputing all of it in the gradient leaves the
/// forward 1 store instead of 9 but makes the gradient's loop scalar (the dropout mask's
/// Philox draw is a call), a net loss; with 8 the step is as fast as before the rule.
constexpr int kRecomputeBudget = 8;
constexpr int kCostlyOp = 4;

class Fuser {
public:
  explicit Fuser(const Graph &graph)
      : g_(graph), live_(liveValues(graph)), kernelsOf_(graph.size()), users_(graph.size()),
        result_(graph.size(), false), statesUpdatedBy_(graph.size()) {
    for (size_t i = 0; i < g_.size(); ++i)
      if (live_[i])
        for (ValueId o : g_.node(static_cast<ValueId>(i)).operands)
          users_[o].push_back(static_cast<ValueId>(i));
    for (const Output &o : g_.outputs())
      result_[o.value] = true;
    for (const Update &u : g_.updates()) {
      result_[u.value] = true;
      statesUpdatedBy_[u.value].push_back(u.state);
    }
    countIndexOnlyOps();
    findEpilogues();
    findCheapTrees();
  }

  FusionPlan run() {
    for (size_t i = g_.size(); i-- > 0;)
      place(static_cast<ValueId>(i));
    mergeAll();
    return finish();
  }

private:
  struct Group {
    std::vector<ValueId> members; ///< sorted
    std::set<int> succ;           ///< groups that read a buffer this one writes
  };

  /// indexOnlyOps_[v]: the elementwise ops in v's expression when each element of v
  /// depends only on its index (inline sources, scalars, random_uniform); a huge
  /// number otherwise.
  void countIndexOnlyOps() {
    constexpr int kNot = 1 << 20;
    indexOnlyOps_.assign(g_.size(), kNot);
    for (size_t i = 0; i < g_.size(); ++i) {
      const Node &node = g_.node(static_cast<ValueId>(i));
      NodeClass cls = nodeClass(node);
      bool scalar = node.type.numElements() == 1;
      if (cls == NodeClass::Inline ||
          ((cls == NodeClass::Argument || cls == NodeClass::ConstantData) && scalar)) {
        indexOnlyOps_[i] = 0;
        continue;
      }
      if (cls != NodeClass::Elementwise && node.op != OpKind::Broadcast)
        continue;
      int ops = cls == NodeClass::Elementwise ? 1 : 0;
      for (ValueId o : node.operands) {
        // A scalar read costs one load per kernel, whatever computed it.
        bool scalarRead = g_.type(o).numElements() == 1 && node.op != OpKind::RandomUniform;
        ops += scalarRead ? 0 : indexOnlyOps_[o];
      }
      if (node.op == OpKind::RandomUniform)
        ops = 1 + (nodeClass(g_.node(node.operands[0])) == NodeClass::Argument ? 0 : kNot);
      indexOnlyOps_[i] = std::min(ops, kNot);
    }
  }

  /// epilogue_[v]: v is elementwise and computed, through elementwise ops of its shape,
  /// from a contraction or window result of that shape: it can run inside that op's
  /// kernel, on each block of results while they are in cache.
  void findEpilogues() {
    epilogue_.assign(g_.size(), false);
    for (size_t i = 0; i < g_.size(); ++i) {
      const Node &node = g_.node(static_cast<ValueId>(i));
      if (nodeClass(node) != NodeClass::Elementwise || node.op == OpKind::RandomUniform)
        continue;
      for (ValueId o : node.operands)
        if (g_.type(o).shape == node.type.shape &&
            (isAnchor(g_.node(o).op) || epilogue_[o]))
          epilogue_[i] = true;
    }
  }

  /// cheapTree_[v]: v is elementwise and its expression down to buffers (through
  /// elementwise ops and re-indexing layout ops, stopping at contraction epilogues)
  /// reads at most one buffer that is not a scalar and costs at most kRecomputeBudget.
  void findCheapTrees() {
    cheapTree_.assign(g_.size(), false);
    for (size_t i = 0; i < g_.size(); ++i) {
      const Node &node = g_.node(static_cast<ValueId>(i));
      if (nodeClass(node) != NodeClass::Elementwise || node.op == OpKind::RandomUniform)
        continue;
      std::set<ValueId> seen, leaves;
      std::vector<ValueId> stack{static_cast<ValueId>(i)};
      int cost = 0;
      bool ok = true;
      while (!stack.empty() && ok) {
        ValueId v = stack.back();
        stack.pop_back();
        if (!seen.insert(v).second)
          continue;
        const Node &n = g_.node(v);
        NodeClass c = nodeClass(n);
        // An epilogue is computed with its contraction, into a buffer: a leaf here.
        bool through = v == static_cast<ValueId>(i) ||
                       (c == NodeClass::Elementwise && n.op != OpKind::RandomUniform &&
                        !epilogue_[v]) ||
                       (c == NodeClass::Layout && fusion::recomputable(n));
        if (c == NodeClass::Inline)
          continue;
        if (!through) {
          if (n.type.numElements() > 1)
            leaves.insert(v);
          ok = leaves.size() <= 1;
          continue;
        }
        OpCost w = opInfo(n.op).cost;
        cost += w == OpCost::Cheap ? 1 : w == OpCost::Free ? 0 : kCostlyOp;
        ok = cost <= kRecomputeBudget;
        stack.insert(stack.end(), n.operands.begin(), n.operands.end());
      }
      cheapTree_[i] = ok;
    }
  }

  bool inGroup(ValueId v, int k) const {
    const std::vector<int> &ks = kernelsOf_[v];
    return std::find(ks.begin(), ks.end(), k) != ks.end();
  }

  /// The groups that read v: those holding a user (or a copy of a recomputed user).
  std::vector<int> readers(ValueId v) const {
    std::set<int> ks;
    for (ValueId u : users_[v])
      ks.insert(kernelsOf_[u].begin(), kernelsOf_[u].end());
    return {ks.begin(), ks.end()};
  }

  /// v has a reader outside group k (or is a result), so k must write it.
  bool writtenBy(ValueId v, int k, bool single) const {
    if (result_[v])
      return single || (recomputedResultHome_.count(v) && recomputedResultHome_.at(v) == k);
    for (int r : readers(v))
      if (r != k)
        return single;
    return false;
  }

  std::optional<fusion::KernelShape> check(int k, ValueId extra, bool extraSingle) const {
    std::vector<ValueId> members = groups_[k].members;
    if (extra >= 0)
      members.insert(std::upper_bound(members.begin(), members.end(), extra), extra);
    fusion::KernelView view{g_, members, [&](ValueId v) { return v == extra || inGroup(v, k); },
                            [&](ValueId v) {
                              bool single = v == extra ? extraSingle : kernelsOf_[v].size() == 1;
                              return writtenBy(v, k, single);
                            },
                            statesUpdatedBy_};
    return fusion::checkKernel(view);
  }

  bool reaches(int from, int to) const {
    return reachable([&](int k) -> const std::set<int> & { return groups_[k].succ; },
                     groups_.size(), from, to);
  }

  static bool reachable(const std::vector<std::set<int>> &succ, int from, int to) {
    return reachable([&](int k) -> const std::set<int> & { return succ[k]; }, succ.size(), from,
                     to);
  }

  template <typename Successors>
  static bool reachable(const Successors &succ, size_t groups, int from, int to) {
    std::vector<bool> seen(groups, false);
    std::vector<int> stack{from};
    while (!stack.empty()) {
      int k = stack.back();
      stack.pop_back();
      if (k == to)
        return true;
      if (seen[k])
        continue;
      seen[k] = true;
      const std::set<int> &next = succ(k);
      stack.insert(stack.end(), next.begin(), next.end());
    }
    return false;
  }

  void addMember(int k, ValueId v) {
    std::vector<ValueId> &m = groups_[k].members;
    m.insert(std::upper_bound(m.begin(), m.end(), v), v);
    kernelsOf_[v].push_back(k);
  }

  int newGroup() {
    groups_.push_back({});
    return static_cast<int>(groups_.size()) - 1;
  }

  /// v computed once by group k: every other reader of v depends on k.
  void assign(ValueId v, int k) {
    addMember(k, v);
    for (int r : readers(v))
      if (r != k)
        groups_[k].succ.insert(r);
  }

  void place(ValueId v) {
    if (!live_[v])
      return;
    const Node &node = g_.node(v);
    NodeClass cls = nodeClass(node);
    if (cls == NodeClass::Argument || cls == NodeClass::ConstantData)
      return;
    std::vector<int> rs = readers(v);
    if (cls == NodeClass::Inline) {
      for (int k : rs)
        addMember(k, v);
      if (result_[v]) { // a result needs a buffer: one kernel writes it
        int k = newGroup();
        recomputedResultHome_[v] = k;
        addMember(k, v);
      }
      recomputed_ += static_cast<int64_t>(kernelsOf_[v].size()) - 1;
      return;
    }
    if ((fusion::recomputable(node) || indexOnlyOps_[v] <= kMaxIndexOnlyOps || cheapTree_[v]) &&
        !result_[v] && rs.size() > 1) {
      bool everywhere = true;
      for (int k : rs)
        everywhere &= check(k, v, /*extraSingle=*/false).has_value();
      if (everywhere) {
        for (int k : rs)
          addMember(k, v);
        recomputed_ += static_cast<int64_t>(rs.size()) - 1;
        return;
      }
    }
    // Earliest in program order first: groups are created backwards.
    for (auto it = rs.rbegin(); it != rs.rend(); ++it) {
      int k = *it;
      std::optional<fusion::KernelShape> shape = check(k, v, /*extraSingle=*/true);
      if (!shape)
        continue;
      // An epilogue stays out of a reduction kernel, which its contraction cannot join.
      if (epilogue_[v] && shape->kind == KernelKind::Reduction)
        continue;
      bool cycle = false;
      for (int r : rs)
        cycle |= r != k && reaches(r, k);
      if (cycle)
        continue;
      assign(v, k);
      return;
    }
    assign(v, newGroup());
  }

  /// Step 4: merges consumer c into producer p if the rules allow it; true if merged.
  bool tryMerge(int p, int c) {
    for (int s : groups_[p].succ)
      if (s != c && reaches(s, c))
        return false; // c also depends on p through s: the merged kernel would be a cycle
    // What the merge changes, to undo it if the rules fail: the two groups, the kernels
    // of c's members, the homes, and the groups that had c as a successor.
    Group savedP = groups_[p], savedC = groups_[c];
    std::vector<std::pair<ValueId, std::vector<int>>> savedKernelsOf;
    for (ValueId m : groups_[c].members)
      savedKernelsOf.push_back({m, kernelsOf_[m]});
    std::map<ValueId, int> savedHomes = recomputedResultHome_;
    std::vector<std::pair<int, bool>> predecessorsOfC; // (group, had p as a successor)
    for (size_t g = 0; g < groups_.size(); ++g)
      if (int(g) != p && groups_[g].succ.count(c))
        predecessorsOfC.push_back({int(g), groups_[g].succ.count(p) > 0});
    for (ValueId m : groups_[c].members) {
      std::vector<int> &ks = kernelsOf_[m];
      ks.erase(std::remove(ks.begin(), ks.end(), c), ks.end());
      if (std::find(ks.begin(), ks.end(), p) == ks.end())
        addMember(p, m);
    }
    for (auto &[v, k] : recomputedResultHome_)
      if (k == c)
        k = p;
    groups_[c].members.clear();
    for (int s : groups_[c].succ)
      if (s != p)
        groups_[p].succ.insert(s);
    groups_[p].succ.erase(c);
    groups_[c].succ.clear();
    for (Group &g : groups_)
      if (g.succ.erase(c) && &g != &groups_[p])
        g.succ.insert(p);
    if (check(p, -1, false))
      return true;
    groups_[p] = std::move(savedP);
    groups_[c] = std::move(savedC);
    for (auto &[m, ks] : savedKernelsOf)
      kernelsOf_[m] = std::move(ks);
    recomputedResultHome_ = std::move(savedHomes);
    for (auto [g, hadP] : predecessorsOfC) {
      if (!hadP)
        groups_[g].succ.erase(p);
      groups_[g].succ.insert(c);
    }
    return false;
  }

  void mergeAll() {
    for (bool merged = true; merged;) {
      merged = false;
      // Groups were created backwards: the highest number is the earliest in the program.
      // A producer takes every consumer it can before the next producer is tried (a merge
      // changes only the two groups, so the earlier producers' failures still hold until
      // the next round).
      for (int p = static_cast<int>(groups_.size()) - 1; p >= 0; --p) {
        for (bool again = true; again;) {
          again = false;
          std::vector<int> consumers(groups_[p].succ.rbegin(), groups_[p].succ.rend());
          for (int c : consumers)
            if (tryMerge(p, c)) {
              ++merges_;
              merged = again = true;
              break;
            }
        }
      }
    }
  }

  /// Step 5 and the final shapes.
  FusionPlan finish() {
    std::vector<int> alive;
    for (size_t k = 0; k < groups_.size(); ++k)
      if (!groups_[k].members.empty())
        alive.push_back(static_cast<int>(k));
    std::vector<int> index(groups_.size(), -1);
    for (size_t i = 0; i < alive.size(); ++i)
      index[alive[i]] = static_cast<int>(i);
    size_t n = alive.size();
    std::vector<std::set<int>> succ(n);
    for (size_t i = 0; i < n; ++i)
      for (int s : groups_[alive[i]].succ)
        succ[i].insert(index[s]);
    // Readers of a state's old value before its writer, where that adds no cycle.
    for (const Update &u : g_.updates()) {
      const std::vector<int> &writers = kernelsOf_[u.value];
      if (writers.empty())
        continue; // the new value is an argument or constant data: nothing to order
      int w = index[writers.size() == 1 ? writers[0] : recomputedResultHome_.at(u.value)];
      for (int r : readers(u.state))
        if (index[r] != w && !reachable(succ, w, index[r]))
          succ[index[r]].insert(w);
    }
    // Which group writes each buffer, and what each group reads.
    std::vector<int> home(g_.size(), -1);
    for (size_t i = 0; i < g_.size(); ++i) {
      auto v = static_cast<ValueId>(i);
      const std::vector<int> &ks = kernelsOf_[v];
      if (recomputedResultHome_.count(v))
        home[v] = index[recomputedResultHome_.at(v)];
      else if (ks.size() == 1 && writtenBy(v, ks[0], /*single=*/true))
        home[v] = index[ks[0]];
    }
    std::vector<fusion::ScheduleItem> items(n);
    auto collective = [&](ValueId v) {
      return opInfo(g_.node(v).op).category == OpCategory::Collective;
    };
    for (size_t i = 0; i < n; ++i) {
      const std::vector<ValueId> &members = groups_[alive[i]].members;
      items[i].key = members.back();
      for (ValueId m : members) {
        if (home[m] == static_cast<int>(i))
          items[i].writes.push_back(m);
        if (collective(m))
          items[i].urgency = fusion::ScheduleItem::Urgency::Early;
        for (ValueId o : g_.node(m).operands)
          if (home[o] >= 0 && home[o] != static_cast<int>(i) &&
              std::find(items[i].reads.begin(), items[i].reads.end(), o) == items[i].reads.end())
            items[i].reads.push_back(o);
      }
      if (items[i].urgency == fusion::ScheduleItem::Urgency::Normal &&
          std::any_of(items[i].reads.begin(), items[i].reads.end(), collective))
        items[i].urgency = fusion::ScheduleItem::Urgency::Late;
    }
    std::vector<bool> inPlace(g_.size(), false);
    for (size_t v = 0; v < g_.size(); ++v)
      inPlace[v] = !statesUpdatedBy_[v].empty();
    std::vector<int> order = fusion::scheduleGroups(succ, items, g_, result_, inPlace);
    std::vector<int> position(n, -1);
    FusionPlan plan;
    for (int i : order) {
      position[i] = static_cast<int>(plan.groups.size());
      std::optional<fusion::KernelShape> shape = check(alive[i], -1, false);
      assert(shape && "fusion: a group no longer satisfies the rules");
      plan.groups.push_back(
          {shape->kind, shape->space, shape->axes, shape->main, groups_[alive[i]].members});
    }
    plan.home.assign(g_.size(), -1);
    for (size_t v = 0; v < g_.size(); ++v)
      if (home[v] >= 0)
        plan.home[v] = position[home[v]];
    plan.recomputedNodes = recomputed_;
    plan.merges = merges_;
    return plan;
  }

  const Graph &g_;
  std::vector<bool> live_;
  std::vector<std::vector<int>> kernelsOf_;
  std::vector<std::vector<ValueId>> users_;
  std::vector<bool> result_;
  std::vector<std::vector<ValueId>> statesUpdatedBy_;
  std::map<ValueId, int> recomputedResultHome_;
  std::vector<Group> groups_;
  std::vector<int> indexOnlyOps_;
  std::vector<bool> epilogue_, cheapTree_;
  int64_t recomputed_ = 0, merges_ = 0;
};

} // namespace

FusionPlan planFusion(const Graph &graph, PassContext *context) {
  FusionPlan plan = Fuser(graph).run();
  if (context) {
    int64_t computations = 0, members = 0;
    for (const Node &node : graph.nodes())
      computations += node.op != OpKind::Input && node.op != OpKind::State;
    for (const FusionGroup &g : plan.groups)
      members += static_cast<int64_t>(g.members.size());
    context->count("kernels", static_cast<int64_t>(plan.groups.size()));
    context->count("graph computations before fusion", computations);
    context->count("nodes fused into a kernel with others",
                   members - plan.recomputedNodes - static_cast<int64_t>(plan.groups.size()));
    context->count("nodes recomputed in more than one kernel", plan.recomputedNodes);
    context->count("producer and consumer kernels merged", plan.merges);
  }
  return plan;
}

} // namespace kiln
