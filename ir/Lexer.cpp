#include "kiln/ir/Lexer.h"

#include "kiln/ir/Error.h"

#include <cassert>
#include <charconv>
#include <limits>

namespace kiln {

namespace {

bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

/// A byte as it should appear in a message: itself if printable ASCII, else \xNN.
std::string showChar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f)
    return std::string(1, c);
  return fmt::format("\\x{:02x}", u);
}

Token makeToken(TokenKind kind, std::string_view text, SourceLoc loc) {
  Token token;
  token.kind = kind;
  token.text = text;
  token.loc = loc;
  return token;
}

} // namespace

bool isNameChar(char c) { return isLetter(c) || isDigit(c) || c == '.' || c == '-'; }

bool isWord(std::string_view s) {
  if (s.empty() || !isLetter(s[0]))
    return false;
  for (char c : s)
    if (!isNameChar(c))
      return false;
  return true;
}

bool isValueName(std::string_view s) {
  bool allDigits = true;
  for (char c : s) {
    if (!isNameChar(c))
      return false;
    allDigits = allDigits && isDigit(c);
  }
  return !s.empty() && !allDigits;
}

bool isGraphName(std::string_view s) {
  for (char c : s)
    if (!isNameChar(c))
      return false;
  return !s.empty();
}

bool isScopeName(std::string_view s) {
  for (char c : s)
    if (!isNameChar(c) && c != '/')
      return false;
  return s.find("//") == std::string_view::npos;
}

std::string oneLine(std::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\n')
      out += "\\n";
    else if (u < 0x20 || u == 0x7f)
      out += showChar(c);
    else
      out += c;
  }
  return out;
}

std::string describeToken(const Token &token) {
  switch (token.kind) {
  case TokenKind::Word:
  case TokenKind::Int:
  case TokenKind::Float:
    return fmt::format("'{}'", token.text);
  case TokenKind::Value:
    return fmt::format("'%{}'", token.text);
  case TokenKind::At:
    return fmt::format("'@{}'", token.text);
  case TokenKind::String:
    return "a string";
  case TokenKind::LBrace:
    return "'{'";
  case TokenKind::RBrace:
    return "'}'";
  case TokenKind::LParen:
    return "'('";
  case TokenKind::RParen:
    return "')'";
  case TokenKind::LBracket:
    return "'['";
  case TokenKind::RBracket:
    return "']'";
  case TokenKind::Comma:
    return "','";
  case TokenKind::Colon:
    return "':'";
  case TokenKind::Equal:
    return "'='";
  case TokenKind::Arrow:
    return "'<-'";
  case TokenKind::Newline:
    return "end of line";
  case TokenKind::Eof:
    return "end of file";
  }
  assert(false && "unknown token kind");
  return "?";
}

void Lexer::error(SourceLoc loc, std::string_view message) const {
  throw Error(oneLine(fmt::format("{}:{}:{}: {}", fileName_, loc.line, loc.col, message)));
}

void Lexer::advance() {
  if (text_[pos_] == '\n') {
    ++loc_.line;
    loc_.col = 1;
  } else {
    ++loc_.col;
  }
  ++pos_;
}

void Lexer::skipBlanksAndComments() {
  while (!atEnd()) {
    char c = peek();
    if (c == ' ' || c == '\t' || c == '\r') {
      advance();
    } else if (c == '#' || (c == '/' && peek(1) == '/')) {
      while (!atEnd() && peek() != '\n')
        advance();
    } else {
      return;
    }
  }
}

std::string_view Lexer::lexRun(bool allowSlash) {
  size_t start = pos_;
  while (!atEnd() && (isNameChar(peek()) || (allowSlash && peek() == '/' && peek(1) != '/')))
    advance();
  return text_.substr(start, pos_ - start);
}

Token Lexer::lexNumber(SourceLoc loc) {
  size_t start = pos_;
  Token token = makeToken(TokenKind::Int, {}, loc);
  if (peek() == '-')
    advance();
  bool minusInf = peek() == 'i' && peek(1) == 'n' && peek(2) == 'f';
  if (minusInf) {
    advance(), advance(), advance();
    token.kind = TokenKind::Float;
    token.floatValue = -std::numeric_limits<double>::infinity();
  } else {
    if (!isDigit(peek()))
      error(loc, fmt::format("expected a digit after '-', got '{}'", showChar(peek())));
    while (isDigit(peek()))
      advance();
    if (peek() == '.') {
      token.kind = TokenKind::Float;
      advance();
      while (isDigit(peek()))
        advance();
    }
    if (peek() == 'e' || peek() == 'E') {
      token.kind = TokenKind::Float;
      advance();
      if (peek() == '+' || peek() == '-')
        advance();
      if (!isDigit(peek()))
        error(loc, fmt::format("malformed number '{}': the exponent needs digits",
                               text_.substr(start, pos_ - start)));
      while (isDigit(peek()))
        advance();
    }
  }
  if (isNameChar(peek())) {
    while (!atEnd() && isNameChar(peek()))
      advance();
    error(loc, fmt::format("malformed number '{}'", text_.substr(start, pos_ - start)));
  }
  token.text = text_.substr(start, pos_ - start);
  if (token.kind == TokenKind::Int) {
    auto [end, ec] =
        std::from_chars(token.text.data(), token.text.data() + token.text.size(), token.intValue);
    if (ec != std::errc())
      error(loc, fmt::format("integer {} does not fit in 64 bits", token.text));
  } else if (!minusInf) {
    auto [end, ec] =
        std::from_chars(token.text.data(), token.text.data() + token.text.size(), token.floatValue);
    if (ec != std::errc() || end != token.text.data() + token.text.size())
      error(loc, fmt::format("float {} is out of the range of f64", token.text));
  }
  return token;
}

Token Lexer::lexString(SourceLoc loc) {
  size_t start = pos_;
  Token token = makeToken(TokenKind::String, {}, loc);
  advance(); // the opening quote
  while (true) {
    if (atEnd())
      error(loc, "unterminated string");
    char c = peek();
    if (c == '"') {
      advance();
      break;
    }
    if (c == '\\') {
      SourceLoc escapeLoc = loc_;
      advance();
      if (atEnd())
        error(loc, "unterminated string");
      c = peek();
      if (c != '"' && c != '\\')
        error(escapeLoc,
              fmt::format("unknown escape '\\{}' in string (only \\\" and \\\\)", showChar(c)));
    }
    // Other bytes, newlines included, are taken as they are: the printer writes them raw.
    token.str += c;
    advance();
  }
  token.text = text_.substr(start, pos_ - start);
  return token;
}

Token Lexer::next() {
  skipBlanksAndComments();
  SourceLoc loc = loc_;
  if (atEnd())
    return makeToken(TokenKind::Eof, {}, loc);
  char c = peek();
  auto punct = [&](TokenKind kind, size_t length) {
    Token token = makeToken(kind, text_.substr(pos_, length), loc);
    for (size_t i = 0; i < length; ++i)
      advance();
    return token;
  };
  switch (c) {
  case '\n':
    return punct(TokenKind::Newline, 1);
  case '{':
    return punct(TokenKind::LBrace, 1);
  case '}':
    return punct(TokenKind::RBrace, 1);
  case '(':
    return punct(TokenKind::LParen, 1);
  case ')':
    return punct(TokenKind::RParen, 1);
  case '[':
    return punct(TokenKind::LBracket, 1);
  case ']':
    return punct(TokenKind::RBracket, 1);
  case ',':
    return punct(TokenKind::Comma, 1);
  case ':':
    return punct(TokenKind::Colon, 1);
  case '=':
    return punct(TokenKind::Equal, 1);
  case '"':
    return lexString(loc);
  case '<':
    if (peek(1) == '-')
      return punct(TokenKind::Arrow, 2);
    break;
  case '%':
  case '@': {
    advance();
    std::string_view run = lexRun(/*allowSlash=*/c == '@');
    if (run.empty())
      error(loc, c == '%' ? "expected a value name after '%'" : "expected a name after '@'");
    return makeToken(c == '%' ? TokenKind::Value : TokenKind::At, run, loc);
  }
  default:
    break;
  }
  if (c == '-' || isDigit(c))
    return lexNumber(loc);
  if (isLetter(c))
    return makeToken(TokenKind::Word, lexRun(/*allowSlash=*/false), loc);
  error(loc, fmt::format("unexpected character '{}'", showChar(c)));
}

} // namespace kiln
