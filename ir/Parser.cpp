// A recursive-descent parser over ir/Lexer.h. The grammar is flat (one statement per
// line, lists never nest), so the parser needs no recursion and its work is linear in
// the input:
//
//   file      := 'graph' '@' NAME '{' (stmt? NEWLINE)* '}' EOF
//   stmt      := 'input' VALUE ':' type scope?
//              | 'state' VALUE ':' type attrs? scope?
//              | VALUE '=' OP '(' (VALUE (',' VALUE)*)? ')' attrs? ':' type scope?
//              | 'output' WORD '=' VALUE
//              | 'update' VALUE '<-' VALUE
//   type      := DTYPE '[' (INT (',' INT)*)? ']'
//   attrs     := '{' (WORD '=' attrValue (',' WORD '=' attrValue)*)? '}'
//   attrValue := 'true' | 'false' | INT | FLOAT | 'inf' | 'nan' | STRING | '[' numbers ']'
//   scope     := '@' NAME('/' NAME)*
//
// The Graph does the semantic checks (attribute schemas, shape rules, update types);
// its errors are re-thrown with the position of the statement that caused them.
#include "kiln/ir/Parser.h"

#include "kiln/ir/AttrSchema.h"
#include "kiln/ir/CheckedMath.h"
#include "kiln/ir/Error.h"
#include "kiln/ir/Lexer.h"

#include <limits>
#include <unordered_map>

namespace kiln {

namespace {

/// The shape rules' cap on element counts, applied to declared input and state types
/// (which no shape rule sees) so that no later stage multiplies dimensions into an
/// overflow.

bool allDigits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9')
      return false;
  return !s.empty();
}

class Parser {
public:
  Parser(std::string_view text, std::string_view fileName) : lexer_(text, fileName) { advance(); }

  /// One graph, or with `many` every graph of the file; with `lines`, also the line of
  /// each node's statement, per graph.
  std::vector<Graph> parseFile(bool many, std::vector<std::vector<int64_t>> *lines = nullptr);
  Graph parseOneGraph();

private:
  void advance() { tok_ = lexer_.next(); }
  bool at(TokenKind kind) const { return tok_.kind == kind; }
  bool atWord(std::string_view word) const { return at(TokenKind::Word) && tok_.text == word; }
  [[noreturn]] void error(SourceLoc loc, std::string_view message) const {
    lexer_.error(loc, message);
  }
  [[noreturn]] void unexpected(std::string_view what) const {
    error(tok_.loc, fmt::format("expected {}, got {}", what, describeToken(tok_)));
  }
  /// Consumes a token of `kind` or fails with "expected <what>".
  Token expect(TokenKind kind, std::string_view what) {
    if (!at(kind))
      unexpected(what);
    Token token = std::move(tok_);
    advance();
    return token;
  }
  void skipNewlines() {
    while (at(TokenKind::Newline))
      advance();
  }

  void parseStatement();
  void parseDeclaration();
  void parseComputation();
  void parseOutput();
  void parseUpdate();
  Type parseType();
  Attrs parseAttrs();
  AttrValue parseAttrValue();
  AttrValue parseList();
  std::string parseScope();
  ValueId useValue();
  /// Fails if `name` is already defined, so a redefinition is reported at its name
  /// rather than after the rest of its line.
  void checkFresh(const Token &name) const;
  void define(const Token &name, ValueId id, SourceLoc statement) {
    values_.try_emplace(std::string(name.text), Definition{id, name.loc});
    nodeLines_.resize(graph_.size());
    nodeLines_[static_cast<size_t>(id)] = statement.line;
  }

  /// Runs a Graph call, re-throwing its kiln::Error at `loc`, or an attribute's error at
  /// that attribute of the statement (its name when unknown, its value when mistyped).
  template <typename F> auto atStatement(SourceLoc loc, F &&call) {
    try {
      return call();
    } catch (const AttrError &e) {
      auto it = attrLocs_.find(e.attribute());
      if (it != attrLocs_.end() && e.fault() != AttrError::Fault::Missing)
        loc = e.fault() == AttrError::Fault::Unknown ? it->second.name : it->second.value;
      error(loc, e.what());
    } catch (const Error &e) {
      error(loc, e.what());
    }
  }

  Lexer lexer_;
  Token tok_;
  Graph graph_;
  struct Definition {
    ValueId id;
    SourceLoc loc;
  };
  std::unordered_map<std::string, Definition> values_;
  struct AttrLoc {
    SourceLoc name, value;
  };
  /// Where the attributes of the statement being parsed are (parseAttrs).
  std::unordered_map<std::string, AttrLoc> attrLocs_;
  std::vector<int64_t> nodeLines_; ///< the line of each node's statement
};

std::vector<Graph> Parser::parseFile(bool many, std::vector<std::vector<int64_t>> *lines) {
  std::vector<Graph> graphs;
  skipNewlines();
  do {
    graphs.push_back(parseOneGraph());
    if (lines)
      lines->push_back(std::move(nodeLines_));
    skipNewlines();
  } while (many && atWord("graph"));
  if (!at(TokenKind::Eof))
    error(tok_.loc, fmt::format("unexpected {} after the closing '}}'", describeToken(tok_)));
  return graphs;
}

Graph Parser::parseOneGraph() {
  graph_ = Graph();
  values_.clear();
  nodeLines_.clear();
  if (!atWord("graph"))
    unexpected("'graph'");
  advance();
  Token name = expect(TokenKind::At, "'@' and the graph name");
  if (!isGraphName(name.text))
    error(name.loc, fmt::format("graph name '{}' may not contain '/'", name.text));
  graph_.setName(std::string(name.text));
  Token open = expect(TokenKind::LBrace, "'{' after the graph name");
  while (true) {
    skipNewlines();
    if (at(TokenKind::RBrace))
      break;
    if (at(TokenKind::Eof))
      error(tok_.loc, fmt::format("expected '}}' to close the graph opened at {}:{}, got end of "
                                  "file",
                                  open.loc.line, open.loc.col));
    parseStatement();
    if (!at(TokenKind::Newline) && !at(TokenKind::RBrace))
      unexpected("end of line after the statement");
  }
  advance();
  return std::move(graph_);
}

void Parser::parseStatement() {
  if (atWord("input") || atWord("state"))
    parseDeclaration();
  else if (atWord("output"))
    parseOutput();
  else if (atWord("update"))
    parseUpdate();
  else if (at(TokenKind::Value))
    parseComputation();
  else
    unexpected("a statement (input, state, %N = op(...), output or update)");
}

void Parser::parseDeclaration() {
  SourceLoc loc = tok_.loc;
  bool isState = tok_.text == "state";
  advance();
  Token name = expect(TokenKind::Value, isState ? "a state name" : "an input name");
  if (allDigits(name.text))
    error(name.loc, fmt::format("'%{}' is a number: inputs and state are named by an "
                                "identifier, computations by a number",
                                name.text));
  checkFresh(name);
  expect(TokenKind::Colon, "':' and a type");
  Type type = parseType();
  Attrs attrs;
  attrLocs_.clear();
  if (at(TokenKind::LBrace)) {
    if (!isState)
      error(tok_.loc, "an input takes no attributes");
    attrs = parseAttrs();
  }
  std::string scope = parseScope();
  ValueId id = atStatement(loc, [&] {
    return isState ? graph_.addState(std::string(name.text), type, std::move(attrs), scope)
                   : graph_.addInput(std::string(name.text), type, scope);
  });
  define(name, id, loc);
}

void Parser::parseComputation() {
  SourceLoc loc = tok_.loc;
  Token name = std::move(tok_);
  advance();
  if (!allDigits(name.text))
    error(name.loc, fmt::format("'%{}' is a name: computations are numbered (%0, %1, ...), "
                                "only inputs and state are named",
                                name.text));
  checkFresh(name);
  expect(TokenKind::Equal, "'=' after the value");
  Token opName = expect(TokenKind::Word, "an op name");
  std::optional<OpKind> op = opFromMnemonic(opName.text);
  if (!op)
    error(opName.loc, fmt::format("unknown op '{}'", opName.text));
  if (*op == OpKind::Input || *op == OpKind::State)
    error(opName.loc,
          fmt::format("'{0}' is not a computation: declare it as '{0} %name : type'", opName.text));
  expect(TokenKind::LParen, "'(' after the op name");
  std::vector<ValueId> operands;
  if (!at(TokenKind::RParen)) {
    operands.push_back(useValue());
    while (at(TokenKind::Comma)) {
      advance();
      operands.push_back(useValue());
    }
  }
  expect(TokenKind::RParen, "',' or ')' after an operand");
  Attrs attrs;
  attrLocs_.clear();
  if (at(TokenKind::LBrace))
    attrs = parseAttrs();
  expect(TokenKind::Colon, "':' and the result type");
  Type type = parseType();
  std::string scope = parseScope();
  ValueId id = atStatement(loc, [&] {
    return graph_.addTyped(*op, std::move(operands), std::move(attrs), type, std::move(scope));
  });
  define(name, id, loc);
}

void Parser::parseOutput() {
  SourceLoc loc = tok_.loc;
  advance();
  Token name = expect(TokenKind::Word, "an output name");
  expect(TokenKind::Equal, "'=' after the output name");
  ValueId value = useValue();
  atStatement(loc, [&] { graph_.addOutput(std::string(name.text), value); });
}

void Parser::parseUpdate() {
  SourceLoc loc = tok_.loc;
  advance();
  if (!at(TokenKind::Value))
    unexpected("the state to update");
  ValueId state = useValue();
  expect(TokenKind::Arrow, "'<-' after the state");
  ValueId value = useValue();
  atStatement(loc, [&] { graph_.addUpdate(state, value); });
}

Type Parser::parseType() {
  Token dtypeName = expect(TokenKind::Word, "a type such as f32[2,3]");
  std::optional<DType> dtype = parseDType(dtypeName.text);
  if (!dtype)
    error(dtypeName.loc, fmt::format("unknown dtype '{}' (f32, f64, i32, bool)", dtypeName.text));
  Type type{*dtype, {}};
  expect(TokenKind::LBracket, "'[' and the dimensions");
  int64_t elements = 1;
  while (!at(TokenKind::RBracket)) {
    if (!type.shape.empty())
      expect(TokenKind::Comma, "',' or ']' in the dimensions");
    if (!at(TokenKind::Int))
      unexpected("a dimension (a non-negative integer)");
    int64_t dim = tok_.intValue;
    if (dim < 0)
      error(tok_.loc, fmt::format("negative dimension {}", dim));
    if (dim > 0 && elements > kMaxElements / dim)
      error(tok_.loc, fmt::format("type has more than 2^40 elements (dimension {})", dim));
    elements *= dim;
    type.shape.push_back(dim);
    advance();
  }
  advance();
  return type;
}

Attrs Parser::parseAttrs() {
  expect(TokenKind::LBrace, "'{'");
  Attrs attrs;
  attrLocs_.clear();
  while (!at(TokenKind::RBrace)) {
    if (!attrs.empty())
      expect(TokenKind::Comma, "',' or '}' after an attribute");
    Token key = expect(TokenKind::Word, "an attribute name");
    if (attrs.has(key.text))
      error(key.loc, fmt::format("attribute '{}' is given twice", key.text));
    expect(TokenKind::Equal, "'=' after the attribute name");
    attrLocs_[std::string(key.text)] = {key.loc, tok_.loc};
    attrs.set(std::string(key.text), parseAttrValue());
  }
  advance();
  return attrs;
}

AttrValue Parser::parseAttrValue() {
  AttrValue value;
  if (atWord("true") || atWord("false"))
    value = tok_.text == "true";
  else if (atWord("inf"))
    value = std::numeric_limits<double>::infinity();
  else if (atWord("nan"))
    value = std::numeric_limits<double>::quiet_NaN();
  else if (at(TokenKind::Int))
    value = tok_.intValue;
  else if (at(TokenKind::Float))
    value = tok_.floatValue;
  else if (at(TokenKind::String))
    value = std::move(tok_.str);
  else if (at(TokenKind::LBracket))
    return parseList();
  else
    unexpected("an attribute value (true, false, a number, a string or a list)");
  advance();
  return value;
}

AttrValue Parser::parseList() {
  advance(); // '['
  std::vector<int64_t> ints;
  std::vector<double> floats;
  bool anyFloat = false;
  while (!at(TokenKind::RBracket)) {
    if (!floats.empty())
      expect(TokenKind::Comma, "',' or ']' in the list");
    if (at(TokenKind::Int)) {
      ints.push_back(tok_.intValue);
      floats.push_back(static_cast<double>(tok_.intValue));
    } else if (at(TokenKind::Float) || atWord("inf") || atWord("nan")) {
      anyFloat = true;
      floats.push_back(at(TokenKind::Float) ? tok_.floatValue
                       : atWord("inf")      ? std::numeric_limits<double>::infinity()
                                            : std::numeric_limits<double>::quiet_NaN());
    } else if (at(TokenKind::LBracket)) {
      error(tok_.loc, "lists of lists are not supported");
    } else {
      unexpected("a number in the list");
    }
    advance();
  }
  advance();
  if (anyFloat)
    return floats;
  return ints;
}

std::string Parser::parseScope() {
  if (!at(TokenKind::At))
    return {};
  std::string scope(tok_.text);
  advance();
  return scope;
}

ValueId Parser::useValue() {
  Token name = expect(TokenKind::Value, "a value such as %0 or %x");
  auto it = values_.find(std::string(name.text));
  if (it == values_.end())
    error(name.loc, fmt::format("undefined value '%{}'", name.text));
  return it->second.id;
}

void Parser::checkFresh(const Token &name) const {
  auto it = values_.find(std::string(name.text));
  if (it != values_.end())
    error(name.loc, fmt::format("'%{}' is already defined at {}:{}", name.text, it->second.loc.line,
                                it->second.loc.col));
}

} // namespace

Graph parseGraph(std::string_view text, std::string_view fileName) {
  return std::move(Parser(text, fileName).parseFile(/*many=*/false).front());
}

std::vector<Graph> parseGraphs(std::string_view text, std::string_view fileName) {
  return Parser(text, fileName).parseFile(/*many=*/true);
}

std::vector<Graph> parseGraphs(std::string_view text, std::string_view fileName,
                               std::vector<std::vector<int64_t>> &lines) {
  lines.clear();
  return Parser(text, fileName).parseFile(/*many=*/true, &lines);
}

} // namespace kiln
