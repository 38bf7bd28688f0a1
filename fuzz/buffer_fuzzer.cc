// Property: bp::Buffer behaves exactly like Go's bytes.Buffer. A byte-coded sequence of operations
// is applied both to a bp::Buffer and to a reference model — a transcription of Go 1.19's
// bytes.Buffer (its slice as a std::string, the read offset, the capacity and the lastRead flag) —
// and after every operation Len, Cap, Available, every return value, the allocation and copy
// counts and the unread contents must agree (the contents in full, or when only appended to, the
// appended bytes: see Compare). Any difference aborts.
//
// Input: a sequence of operations, each an opcode byte followed by its arguments (sizes as
// little-endian 16-bit values, bounded to 4 KiB so that runs stay fast).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "fuzz/fuzz_support.h"
#include "pool/buffer.h"

namespace {

using bp::fuzz::Input;

constexpr size_t kMaxOpSize = 4096;

size_t OpSize(Input& in) { return in.U16() % (kMaxOpSize + 1); }

// Go 1.19 bytes.Buffer, line by line: buf is b.buf[:len], cap is cap(b.buf), nil is b.buf == nil.
struct Model {
  std::string buf;
  size_t off = 0;
  size_t cap = 0;
  bool nil = true;
  bool last_read = false;
  uint32_t allocations = 0;
  uint64_t copied = 0;
  uint64_t frame = 0;  // counts the times buf's bytes moved to other indices (not Go's)

  size_t Len() const { return buf.size() - off; }
  void Reset() {
    ++frame;
    buf.clear();
    off = 0;
    last_read = false;
  }
  // The write path (Write, WriteByte, WriteString): tryGrowByReslice first, then grow.
  size_t WriteRoom(size_t n) {
    last_read = false;
    if (n <= cap - buf.size()) {
      const size_t at = buf.size();
      buf.resize(at + n);
      return at;
    }
    return Grow(n);
  }
  // bytes.Buffer.grow: returns the index where n bytes should be written; buf has grown by n.
  size_t Grow(size_t n) {
    const size_t m = Len();
    if (m == 0 && off != 0) Reset();
    if (n <= cap - buf.size()) {  // tryGrowByReslice
      const size_t at = buf.size();
      buf.resize(at + n);
      return at;
    }
    if (nil && n <= 64) {  // smallBufferSize
      nil = false;
      cap = 64;
      ++allocations;
      buf.assign(n, '\0');
      return 0;
    }
    const long long c = static_cast<long long>(cap);
    if (static_cast<long long>(n) <= c / 2 - static_cast<long long>(m)) {
      buf.erase(0, off);  // copy(b.buf, b.buf[b.off:])
      ++frame;
    } else {
      buf.erase(0, off);  // buf := makeSlice(2*c + n); copy(buf, b.buf[b.off:])
      ++frame;
      cap = 2 * cap + n;
      nil = false;
      ++allocations;
    }
    copied += m;
    off = 0;
    buf.resize(m + n);
    return m;
  }
};

// seed + i * 7: the payload of a write, a view into a static table (fuzz_support.h).
std::string_view Payload(size_t n, uint8_t seed) {
  return bp::fuzz::Pattern<7, kMaxOpSize>(n, seed);
}

// Where the bytes were before an operation: a difference in any of the first four means the
// operation may have moved or replaced them.
struct Storage {
  const uint8_t* data;
  uint32_t allocations;
  uint64_t copied;
  uint64_t frame;
  size_t model_size;  // m.buf.size(): the bytes an append adds are past it
};

Storage StorageOf(const bp::Buffer& b, const Model& m) {
  return {b.data(), b.allocations(), b.bytes_copied(), m.frame, m.buf.size()};
}

// Contents up to this length are compared in full after every operation.
constexpr size_t kFullCompareLen = 4096;

// An operation that would take the buffer past kMaxUnread bytes (appended or asked for by Grow)
// resets both sides first, an ordinary Reset. Go reallocates only when n > cap / 2 - unread, to
// 2 * cap + n, so the capacity stays below 4 * kMaxUnread + kMaxOpSize, under ASan's 128 KiB mmap
// threshold: unbounded, an input grew buffers of hundreds of KiB, each doubling mapped and
// unmapped fresh memory, and page faults and fills were most of the target's time. Go's growth
// rules are relative (64 bytes, half the capacity, twice it plus n), so all are reached below it.
constexpr size_t kMaxUnread = 16 * 1024;

void Bound(bp::Buffer& b, Model& m, size_t n) {
  if (m.Len() + n <= kMaxUnread) return;
  b.Reset();
  m.Reset();
}

// After every operation: every size, every counter, and the contents. The contents are compared
// in full when they are short, when the operation may have moved them (growth copied or
// reallocated, a move, a fresh buffer: `before` differs) and at the end of the input (`full`);
// otherwise only the bytes the operation appended, because an append or a read leaves the bytes
// already compared where they were. Comparing all of a long buffer after every operation made the
// target quadratic in its input.
void Compare(const bp::Buffer& b, const Model& m, const Storage& before, bool full) {
  FUZZ_CHECK(b.Len() == m.Len());
  FUZZ_CHECK(b.Cap() == m.cap);
  FUZZ_CHECK(b.Available() == m.cap - m.buf.size());
  FUZZ_CHECK(b.Bytes().size() == b.Len());
  FUZZ_CHECK(b.allocations() == m.allocations);
  FUZZ_CHECK(b.bytes_copied() == m.copied);
  const std::string_view want = std::string_view(m.buf).substr(m.off);
  const Storage now = StorageOf(b, m);
  full = full || want.size() <= kFullCompareLen || now.data != before.data ||
         now.allocations != before.allocations || now.copied != before.copied ||
         now.frame != before.frame;
  if (full) {
    FUZZ_CHECK(b.View() == want);
  } else if (now.model_size > before.model_size) {
    const size_t appended = std::min(now.model_size - before.model_size, want.size());
    FUZZ_CHECK(b.View().substr(want.size() - appended) == want.substr(want.size() - appended));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in(data, size);
  bp::Buffer b;
  Model m;
  std::string out;
  while (!in.empty()) {
    const Storage before = StorageOf(b, m);
    bool replaced = false;  // the whole buffer was moved or replaced
    switch (in.Byte() % 13) {
      case 0: {  // Write
        const size_t n = OpSize(in);
        Bound(b, m, n);
        const std::string_view p = Payload(n, in.Byte());
        FUZZ_CHECK(b.Write(p.data(), n) == n);
        const size_t at = m.WriteRoom(n);
        m.buf.replace(at, n, p);
        break;
      }
      case 1: {  // WriteByte
        const uint8_t c = in.Byte();
        Bound(b, m, 1);
        b.WriteByte(c);
        m.buf[m.WriteRoom(1)] = static_cast<char>(c);
        break;
      }
      case 2: {  // Extend, then fill the returned room
        const size_t n = OpSize(in);
        Bound(b, m, n);
        const std::string_view p = Payload(n, in.Byte());
        uint8_t* dst = b.Extend(n);
        if (n != 0) std::memcpy(dst, p.data(), n);
        const size_t at = m.WriteRoom(n);
        m.buf.replace(at, n, p);
        break;
      }
      case 3: {  // Read
        const size_t n = OpSize(in);
        out.assign(n, '\0');
        const size_t got = b.Read(out.data(), n);
        m.last_read = false;
        if (m.Len() == 0) {
          m.Reset();
          FUZZ_CHECK(got == 0);
          break;
        }
        const size_t k = std::min(n, m.Len());
        FUZZ_CHECK(got == k);
        FUZZ_CHECK(out.compare(0, k, m.buf, m.off, k) == 0);
        m.off += k;
        if (k > 0) m.last_read = true;
        break;
      }
      case 4: {  // ReadByte
        const int got = b.ReadByte();
        if (m.Len() == 0) {
          m.Reset();
          FUZZ_CHECK(got == -1);
          break;
        }
        FUZZ_CHECK(got == static_cast<uint8_t>(m.buf[m.off]));
        ++m.off;
        m.last_read = true;
        break;
      }
      case 5: {  // UnreadByte
        const bool got = b.UnreadByte();
        FUZZ_CHECK(got == m.last_read);
        if (m.last_read) {
          m.last_read = false;
          if (m.off > 0) --m.off;
        }
        break;
      }
      case 6: {  // Next
        const size_t n = OpSize(in);
        const auto got = b.Next(n);
        m.last_read = false;
        const size_t k = std::min(n, m.Len());
        FUZZ_CHECK(got.size() == k);
        FUZZ_CHECK(std::string_view(reinterpret_cast<const char*>(got.data()), k) ==
                   std::string_view(m.buf).substr(m.off, k));
        m.off += k;
        if (k > 0) m.last_read = true;
        break;
      }
      case 7: {  // Grow: room for n, length unchanged
        const size_t n = OpSize(in);
        Bound(b, m, n);
        b.Grow(n);
        const size_t at = m.Grow(n);
        m.buf.resize(at);
        break;
      }
      case 8:  // Reset
        b.Reset();
        m.Reset();
        break;
      case 9: {  // Truncate, in range or just past it
        const size_t n = OpSize(in) % (m.Len() + 2);
        const bool got = b.Truncate(n);
        if (n == 0) {
          m.Reset();
          FUZZ_CHECK(got);
          break;
        }
        m.last_read = false;
        FUZZ_CHECK(got == (n <= m.Len()));
        if (got) m.buf.resize(m.off + n);
        break;
      }
      case 10: {  // move out and back: the state, read flag included, travels with the storage
        bp::Buffer moved(std::move(b));
        FUZZ_CHECK(b.Len() == 0 && b.Cap() == 0 && b.data() == nullptr);
        b = std::move(moved);
        replaced = true;
        break;
      }
      case 11: {  // WriteString of a prefix of the input itself
        const size_t n = std::min<size_t>(in.Byte(), size);
        const std::string_view s(reinterpret_cast<const char*>(data), n);
        Bound(b, m, n);
        FUZZ_CHECK(b.WriteString(s) == n);
        const size_t at = m.WriteRoom(n);
        m.buf.replace(at, n, s);
        break;
      }
      default: {  // a fresh buffer of a given capacity (Go: bytes.NewBuffer(make([]byte, 0, c)))
        const size_t c = OpSize(in);
        b = bp::Buffer(c);
        m = Model();
        if (c != 0) {
          m.cap = c;
          m.nil = false;
          m.allocations = 1;
        }
        replaced = true;
        break;
      }
    }
    Compare(b, m, before, replaced);
  }
  Compare(b, m, StorageOf(b, m), true);
  return 0;
}
