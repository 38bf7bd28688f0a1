// A main() for fuzz targets in builds without libFuzzer: replays saved inputs (seed corpus and
// crash reproducers) through LLVMFuzzerTestOneInput so that every build, sanitized or not, checks
// them. Each argument is a file or a directory of files (not recursive, in sorted order); a
// missing path is skipped silently, because a surface may have no reproducers yet. A failing
// input aborts inside the target, so reaching the end means every input passed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

bool RunFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
    return false;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  // A heap block of exactly the input's size, as libFuzzer passes it, so ASan reports a read past
  // the end; never null, not even for an empty input.
  const std::unique_ptr<uint8_t[]> data(new uint8_t[bytes.size()]);
  std::copy(bytes.begin(), bytes.end(), data.get());
  LLVMFuzzerTestOneInput(data.get(), bytes.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (const fs::directory_entry& entry : fs::directory_iterator(arg, ec)) {
        if (entry.is_regular_file(ec)) files.push_back(entry.path());
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& file : files) replayed += RunFile(file) ? 1 : 0;
    } else if (fs::is_regular_file(arg, ec)) {
      replayed += RunFile(arg) ? 1 : 0;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  return 0;
}
