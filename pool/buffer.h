// bp::Buffer — a growable byte buffer with the semantics of Go's bytes.Buffer.
//
// Contents are the bytes [off, len) of one heap block of capacity cap. Writes append at len; reads
// consume from off. Growth follows Go's rules exactly (bytes.Buffer.grow, Go 1.19):
//   1. try a reslice: if n <= cap - len, extend len in place (the inline fast path);
//   2. if the buffer is empty (len == off) and off != 0, Reset to reclaim the front, then retry 1;
//   3. with no storage yet and n <= 64, allocate the 64-byte small buffer;
//   4. if n <= cap/2 - unread, slide the unread bytes down to the front (no allocation);
//   5. otherwise allocate 2*cap + n and copy the unread bytes there.
// UnreadByte is valid only right after a successful read (Read, ReadByte or Next of > 0 bytes).
// Allocations and bytes copied by growth are counted per buffer so tests can assert them.
//
// Thread safety: none. A Buffer belongs to one holder at a time; pools hand it between threads.
// Misuse never throws: out-of-range calls return false. Memory exhaustion, or a size whose doubled
// capacity would overflow (Go's ErrTooLarge panic), throws std::bad_alloc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace bp {

class Buffer {
 public:
  // The first allocation of an empty buffer for a small write (Go's smallBufferSize).
  static constexpr size_t kSmallBufferSize = 64;

  Buffer() = default;
  // A buffer with len 0 and exactly `capacity` bytes of storage (Go: bytes.NewBuffer(make(0, c))).
  explicit Buffer(size_t capacity);
  ~Buffer();
  Buffer(Buffer&& other) noexcept;
  Buffer& operator=(Buffer&& other) noexcept;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  // Appends all of p, growing as needed. Returns n (Go's Write never writes short).
  size_t Write(const void* p, size_t n) {
    uint8_t* dst = Extend(n);
    if (n != 0) std::memcpy(dst, p, n);
    return n;
  }
  size_t WriteString(std::string_view s) { return Write(s.data(), s.size()); }
  void WriteByte(uint8_t c) { *Extend(1) = c; }

  // Appends n bytes left for the caller to fill and returns where they start. This is the
  // reslice-or-grow step every write goes through: one compare on the fast path. Like every
  // write it ends the window in which UnreadByte is allowed.
  uint8_t* Extend(size_t n) {
    last_read_ = ReadOp::kInvalid;
    if (n <= cap_ - len_) {
      uint8_t* p = buf_ + len_;
      len_ += n;
      return p;
    }
    // GrowSlow may replace buf_, so it must run before buf_ is read.
    const size_t at = GrowSlow(n);
    return buf_ + at;
  }

  // Copies up to n unread bytes into dst and consumes them; returns how many (0 at end of data,
  // where the buffer is also Reset, as Go does).
  size_t Read(void* dst, size_t n);
  // The next unread byte, or -1 when there is none.
  int ReadByte();
  // Steps back over the last byte read. False unless the previous call was a successful read.
  bool UnreadByte();
  // Consumes and returns up to n unread bytes; the view is valid until the next write.
  std::span<const uint8_t> Next(size_t n);

  // The unread bytes; valid until the next modification.
  std::span<const uint8_t> Bytes() const { return {buf_ + off_, len_ - off_}; }
  std::string_view View() const {
    return {reinterpret_cast<const char*>(buf_) + off_, len_ - off_};
  }
  size_t Len() const { return len_ - off_; }
  size_t Cap() const { return cap_; }
  // Bytes that can be written without growing.
  size_t Available() const { return cap_ - len_; }

  // Makes room for n more bytes so that the next n bytes written do not allocate.
  void Grow(size_t n);
  // Empties the buffer but keeps its storage.
  void Reset() {
    len_ = 0;
    off_ = 0;
    last_read_ = ReadOp::kInvalid;
  }
  // Keeps the first n unread bytes. False (and no change) when n > Len().
  bool Truncate(size_t n);

  // Start of the storage block (cap bytes), for pools and the stress runner.
  uint8_t* data() { return buf_; }
  const uint8_t* data() const { return buf_; }

  // Growth accounting since construction.
  uint32_t allocations() const { return allocations_; }
  uint64_t bytes_copied() const { return bytes_copied_; }

 private:
  enum class ReadOp : uint8_t { kInvalid, kRead };

  // Out of line: steps 2-5 of the growth rules. Returns the offset where n bytes now start.
  size_t GrowSlow(size_t n);

  uint8_t* buf_ = nullptr;
  size_t len_ = 0;  // end of contents (Go's len(buf))
  size_t cap_ = 0;
  size_t off_ = 0;  // start of unread contents
  ReadOp last_read_ = ReadOp::kInvalid;
  uint32_t allocations_ = 0;
  uint64_t bytes_copied_ = 0;
};

}  // namespace bp
