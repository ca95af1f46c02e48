// splitModule: units by call edges between the module's kernel functions, then a
// greedy longest-first assignment, then each part's closure over what it references.
#include "kiln/codegen/ModuleSplit.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/InstIterator.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <map>
#include <numeric>

namespace kiln::codegen {

using namespace llvm;

namespace {

/// The global values `user` refers to, through constant expressions too.
void referencedGlobals(const User &user, std::vector<const GlobalValue *> &out) {
  for (const Use &use : user.operands()) {
    if (const auto *gv = dyn_cast<GlobalValue>(use.get()))
      out.push_back(gv);
    else if (const auto *c = dyn_cast<Constant>(use.get()))
      referencedGlobals(*c, out);
  }
}

std::vector<const GlobalValue *> referencedGlobals(const GlobalValue &gv) {
  std::vector<const GlobalValue *> out;
  if (const auto *f = dyn_cast<Function>(&gv)) {
    for (const Instruction &inst : instructions(*f))
      referencedGlobals(inst, out);
  } else if (const auto *var = dyn_cast<GlobalVariable>(&gv); var && var->hasInitializer()) {
    referencedGlobals(*var->getInitializer(), out);
  }
  return out;
}

/// libjit code every caller shares (packers, micro-kernels): compiled once, in one part.
bool isShared(const Function &f) {
  return !f.isDeclaration() && f.hasLocalLinkage() && f.hasFnAttribute(Attribute::NoInline);
}

/// Work to optimize `f`: its instructions, plus the libjit code each call inlines.
int64_t weight(const Function &f) {
  constexpr int64_t kInlinedCall = 400;
  int64_t w = 0;
  for (const Instruction &inst : instructions(f)) {
    ++w;
    if (const auto *call = dyn_cast<CallBase>(&inst))
      if (const Function *callee = call->getCalledFunction();
          callee && !callee->isDeclaration() && !isShared(*callee))
        w += kInlinedCall;
  }
  return w;
}

int find(std::vector<int> &parent, int i) {
  while (parent[i] != i)
    i = parent[i] = parent[parent[i]];
  return i;
}

} // namespace

ModuleParts splitModule(Module &module, int parts, const char *entryName) {
  Function *entry = module.getFunction(entryName);
  std::vector<Function *> kernels;
  std::map<const Function *, int> index;
  for (Function &f : module)
    if (!f.isDeclaration() && (f.hasFnAttribute(kKernelAttribute) || isShared(f))) {
      index[&f] = static_cast<int>(kernels.size());
      kernels.push_back(&f);
    }
  // A launcher and the body it calls are one unit; shared libjit code is a unit of its
  // own, called across parts.
  std::vector<int> parent(kernels.size());
  std::iota(parent.begin(), parent.end(), 0);
  for (Function *f : kernels) {
    if (!f->hasFnAttribute(kKernelAttribute))
      continue;
    for (const GlobalValue *gv : referencedGlobals(*f))
      if (auto it = index.find(dyn_cast<Function>(gv));
          it != index.end() && kernels[size_t(it->second)]->hasFnAttribute(kKernelAttribute))
        parent[find(parent, it->second)] = find(parent, index[f]);
  }
  std::map<int, std::pair<int64_t, std::vector<Function *>>> units;
  for (Function *f : kernels) {
    auto &unit = units[find(parent, index[f])];
    unit.first += weight(*f);
    unit.second.push_back(f);
  }
  std::vector<std::pair<int64_t, std::vector<Function *>>> ordered;
  for (auto &[root, unit] : units)
    ordered.push_back(std::move(unit));
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto &a, const auto &b) { return a.first > b.first; });

  int count = std::max(1, std::min<int>(parts, static_cast<int>(ordered.size())));
  ModuleParts result(static_cast<size_t>(count));
  std::vector<int64_t> load(static_cast<size_t>(count), 0);
  std::vector<std::vector<const GlobalValue *>> roots(static_cast<size_t>(count));
  if (entry) {
    roots[0].push_back(entry);
    load[0] = weight(*entry);
  }
  for (auto &[w, functions] : ordered) {
    size_t p = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
    load[p] += w;
    for (Function *f : functions) {
      if (count > 1) { // called from another part
        f->setLinkage(GlobalValue::ExternalLinkage);
        f->setVisibility(GlobalValue::DefaultVisibility);
      }
      roots[p].push_back(f);
    }
  }
  // Each part: its roots and the internal code and data they reach.
  for (size_t p = 0; p < result.size(); ++p) {
    std::vector<const GlobalValue *> work = roots[p];
    for (const GlobalValue *gv : work)
      result[p].insert(gv);
    while (!work.empty()) {
      const GlobalValue *gv = work.back();
      work.pop_back();
      for (const GlobalValue *used : referencedGlobals(*gv))
        if (used->hasLocalLinkage() && result[p].insert(used).second)
          work.push_back(used);
    }
  }
  return result;
}

} // namespace kiln::codegen
