// The tokens of kiln's textual graph IR and the lexer that produces them with their
// line and column. The lexer never crashes on bad bytes: anything it cannot read is a
// kiln::Error "FILE:LINE:COL: message". It also owns the spelling rules for names, so
// the verifier can check that every graph it accepts prints to text that parses back.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kiln {

enum class TokenKind : uint8_t {
  Word,     ///< graph, input, add, f32, loss, transpose_b, true, inf ...
  Value,    ///< %x, %fc1.weight, %12 (text without the '%')
  At,       ///< @fc1/relu, @mlp.train (text without the '@')
  Int,      ///< 12, -3
  Float,    ///< 0.5, 1e-30, -0.0, -inf
  String,   ///< "uniform" (unescaped in Token::str)
  LBrace,   ///< {
  RBrace,   ///< }
  LParen,   ///< (
  RParen,   ///< )
  LBracket, ///< [
  RBracket, ///< ]
  Comma,    ///< ,
  Colon,    ///< :
  Equal,    ///< =
  Arrow,    ///< <-
  Newline,  ///< end of a line (statements are one per line)
  Eof,      ///< end of input
};

/// A 1-based position in the source; columns count bytes.
struct SourceLoc {
  int64_t line = 1;
  int64_t col = 1;
};

struct Token {
  TokenKind kind = TokenKind::Eof;
  std::string_view text; ///< the spelling (for Value and At, without the sigil)
  SourceLoc loc;
  int64_t intValue = 0;
  double floatValue = 0;
  std::string str; ///< String tokens: the unescaped contents
};

/// Splits IR text into tokens on demand, skipping blanks and `#` / `//` comments.
class Lexer {
public:
  Lexer(std::string_view text, std::string_view fileName) : text_(text), fileName_(fileName) {}

  /// The next token; Eof forever once the input is exhausted.
  Token next();
  /// Throws kiln::Error "FILE:LINE:COL: message", with the message made one line.
  [[noreturn]] void error(SourceLoc loc, std::string_view message) const;

private:
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool atEnd() const { return pos_ >= text_.size(); }
  void advance();
  void skipBlanksAndComments();
  Token lexNumber(SourceLoc loc);
  Token lexString(SourceLoc loc);
  std::string_view lexRun(bool allowSlash);

  std::string_view text_;
  std::string_view fileName_;
  size_t pos_ = 0;
  SourceLoc loc_;
};

/// Characters of input/state/graph names: letters, digits, '_', '.', '-'.
bool isNameChar(char c);
/// A word (op, dtype, attribute key, output name): a letter or '_', then name chars.
bool isWord(std::string_view s);
/// A name the text form can carry after '%' for an input or state: name chars, and
/// not all digits (those name computations).
bool isValueName(std::string_view s);
/// A graph name: non-empty name chars.
bool isGraphName(std::string_view s);
/// A scope ("fc1/relu"): name chars and '/', without "//" (which starts a comment).
/// The empty scope is valid (printed as nothing).
bool isScopeName(std::string_view s);
/// "'add'", "end of line", "string \"x\"" ... for "expected X, got Y" messages.
std::string describeToken(const Token &token);
/// `message` on one line: control bytes become \n, \xNN escapes.
std::string oneLine(std::string_view message);

} // namespace kiln
