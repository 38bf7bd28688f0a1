#include "pool/fixed_buffer.h"

#include <algorithm>
#include <utility>

namespace bp {

FixedBuffer::FixedBuffer(size_t capacity) : raw_(new uint8_t[capacity]), cap_(capacity) {}

FixedBuffer::~FixedBuffer() { delete[] raw_; }

FixedBuffer::FixedBuffer(FixedBuffer&& other) noexcept
    : raw_(std::exchange(other.raw_, nullptr)),
      cap_(std::exchange(other.cap_, 0)),
      len_(std::exchange(other.len_, 0)),
      read_(std::exchange(other.read_, 0)),
      short_write_(std::exchange(other.short_write_, false)),
      owner_(std::exchange(other.owner_, nullptr)) {}

FixedBuffer& FixedBuffer::operator=(FixedBuffer&& other) noexcept {
  if (this != &other) {
    delete[] raw_;
    raw_ = std::exchange(other.raw_, nullptr);
    cap_ = std::exchange(other.cap_, 0);
    len_ = std::exchange(other.len_, 0);
    read_ = std::exchange(other.read_, 0);
    short_write_ = std::exchange(other.short_write_, false);
    owner_ = std::exchange(other.owner_, nullptr);
  }
  return *this;
}

bool FixedBuffer::TrimLastIf(uint8_t c) {
  if (len_ == 0 || raw_[len_ - 1] != c) return false;
  --len_;
  read_ = std::min(read_, len_);
  return true;
}

size_t FixedBuffer::Read(void* dst, size_t n) {
  const size_t k = std::min(n, len_ - read_);
  if (k != 0) std::memcpy(dst, raw_ + read_, k);
  read_ += k;
  return k;
}

}  // namespace bp
