// Random arguments and the JIT-vs-interpreter comparison.
#include "JitTestUtil.h"

#include "kiln/runtime/Random.h"
#include "kiln/runtime/interp/Interpreter.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <cmath>
#include <limits>

namespace kiln::test {

Tensor randomTensor(const Type &type, uint64_t seed, uint64_t stream, const ValueDomain &domain) {
  Tensor t(type);
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(),
                             std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity(),
                             0.0,
                             -0.0,
                             0.5,
                             0.5};
  for (int64_t i = 0; i < t.numElements(); ++i) {
    double u = uniformFloat(seed, stream, static_cast<uint64_t>(i));
    switch (type.dtype) {
    case DType::F32:
    case DType::F64:
      if (domain.specials && randomBits(seed, stream + 1000, uint64_t(i)) % 5 == 0)
        t.set(i, specials[randomBits(seed, stream + 2000, uint64_t(i)) % 7]);
      else
        t.set(i, domain.lo + (domain.hi - domain.lo) * u);
      break;
    case DType::I32:
      t.set(i, std::floor(u * double(domain.intLimit)));
      break;
    case DType::Bool:
      t.set(i, u < 0.5);
      break;
    }
  }
  return t;
}

Arguments randomArguments(const Graph &graph, uint64_t seed, const ValueDomain &domain) {
  Arguments args;
  uint64_t stream = 0;
  for (ValueId id : graph.inputs())
    args.inputs.push_back(randomTensor(graph.type(id), seed, 10 * ++stream, domain));
  for (ValueId id : graph.states())
    args.state.push_back(randomTensor(graph.type(id), seed, 10 * ++stream, domain));
  return args;
}

std::string compareTensors(const Tensor &jit, const Tensor &interp, double rtol) {
  if (jit.type() != interp.type())
    return fmt::format("types differ: {} vs {}", jit.type().str(), interp.type().str());
  int64_t n = interp.numElements();
  bool exact = !isFloat(interp.dtype());
  double scale = 0;
  for (int64_t i = 0; i < n; ++i)
    if (std::isfinite(interp.at(i)))
      scale = std::max(scale, std::abs(interp.at(i)));
  double worst = -1;
  int64_t worstAt = -1;
  for (int64_t i = 0; i < n; ++i) {
    double a = jit.at(i), b = interp.at(i);
    if (std::isnan(a) || std::isnan(b) || std::isinf(a) || std::isinf(b) || exact) {
      bool same = (std::isnan(a) && std::isnan(b)) || a == b;
      if (!same)
        return fmt::format("element {}: jit {} vs interpreter {}", i, a, b);
      continue;
    }
    double error = std::abs(a - b) / (std::abs(b) + scale + 1e-30);
    if (std::abs(a - b) > 0 && error > worst) {
      worst = error;
      worstAt = i;
    }
  }
  if (worst > rtol)
    return fmt::format("element {}: jit {} vs interpreter {} (relative error {:.3g} > {:.3g})",
                       worstAt, jit.at(worstAt), interp.at(worstAt), worst, rtol);
  return "";
}

std::string compareNorms(const Tensor &jit, const Tensor &interp, double rtol) {
  if (!isFloat(interp.dtype()) || jit.type() != interp.type())
    return compareTensors(jit, interp, 0);
  double difference = 0, norm = 0;
  for (int64_t i = 0; i < interp.numElements(); ++i) {
    double a = jit.at(i), b = interp.at(i);
    if (std::isnan(a) != std::isnan(b))
      return fmt::format("element {}: jit {} vs interpreter {}", i, a, b);
    difference += (a - b) * (a - b);
    norm += b * b;
  }
  double relative = std::sqrt(difference) / (std::sqrt(norm) + 1e-30);
  if (relative > rtol)
    return fmt::format("relative 2-norm error {:.3g} > {:.3g} (worst element: {})", relative, rtol,
                       compareTensors(jit, interp, 0));
  return "";
}

codegen::JitOptions testJitOptions() {
  codegen::JitOptions options;
  options.useCache = false;
  return options;
}

void checkAgainstInterpreter(const Graph &graph, const Arguments &args, double rtol,
                             const std::string &label, const codegen::JitOptions &options) {
  INFO(label);
  std::unique_ptr<codegen::CompiledGraph> jit = codegen::CompiledGraph::compile(graph, options);
  codegen::CompiledGraph::Result got = jit->run(args.inputs, args.state);
  Interpreter::Result want = Interpreter(graph).run(args.inputs, args.state);
  REQUIRE(got.outputs.size() == want.outputs.size());
  REQUIRE(got.updates.size() == want.updates.size());
  for (size_t i = 0; i < want.outputs.size(); ++i) {
    INFO("output " << graph.outputs()[i].name << " : " << want.outputs[i].type().str());
    CHECK(compareTensors(got.outputs[i], want.outputs[i], rtol) == "");
  }
  for (size_t i = 0; i < want.updates.size(); ++i) {
    INFO("update " << graph.node(graph.updates()[i].state).name);
    CHECK(compareTensors(got.updates[i], want.updates[i], rtol) == "");
  }
}

} // namespace kiln::test
