// Property: bp::FixedBuffer never grows and behaves like the Viki bytepool item with a sticky
// short-write flag. A byte-coded sequence of operations is applied both to a FixedBuffer and to a
// reference model (the full capacity as a std::string, the length, the read cursor and the flag);
// after every operation the contents, Len, Cap, Available, Full, ShortWrite, Drained and every
// return value must agree, and the read cursor must never rewind. Any difference aborts.
//
// Input: one byte choosing the capacity (mostly small, so writes are cut often), then operations,
// each an opcode byte followed by its arguments.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "fuzz/fuzz_support.h"
#include "pool/fixed_buffer.h"

namespace {

using bp::fuzz::Input;

constexpr size_t kMaxCap = 55 * 70;            // the largest capacity the first byte chooses
constexpr size_t kMaxWrite = 2 * kMaxCap + 2;  // a write asks for up to twice the capacity

struct Model {
  std::string raw;  // all cap bytes: Position may expose bytes past the length
  size_t len = 0;
  size_t read = 0;
  bool short_write = false;

  size_t Write(std::string_view p) {
    const size_t k = std::min(p.size(), raw.size() - len);
    if (k < p.size()) short_write = true;
    raw.replace(len, k, p.substr(0, k));
    len += k;
    return k;
  }
};

// seed + i * 13: the payload of a write, a view into a static table (fuzz_support.h).
std::string_view Payload(size_t n, uint8_t seed) {
  return bp::fuzz::Pattern<13, kMaxWrite>(n, seed);
}

void Compare(const bp::FixedBuffer& b, const Model& m) {
  FUZZ_CHECK(b.Cap() == m.raw.size());
  FUZZ_CHECK(b.Len() == m.len);
  FUZZ_CHECK(b.Available() == m.raw.size() - m.len);
  FUZZ_CHECK(b.Full() == (m.len == m.raw.size()));
  FUZZ_CHECK(b.ShortWrite() == m.short_write);
  FUZZ_CHECK(b.Drained() == (m.read == m.len));
  FUZZ_CHECK(b.View() == std::string_view(m.raw).substr(0, m.len));
  FUZZ_CHECK(b.Bytes().size() == m.len);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  const uint8_t c0 = in.Byte();
  const size_t cap = c0 < 200 ? c0 % 64 : (c0 - 200u) * 70;  // 0..63, or up to kMaxCap
  bp::FixedBuffer b(cap);
  Model m;
  // Fill the storage once so that bytes exposed by Position are known, not uninitialized.
  m.raw = Payload(cap, 0x5A);
  FUZZ_CHECK(b.WriteString(m.raw) == cap);
  b.Reset();
  std::string out;
  while (!in.empty()) {
    switch (in.Byte() % 9) {
      case 0: {  // Write, sometimes more than fits
        const size_t n = in.U16() % (2 * cap + 3);
        const std::string_view p = Payload(n, in.Byte());
        FUZZ_CHECK(b.Write(p.data(), n) == m.Write(p));
        break;
      }
      case 1: {  // WriteByte
        const uint8_t c = in.Byte();
        const bool ok = b.WriteByte(c);
        FUZZ_CHECK(ok == (m.len < cap));
        if (ok) {
          m.raw[m.len++] = static_cast<char>(c);
        } else {
          m.short_write = true;
        }
        break;
      }
      case 2: {  // Position, in range or just past it
        const size_t n = in.U16() % (cap + 3);
        const bool ok = b.Position(n);
        FUZZ_CHECK(ok == (n <= cap));
        if (ok) {
          m.len = n;
          m.read = std::min(m.read, n);
        }
        break;
      }
      case 3: {  // TrimLastIf, with a comma or an arbitrary byte
        const uint8_t arg = in.Byte();
        const uint8_t c = arg & 1 ? ',' : arg;
        const bool expect = m.len > 0 && static_cast<uint8_t>(m.raw[m.len - 1]) == c;
        FUZZ_CHECK(b.TrimLastIf(c) == expect);
        if (expect) {
          --m.len;
          m.read = std::min(m.read, m.len);
        }
        break;
      }
      case 4: {  // Read: from the cursor, never rewinding
        const size_t n = in.Byte();
        out.assign(n, '\0');
        const size_t got = b.Read(out.data(), n);
        const size_t k = std::min(n, m.len - m.read);
        FUZZ_CHECK(got == k);
        FUZZ_CHECK(out.compare(0, k, m.raw, m.read, k) == 0);
        m.read += k;
        break;
      }
      case 5:  // Reset
        b.Reset();
        m.len = 0;
        m.read = 0;
        m.short_write = false;
        break;
      case 6: {  // move out and back: the whole state travels with the storage
        bp::FixedBuffer moved(std::move(b));
        FUZZ_CHECK(b.Cap() == 0 && b.data() == nullptr);
        b = std::move(moved);
        break;
      }
      case 7: {  // WriteString of a prefix of the input itself
        const size_t n = std::min<size_t>(in.Byte(), size);
        const std::string_view s(reinterpret_cast<const char*>(data), n);
        FUZZ_CHECK(b.WriteString(s) == m.Write(s));
        break;
      }
      default: {  // a zero-length write never cuts anything
        FUZZ_CHECK(b.Write(data, 0) == 0);
        break;
      }
    }
    Compare(b, m);
  }
  return 0;
}
