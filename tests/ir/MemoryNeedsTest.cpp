#include "kiln/ir/MemoryNeeds.h"

#include <catch2/catch.hpp>

using namespace kiln;

namespace {

Type f32(Shape shape) { return {DType::F32, std::move(shape)}; }

} // namespace

TEST_CASE("peak live bytes follow the interpreter's order and frees", "[ir][memory]") {
  Graph g("g");
  ValueId x = g.addInput("x", f32({100}));       // 400 B, live throughout
  ValueId w = g.addState("w", f32({10}), {});    // 40 B, live throughout
  ValueId a = g.add(OpKind::Neg, {x});           // 400 B, dies after b
  ValueId b = g.add(OpKind::Exp, {a});           // 400 B, dies after c
  ValueId c = g.add(OpKind::Neg, {b});           // 400 B, an output
  ValueId u = g.add(OpKind::Neg, {w});           // 40 B, an update
  g.addOutput("y", c);
  g.addUpdate(w, u);
  // Highest while b is made: x, w, a, b = 1240; then c replaces a: x, w, b, c = 1240.
  CHECK(peakLiveBytes(g) == 400 + 40 + 400 + 400);
  CHECK(interfaceBytes(g) == 400 + 40 + 400 + 40);
  CHECK(typeBytes(Type{DType::F64, {3, 5}}) == 120);
}

TEST_CASE("a value nobody reads is freed at once", "[ir][memory]") {
  Graph g("g");
  ValueId x = g.addInput("x", f32({1000}));
  g.add(OpKind::Neg, {x});                 // 4000 B, never read
  ValueId y = g.add(OpKind::Exp, {x});     // 4000 B
  g.addOutput("y", y);
  CHECK(peakLiveBytes(g) == 8000);
}
