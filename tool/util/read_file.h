// The whole contents of a file as a string: "" when it cannot be read (the caller's parser then
// says what is missing).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace bp {

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace bp
