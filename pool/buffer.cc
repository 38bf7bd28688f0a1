#include "pool/buffer.h"

#include <algorithm>
#include <new>
#include <utility>

namespace bp {

Buffer::Buffer(size_t capacity) {
  if (capacity != 0) {
    buf_ = new uint8_t[capacity];
    cap_ = capacity;
    allocations_ = 1;
  }
}

Buffer::~Buffer() { delete[] buf_; }

Buffer::Buffer(Buffer&& other) noexcept
    : buf_(std::exchange(other.buf_, nullptr)),
      len_(std::exchange(other.len_, 0)),
      cap_(std::exchange(other.cap_, 0)),
      off_(std::exchange(other.off_, 0)),
      last_read_(std::exchange(other.last_read_, ReadOp::kInvalid)),
      allocations_(std::exchange(other.allocations_, 0)),
      bytes_copied_(std::exchange(other.bytes_copied_, 0)) {}

Buffer& Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    delete[] buf_;
    buf_ = std::exchange(other.buf_, nullptr);
    len_ = std::exchange(other.len_, 0);
    cap_ = std::exchange(other.cap_, 0);
    off_ = std::exchange(other.off_, 0);
    last_read_ = std::exchange(other.last_read_, ReadOp::kInvalid);
    allocations_ = std::exchange(other.allocations_, 0);
    bytes_copied_ = std::exchange(other.bytes_copied_, 0);
  }
  return *this;
}

size_t Buffer::GrowSlow(size_t n) {
  const size_t m = Len();
  if (m == 0 && off_ != 0) Reset();
  if (n <= cap_ - len_) {  // the reset made room
    const size_t at = len_;
    len_ += n;
    return at;
  }
  if (buf_ == nullptr && n <= kSmallBufferSize) {
    buf_ = new uint8_t[kSmallBufferSize];
    cap_ = kSmallBufferSize;
    ++allocations_;
    len_ = n;
    return 0;
  }
  if (m <= cap_ / 2 && n <= cap_ / 2 - m) {
    // Slide down instead of allocating. Only m + n <= cap is needed to slide, but Go lets the
    // capacity get twice as large first so that it does not spend all its time copying.
    std::memmove(buf_, buf_ + off_, m);
    bytes_copied_ += m;
  } else {
    if (n > SIZE_MAX / 2 - cap_) throw std::bad_alloc();  // Go: panic(ErrTooLarge)
    const size_t new_cap = 2 * cap_ + n;
    uint8_t* fresh = new uint8_t[new_cap];
    if (m != 0) std::memcpy(fresh, buf_ + off_, m);
    bytes_copied_ += m;
    ++allocations_;
    delete[] buf_;
    buf_ = fresh;
    cap_ = new_cap;
  }
  off_ = 0;
  len_ = m + n;
  return m;
}

void Buffer::Grow(size_t n) {
  // Not through Extend: Go's Grow is no write, so it leaves the UnreadByte window open. Unlike
  // Write it goes straight to grow(), which first reclaims the front of an emptied buffer.
  if (Len() == 0 && off_ != 0) Reset();
  if (n <= cap_ - len_) return;
  len_ = GrowSlow(n);  // Go: b.buf = b.buf[:m] — the room stays, the length does not
}

size_t Buffer::Read(void* dst, size_t n) {
  last_read_ = ReadOp::kInvalid;
  if (len_ == off_) {
    Reset();
    return 0;
  }
  const size_t k = std::min(n, len_ - off_);
  if (k != 0) std::memcpy(dst, buf_ + off_, k);
  off_ += k;
  if (k > 0) last_read_ = ReadOp::kRead;
  return k;
}

int Buffer::ReadByte() {
  if (len_ == off_) {
    Reset();
    return -1;
  }
  const uint8_t c = buf_[off_++];
  last_read_ = ReadOp::kRead;
  return c;
}

bool Buffer::UnreadByte() {
  if (last_read_ == ReadOp::kInvalid) return false;
  last_read_ = ReadOp::kInvalid;
  if (off_ > 0) --off_;
  return true;
}

std::span<const uint8_t> Buffer::Next(size_t n) {
  last_read_ = ReadOp::kInvalid;
  const size_t k = std::min(n, len_ - off_);
  std::span<const uint8_t> out(buf_ + off_, k);
  off_ += k;
  if (k > 0) last_read_ = ReadOp::kRead;
  return out;
}

bool Buffer::Truncate(size_t n) {
  if (n == 0) {
    Reset();
    return true;
  }
  last_read_ = ReadOp::kInvalid;
  if (n > Len()) return false;
  len_ = off_ + n;
  return true;
}

}  // namespace bp
