// bp::FixedBuffer — the Viki bytepool item: a byte array of fixed capacity that never grows.
//
// Writes copy what fits and report the rest instead of growing: Write returns the bytes copied,
// and ShortWrite() stays true from the first write that did not fit until Reset. (The Go original
// reports a short write only when the item was already full, so a partial write there goes
// unnoticed; the sticky flag is what lets bp::JsonWriter refuse to present a truncated document.)
// Reads consume from a read cursor that never rewinds; Position moves the end of the contents.
//
// Thread safety: none; one holder at a time. Pools (bp::FixedPool) hand items between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace bp {

class FixedBuffer {
 public:
  explicit FixedBuffer(size_t capacity);
  ~FixedBuffer();
  FixedBuffer(FixedBuffer&& other) noexcept;
  FixedBuffer& operator=(FixedBuffer&& other) noexcept;
  FixedBuffer(const FixedBuffer&) = delete;
  FixedBuffer& operator=(const FixedBuffer&) = delete;

  // Copies min(n, Available()) bytes and returns that count; a cut marks ShortWrite().
  size_t Write(const void* p, size_t n) {
    size_t k = n;
    if (k > cap_ - len_) {
      k = cap_ - len_;
      short_write_ = true;
    }
    if (k != 0) std::memcpy(raw_ + len_, p, k);
    len_ += k;
    return k;
  }
  size_t WriteString(std::string_view s) { return Write(s.data(), s.size()); }
  // False (and ShortWrite()) when the item is full.
  bool WriteByte(uint8_t c) {
    if (len_ == cap_) {
      short_write_ = true;
      return false;
    }
    raw_[len_++] = c;
    return true;
  }

  // Sets the length to n (0 <= n <= Cap()); the read cursor is clamped to it. False if n > Cap().
  // Inline: bp::JsonWriter formats numbers in place and then moves the length with it.
  bool Position(size_t n) {
    if (n > cap_) return false;
    len_ = n;
    if (read_ > n) read_ = n;
    return true;
  }
  // Appends n bytes of room and returns where they start, or nullptr (nothing changes, no
  // ShortWrite) when fewer than n are available: the caller writes them. Inline, for the JSON
  // writer's number fast path.
  uint8_t* Claim(size_t n) {
    if (cap_ - len_ < n) return nullptr;
    uint8_t* p = raw_ + len_;
    len_ += n;
    return p;
  }
  // Drops the last byte if it equals c (the Viki JSON item trims its trailing comma this way).
  bool TrimLastIf(uint8_t c);
  // Copies up to n bytes from the read cursor and advances it; 0 when drained.
  size_t Read(void* dst, size_t n);
  // True when everything written has been read.
  bool Drained() const { return read_ == len_; }

  // All the contents [0, len), read or not (Viki's Bytes()).
  std::span<const uint8_t> Bytes() const { return {raw_, len_}; }
  std::string_view View() const { return {reinterpret_cast<const char*>(raw_), len_}; }
  size_t Len() const { return len_; }
  size_t Cap() const { return cap_; }
  size_t Available() const { return cap_ - len_; }
  bool Full() const { return len_ == cap_; }
  bool ShortWrite() const { return short_write_; }

  // Empties the item (length, cursor and short-write flag); the bytes are not zeroed.
  void Reset() {
    len_ = 0;
    read_ = 0;
    short_write_ = false;
  }

  uint8_t* data() { return raw_; }
  const uint8_t* data() const { return raw_; }

  // The pool that owns this item, or nullptr for a transient item made on a pool miss.
  const void* owner() const { return owner_; }
  void set_owner(const void* owner) { owner_ = owner; }

 private:
  uint8_t* raw_ = nullptr;
  size_t cap_ = 0;
  size_t len_ = 0;
  size_t read_ = 0;
  bool short_write_ = false;
  const void* owner_ = nullptr;
};

}  // namespace bp
