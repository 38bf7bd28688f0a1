// POSIX shell quoting of command lines that bpstress prints for people to paste (the reproduce
// line) and checks in reports (`bpstress verify` of a hunt report).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bp {

// Plain words (letters, digits and _-+=:,./@%) as they are, others in single quotes, a quote
// inside written as '\''. The shell reads the result back as exactly `word`.
std::string ShellQuote(std::string_view word);
// The words quoted and joined by single spaces.
std::string ShellJoin(const std::vector<std::string>& words);

}  // namespace bp
