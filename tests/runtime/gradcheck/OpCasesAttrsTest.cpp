// The gradient-check cases and the op table's attribute schema agree: every attribute a
// case sets (the awkward strides, groups, dilations and paddings the rules are checked
// on) is one its op declares, with the declared type. A case the schema would reject
// could not be built, so this names the attribute rather than failing inside a case.
#include "kiln/ir/AttrSchema.h"
#include "kiln/runtime/gradcheck/OpCases.h"

#include <catch2/catch.hpp>

using namespace kiln;

TEST_CASE("every attribute of every gradient-check case is in its op's schema",
          "[gradcheck][attrs]") {
  size_t index = GENERATE(range(size_t{0}, kNumOps));
  OpKind op = kOpInfos[index].kind;
  INFO("op " << mnemonic(op));
  gradcheck::Sampler rng(7, index);
  std::vector<gradcheck::OpCase> cases;
  REQUIRE_NOTHROW(cases = gradcheck::opCases(op, rng));
  for (const gradcheck::OpCase &c : cases) {
    INFO("case " << c.label);
    for (const Node &node : c.graph.nodes()) {
      for (const auto &[key, value] : node.attrs) {
        INFO(mnemonic(node.op) << " attribute " << key);
        CHECK((findAttrSpec(node.op, key) != nullptr || attrSchema(node.op).open));
      }
      CHECK_NOTHROW(checkAttrs(node.op, node.attrs));
    }
  }
}
