// ProgramRunner: a kernel program on the interpreter's kernels gives what the
// interpreter gives for its graph, with or without a memory plan, and leaves the
// caller's tensors alone.
#include "kiln/runtime/program/ProgramRunner.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"
#include "kiln/passes/Lower.h"
#include "kiln/passes/MemoryPlan.h"
#include "kiln/runtime/interp/Interpreter.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

const char *kGraph = R"(graph @step {
  input %x : f32[2,3]
  state %w : f32[2,3] {init = "zeros"}
  state %n : i32[] {init = "zeros"}
  %0 = constant() {data = [1.0, 2.0, 3.0], dtype = "f32", shape = [3]} : f32[3]
  %1 = broadcast(%0) {dims = [1], shape = [2,3]} : f32[2,3]
  %2 = mul(%x, %1) : f32[2,3]
  %3 = reduce_sum(%2) {axes = [1]} : f32[2]
  %4 = broadcast(%3) {dims = [0], shape = [2,3]} : f32[2,3]
  %5 = sub(%w, %4) : f32[2,3]
  %6 = constant() {dtype = "i32", shape = [], value = 1.0} : i32[]
  %7 = add(%n, %6) : i32[]
  output sums = %3
  output x = %x
  output old = %w
  update %w <- %5
  update %n <- %7
})";

Tensor filled(const Type &type, std::vector<double> values) {
  Tensor t(type);
  for (size_t i = 0; i < values.size(); ++i)
    t.set(static_cast<int64_t>(i), values[i]);
  return t;
}

std::vector<double> values(const Tensor &t) {
  std::vector<double> v;
  for (int64_t i = 0; i < t.numElements(); ++i)
    v.push_back(t.at(i));
  return v;
}

} // namespace

TEST_CASE("a kernel program gives the interpreter's results", "[program]") {
  Graph graph = parseGraph(kGraph);
  KernelProgram program = lowerGraph(graph);
  MemoryPlan plan = planMemory(program);
  std::vector<Tensor> inputs = {filled({DType::F32, {2, 3}}, {1, 2, 3, 4, 5, 6})};
  std::vector<Tensor> state = {filled({DType::F32, {2, 3}}, {1, 1, 1, 2, 2, 2}),
                               filled({DType::I32, {}}, {41})};
  Interpreter::Result expected = Interpreter(graph).run(inputs, state);
  for (const MemoryPlan *p : std::vector<const MemoryPlan *>{nullptr, &plan}) {
    ProgramRunner::Result got = ProgramRunner(program, p).run(inputs, state);
    REQUIRE(got.outputs.size() == 3);
    REQUIRE(got.updates.size() == 2);
    CHECK(values(got.outputs[0]) == std::vector<double>{14, 32});
    CHECK(values(got.outputs[1]) == values(inputs[0]));
    CHECK(values(got.outputs[2]) == std::vector<double>{1, 1, 1, 2, 2, 2});
    CHECK(values(got.updates[0]) == values(expected.updates[0]));
    CHECK(values(got.updates[1]) == std::vector<double>{42});
  }
  // The caller's state is untouched, although the plan updates %n in place.
  CHECK(values(state[0]) == std::vector<double>{1, 1, 1, 2, 2, 2});
  CHECK(values(state[1]) == std::vector<double>{41});
}

TEST_CASE("the runner names arguments of the wrong number or type", "[program]") {
  KernelProgram program = lowerGraph(parseGraph(kGraph));
  ProgramRunner runner(program);
  std::vector<Tensor> state = {Tensor({DType::F32, {2, 3}}), Tensor({DType::I32, {}})};
  CHECK_THROWS_WITH(runner.run({}, state), "program @step has 1 inputs, got 0 tensors");
  std::vector<Tensor> wrong = {Tensor({DType::F32, {3, 2}})};
  CHECK_THROWS_WITH(runner.run(wrong, state),
                    "input 'x' of program @step expects f32[2,3], got f32[3,2]");
  std::vector<Tensor> inputs = {Tensor({DType::F32, {2, 3}})};
  CHECK_THROWS_AS(runner.run(inputs, std::vector<Tensor>{state[0]}), Error);
}
