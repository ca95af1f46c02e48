// Malformed IR text: each case must fail with a kiln::Error whose message is exactly one
// line "FILE:LINE:COL: message", at the expected position and with a distinctive text.
#include "kiln/ir/Error.h"
#include "kiln/ir/Parser.h"

#include <catch2/catch.hpp>

#include <string>

using namespace kiln;
using namespace std::string_literals;

namespace {

struct Malformed {
  const char *what;
  std::string text;
  int line, col;
  const char *message; ///< a substring of the message after "FILE:LINE:COL: "
};

/// The header every case starting on line 3 shares.
const std::string H = "graph @g {\n  input %x : f32[2]\n";
const std::string S = "graph @g {\n  state %w : f32[] ";

const std::vector<Malformed> kCases = {
    {"empty file", "", 1, 1, "expected 'graph', got end of file"},
    {"only a comment", "# nothing\n", 2, 1, "expected 'graph', got end of file"},
    {"misspelt keyword", "graf @g {\n}\n", 1, 1, "expected 'graph', got 'graf'"},
    {"graph name without @", "graph g {\n}\n", 1, 7, "expected '@' and the graph name, got 'g'"},
    {"graph name with /", "graph @a/b {\n}\n", 1, 7, "graph name 'a/b' may not contain '/'"},
    {"missing open brace", "graph @g\n}\n", 1, 9,
     "expected '{' after the graph name, got end of line"},
    {"missing close brace", H, 3, 1,
     "expected '}' to close the graph opened at 1:10, got end of file"},
    {"truncated statement", "graph @g {\n  %0 = add(", 2, 12,
     "expected a value such as %0 or %x, got end of file"},
    {"garbage after the graph", H + "}\nxyz\n", 4, 1, "unexpected 'xyz' after the closing '}'"},
    {"garbage after a statement", "graph @g {\n  input %x : f32[2] junk\n}\n", 2, 21,
     "expected end of line after the statement, got 'junk'"},
    {"garbage after a scope", H + "  %0 = neg(%x) : f32[2] @fc1 extra\n}\n", 3, 30,
     "expected end of line after the statement, got 'extra'"},
    {"unknown op", H + "  %0 = matmull(%x, %x) : f32[2]\n}\n", 3, 8, "unknown op 'matmull'"},
    {"input used as an op", H + "  %0 = input() : f32[2]\n}\n", 3, 8,
     "'input' is not a computation"},
    {"unknown dtype", "graph @g {\n  input %x : f16[2]\n}\n", 2, 14, "unknown dtype 'f16'"},
    {"missing colon", "graph @g {\n  input %x f32[2]\n}\n", 2, 12,
     "expected ':' and a type, got 'f32'"},
    {"undefined operand", H + "  %0 = neg(%y) : f32[2]\n}\n", 3, 12, "undefined value '%y'"},
    {"undefined output", H + "  output y = %z\n}\n", 3, 14, "undefined value '%z'"},
    {"redefined computation", H + "  %0 = neg(%x) : f32[2]\n  %0 = abs(%x) : f32[2]\n}\n", 4, 3,
     "'%0' is already defined at 3:3"},
    {"redefined input", H + "  state %x : f32[2]\n}\n", 3, 9, "'%x' is already defined at 2:9"},
    {"named computation", H + "  %y = neg(%x) : f32[2]\n}\n", 3, 3,
     "'%y' is a name: computations are numbered"},
    {"numbered input", "graph @g {\n  input %3 : f32[2]\n}\n", 2, 9, "'%3' is a number"},
    {"empty value name", "graph @g {\n  % = neg() : f32[]\n}\n", 2, 3,
     "expected a value name after '%'"},
    {"type mismatch", H + "  %0 = neg(%x) : f32[3]\n}\n", 3, 3,
     "neg(f32[2]): declared type f32[3] but the op gives f32[2]"},
    {"wrong operand count", H + "  %0 = add(%x) : f32[2]\n}\n", 3, 3, "expects 2 operands, got 1"},
    {"bad attribute kind", H + "  %0 = reshape(%x) {shape = \"2\"} : f32[2]\n}\n", 3, 29,
     "attribute 'shape' must be an int list, got string"},
    {"missing attribute", H + "  %0 = reshape(%x) : f32[2]\n}\n", 3, 3,
     "missing attribute 'shape'"},
    {"negative shape attribute",
     "graph @g {\n  %0 = constant() {dtype = \"f32\", shape = [-1], value = 0} : f32[1]\n}\n", 2, 3,
     "shape has a negative dimension: [-1]"},
    {"huge shape attribute",
     "graph @g {\n  %0 = constant() {dtype = \"f32\", shape = [9223372036854775807, 2], value = "
     "0} : f32[1]\n}\n",
     2, 3, "shape is too large"},
    {"dimension overflows int64", "graph @g {\n  input %x : f32[99999999999999999999]\n}\n", 2, 18,
     "integer 99999999999999999999 does not fit in 64 bits"},
    {"element count overflow", "graph @g {\n  input %x : f32[1048576,1048576,1048576]\n}\n", 2, 34,
     "type has more than 2^40 elements"},
    {"negative dimension", "graph @g {\n  input %x : f32[-1]\n}\n", 2, 18, "negative dimension -1"},
    {"float dimension", "graph @g {\n  input %x : f32[2.5]\n}\n", 2, 18,
     "expected a dimension (a non-negative integer), got '2.5'"},
    {"input with attributes", "graph @g {\n  input %x : f32[2] {a = 1}\n}\n", 2, 21,
     "an input takes no attributes"},
    {"duplicate attribute", S + "{a = 1, a = 2}\n}\n", 2, 28, "attribute 'a' is given twice"},
    {"attribute without value", S + "{a = }\n}\n", 2, 25,
     "expected an attribute value (true, false, a number, a string or a list), got '}'"},
    {"nested list", S + "{a = [[1]]}\n}\n", 2, 26, "lists of lists are not supported"},
    {"bool in a list", S + "{a = [true]}\n}\n", 2, 26, "expected a number in the list, got 'true'"},
    {"malformed number", S + "{a = 1.2.3}\n}\n", 2, 25, "malformed number '1.2.3'"},
    {"malformed -inf", S + "{v = -info}\n}\n", 2, 25, "malformed number '-info'"},
    {"float overflow", S + "{a = 1e999}\n}\n", 2, 25, "float 1e999 is out of the range of f64"},
    {"unterminated string", S + "{init = \"zeros}\n}\n", 2, 28, "unterminated string"},
    {"unknown escape", S + "{init = \"a\\nb\"}\n}\n", 2, 30, "unknown escape '\\n' in string"},
    {"update of an input", H + "  %0 = neg(%x) : f32[2]\n  update %x <- %0\n}\n", 4, 3,
     "update target is not state"},
    {"update type mismatch",
     "graph @g {\n  state %w : f32[2]\n  %0 = reduce_sum(%w) {axes = [0]} : f32[]\n"
     "  update %w <- %0\n}\n",
     4, 3, "update of 'w' (f32[2]) has type f32[]"},
    {"state updated twice",
     "graph @g {\n  state %w : f32[]\n  update %w <- %w\n  update %w <- %w\n}\n", 4, 3,
     "'w' is updated twice"},
    {"lone <", "graph @g {\n  state %w : f32[2]\n  update %w < %w\n}\n", 3, 13,
     "unexpected character '<'"},
    {"duplicate output", H + "  output y = %x\n  output y = %x\n}\n", 4, 3,
     "output 'y' is declared twice"},
    {"stray character", "graph @g {\n  $\n}\n", 2, 3, "unexpected character '$'"},
    {"non-UTF8 byte", "graph @g {\n  \xff\n}\n", 2, 3, "unexpected character '\\xff'"},
    {"UTF-8 in a name", "graph @g {\n  input %x\xc3\xa9 : f32[2]\n}\n", 2, 11,
     "unexpected character '\\xc3'"},
    {"NUL byte", "graph @g {\n  input %x\0 : f32[2]\n}\n"s, 2, 11, "unexpected character '\\x00'"},
    {"newline inside an error", H + "  %0 = reshape(%x) {shape = \"a\nb\"} : f32[2]\n}\n", 3, 29,
     "reshape(f32[2]) {shape = \"a\\nb\"}: attribute 'shape' must be an int list"},
    // The op's attribute schema (ir/AttrSchema.h): an unknown attribute is reported at
    // its name, a mistyped one at its value, a missing one at the statement.
    {"unknown attribute",
     "graph @g {\n  input %a : f32[2,3]\n  input %b : f32[2,3]\n"
     "  %0 = matmul(%a, %b) {transpose_bb = true} : f32[2,2]\n}\n",
     4, 24, "unknown attribute 'transpose_bb' (matmul takes transpose_a, transpose_b)"},
    {"attribute of an op without attributes", H + "  %0 = neg(%x) {alpha = 1.0} : f32[2]\n}\n", 3,
     17, "unknown attribute 'alpha' (neg takes no attributes)"},
    {"missing required attribute", H + "  %0 = reduce_sum(%x) : f32[]\n}\n", 3, 3,
     "reduce_sum(f32[2]): missing attribute 'axes'"},
    {"missing input_size",
     "graph @g {\n  input %dy : f32[1,4,5,5]\n  input %w : f32[4,2,3,3]\n"
     "  %0 = conv2d_input_grad(%dy, %w) {padding = [1,1]} : f32[1,2,5,5]\n}\n",
     4, 3, "missing attribute 'input_size'"},
    {"float stride",
     "graph @g {\n  input %x : f32[1,1,4,4]\n"
     "  %0 = max_pool2d(%x) {stride = 2.5, window = [2,2]} : f32[1,1,2,2]\n}\n",
     3, 33, "attribute 'stride' must be a list of 2 ints, got float"},
    {"int transpose flag",
     "graph @g {\n  input %a : f32[2,3]\n  input %b : f32[3,2]\n"
     "  %0 = matmul(%a, %b) {transpose_a = 3} : f32[2,2]\n}\n",
     4, 38, "attribute 'transpose_a' must be a bool, got int"},
    {"stride of three",
     "graph @g {\n  input %x : f32[1,1,4,4]\n  input %w : f32[1,1,1,1]\n"
     "  %0 = conv2d(%x, %w) {stride = [1,1,1]} : f32[1,1,4,4]\n}\n",
     4, 33, "attribute 'stride' must be a list of 2 ints, got 3 ints"},
    {"unknown direction",
     H + "  %0 = compare(%x, %x) {direction = \"lte\"} : bool[2]\n}\n", 3, 37,
     "attribute 'direction' must be one of eq, ne, lt, le, gt, ge, got 'lte'"},
    {"unknown dtype attribute", H + "  %0 = convert(%x) {dtype = \"f16\"} : f32[2]\n}\n", 3, 29,
     "attribute 'dtype' must be a dtype (f32, f64, i32, bool), got 'f16'"},
    {"mistyped initializer", S + "{bound = \"wide\", init = \"uniform\"}\n}\n", 2, 29,
     "state 'w': attribute 'bound' must be a float, got string"},
    // Sizes and attribute values are bounded by 2^40 and every sum and product of them
    // is checked (ir/CheckedMath.h): these used to wrap around silently.
    {"padding of 2^63-1",
     H + "  %0 = pad(%x) {low = [9223372036854775807], high = [9223372036854775807]} : "
         "f32[2]\n}\n",
     3, 23, "attribute 'low' must be <= 2^40, got 9223372036854775807"},
    {"convolution padding of 2^63-1",
     "graph @g {\n  input %x : f32[1,1,10,10]\n  input %w : f32[1,1,3,3]\n"
     "  %0 = conv2d(%x, %w) {padding = [9223372036854775807, 0]} : f32[1,1,6,6]\n}\n",
     4, 34, "attribute 'padding' must be <= 2^40, got 9223372036854775807"},
    {"pooling padding of 2^63-1",
     "graph @g {\n  input %x : f32[1,1,10,10]\n"
     "  %0 = max_pool2d(%x) {padding = [9223372036854775807, 0], window = [2,2]} : "
     "f32[1,1,6,6]\n}\n",
     3, 34, "attribute 'padding' must be <= 2^40, got 9223372036854775807"},
    {"padded beyond 2^40 elements",
     H + "  %0 = pad(%x) {low = [1099511627776], high = [0]} : f32[2]\n}\n", 3, 3,
     "padded shape is too large: [1099511627778]"},
    {"dilated window overflows",
     "graph @g {\n  input %x : f32[1,1,4,4]\n  input %w : f32[1,1,1099511627776,1]\n"
     "  %0 = conv2d(%x, %w) {dilation = [1099511627776, 1]} : f32[1,1,4,4]\n}\n",
     4, 3, "the dilated window overflows (1099511627776 * 1099511627775)"},
    {"negative slice start",
     H + "  %0 = slice(%x) {start = [-1], limit = [2]} : f32[2]\n}\n", 3, 27,
     "attribute 'start' must be >= 0, got -1"},
    {"very deep brackets", S + "{a = " + std::string(100000, '[') + "\n}\n", 2, 26,
     "lists of lists are not supported"},
    {"very long line", "graph @g {\n" + std::string(1000000, ' ') + "$\n}\n", 2, 1000001,
     "unexpected character '$'"},
};

} // namespace

TEST_CASE("malformed text fails at the right line and column", "[ir][parser]") {
  REQUIRE(kCases.size() >= 25);
  const Malformed &c = GENERATE(from_range(kCases));
  INFO("case: " << c.what);
  std::string prefix = "bad.kir:" + std::to_string(c.line) + ":" + std::to_string(c.col) + ": ";
  try {
    parseGraph(c.text, "bad.kir");
    FAIL("parsed without an error");
  } catch (const Error &e) {
    std::string message = e.what();
    INFO("message: " << message.substr(0, 300));
    CHECK(message.rfind(prefix, 0) == 0);
    CHECK(message.find(c.message) != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
}
