// bp::Buffer: Go bytes.Buffer semantics — the growth rule (with its allocation and copy counts),
// the read side (Read, ReadByte, UnreadByte, Next, Truncate) and ownership transfer by move.
// Sanitizer builds run these too: a buffer owns and grows memory.
#include "pool/buffer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>

namespace bp {
namespace {

std::string Str(std::span<const uint8_t> s) { return {s.begin(), s.end()}; }

void WriteN(Buffer& b, size_t n, char c = 'x') { b.WriteString(std::string(n, c)); }

TEST(BufferTest, EmptyBufferOwnsNothing) {
  Buffer b;
  EXPECT_EQ(b.Len(), 0u);
  EXPECT_EQ(b.Cap(), 0u);
  EXPECT_EQ(b.data(), nullptr);
  EXPECT_EQ(b.allocations(), 0u);
  b.Write(nullptr, 0);
  EXPECT_EQ(b.allocations(), 0u);
}

TEST(BufferTest, FirstSmallWriteAllocatesSmallBufferSize) {
  Buffer b;
  EXPECT_EQ(b.WriteString("a"), 1u);
  EXPECT_EQ(b.Cap(), Buffer::kSmallBufferSize);
  EXPECT_EQ(b.allocations(), 1u);
  EXPECT_EQ(b.View(), "a");
}

TEST(BufferTest, FirstLargeWriteAllocatesTwiceCapPlusN) {
  Buffer b;
  WriteN(b, 65);
  EXPECT_EQ(b.Cap(), 65u);  // 2*0 + 65
  EXPECT_EQ(b.allocations(), 1u);
}

TEST(BufferTest, GrowthSequenceIsTwiceCapPlusN) {
  Buffer b;
  WriteN(b, 1);
  WriteN(b, 63);  // fills the 64-byte buffer exactly: no growth
  EXPECT_EQ(b.Cap(), 64u);
  EXPECT_EQ(b.allocations(), 1u);
  WriteN(b, 1);
  EXPECT_EQ(b.Cap(), 2u * 64 + 1);
  EXPECT_EQ(b.allocations(), 2u);
  EXPECT_EQ(b.bytes_copied(), 64u);
  WriteN(b, 100);  // len 165 > 129
  EXPECT_EQ(b.Cap(), 2u * 129 + 100);
  EXPECT_EQ(b.allocations(), 3u);
  EXPECT_EQ(b.bytes_copied(), 64u + 65);
  EXPECT_EQ(b.Len(), 165u);
}

TEST(BufferTest, GrowthKeepsContents) {
  Buffer b;
  std::string expect;
  for (int i = 0; i < 200; ++i) {
    const std::string piece = std::to_string(i) + ";";
    b.WriteString(piece);
    expect += piece;
  }
  EXPECT_EQ(b.View(), expect);
}

TEST(BufferTest, SlidesWhenUnreadPlusNFitsInHalf) {
  Buffer b;
  b.WriteString(std::string(38, 'a') + "yz");
  char sink[38];
  ASSERT_EQ(b.Read(sink, 38), 38u);  // off 38, len 40, 2 unread
  WriteN(b, 30, 'w');                // 30 > 24 free at the end, 30 <= 64/2 - 2: slide
  EXPECT_EQ(b.Cap(), 64u);
  EXPECT_EQ(b.allocations(), 1u);
  EXPECT_EQ(b.bytes_copied(), 2u);
  EXPECT_EQ(b.View(), "yz" + std::string(30, 'w'));
}

TEST(BufferTest, ReallocatesWhenSlideWouldLeaveLessThanHalf) {
  Buffer b;
  b.WriteString(std::string(38, 'a') + "yz");
  char sink[38];
  ASSERT_EQ(b.Read(sink, 38), 38u);
  WriteN(b, 31, 'w');  // 31 > 64/2 - 2: a new block of 2*64 + 31
  EXPECT_EQ(b.Cap(), 2u * 64 + 31);
  EXPECT_EQ(b.allocations(), 2u);
  EXPECT_EQ(b.bytes_copied(), 2u);  // only the unread bytes move
  EXPECT_EQ(b.View(), "yz" + std::string(31, 'w'));
}

TEST(BufferTest, ResetsWhenEmptyWithOffset) {
  Buffer b;
  WriteN(b, 60);
  char sink[60];
  ASSERT_EQ(b.Read(sink, 60), 60u);  // everything read: off 60, len 60
  EXPECT_EQ(b.Available(), 4u);
  b.WriteString("0123456789");  // does not fit at the end, but the whole block is free
  EXPECT_EQ(b.Cap(), 64u);
  EXPECT_EQ(b.allocations(), 1u);
  EXPECT_EQ(b.bytes_copied(), 0u);
  EXPECT_EQ(b.View(), "0123456789");
  EXPECT_EQ(b.Available(), 54u);
}

TEST(BufferTest, WriteThatFitsAfterFullReadDoesNotReset) {
  Buffer b;
  WriteN(b, 60);
  char sink[60];
  ASSERT_EQ(b.Read(sink, 60), 60u);
  b.WriteString("abc");  // fits by reslice: Go does not reclaim the front here
  EXPECT_EQ(b.View(), "abc");
  EXPECT_EQ(b.Available(), 1u);
}

TEST(BufferTest, GrowThenWritesDoNotAllocate) {
  Buffer b;
  b.WriteString("head");
  b.Grow(1000);
  const uint32_t allocations = b.allocations();
  EXPECT_GE(b.Available(), 1000u);
  EXPECT_EQ(b.View(), "head");  // Grow keeps the length
  for (int i = 0; i < 100; ++i) WriteN(b, 10, static_cast<char>('a' + i % 26));
  EXPECT_EQ(b.allocations(), allocations);
  EXPECT_EQ(b.Len(), 1004u);
}

TEST(BufferTest, GrowFollowsTheSameRule) {
  Buffer empty;
  empty.Grow(0);
  EXPECT_EQ(empty.allocations(), 0u);
  empty.Grow(10);
  EXPECT_EQ(empty.Cap(), 64u);
  EXPECT_EQ(empty.Len(), 0u);
  Buffer b;
  WriteN(b, 64);
  b.Grow(10);
  EXPECT_EQ(b.Cap(), 2u * 64 + 10);
  EXPECT_EQ(b.Len(), 64u);
}

TEST(BufferTest, GrowIsNotAWriteButReclaimsAnEmptiedBuffer) {
  Buffer b;
  b.WriteString("abc");
  EXPECT_EQ(b.ReadByte(), 'a');
  b.Grow(10);
  EXPECT_TRUE(b.UnreadByte());  // Grow leaves the UnreadByte window open
  EXPECT_EQ(b.View(), "abc");

  Buffer e;
  e.WriteString("ab");
  EXPECT_EQ(Str(e.Next(2)), "ab");
  EXPECT_EQ(e.Available(), 62u);
  e.Grow(1);  // fits, yet Go's grow resets an empty buffer with an offset first
  EXPECT_EQ(e.Available(), 64u);
  EXPECT_FALSE(e.UnreadByte());  // the reset ended the read
}

TEST(BufferTest, ExtendIsAWrite) {
  Buffer b;
  b.WriteString("abc");
  EXPECT_EQ(b.ReadByte(), 'a');
  uint8_t* room = b.Extend(2);
  room[0] = 'd';
  room[1] = 'e';
  EXPECT_FALSE(b.UnreadByte());
  EXPECT_EQ(b.View(), "bcde");
}

TEST(BufferTest, CapacityConstructor) {
  Buffer b(100);
  EXPECT_EQ(b.Cap(), 100u);
  EXPECT_EQ(b.Len(), 0u);
  EXPECT_EQ(b.allocations(), 1u);
  WriteN(b, 100);
  EXPECT_EQ(b.allocations(), 1u);
  WriteN(b, 1);
  EXPECT_EQ(b.Cap(), 201u);
}

TEST(BufferTest, ReadConsumesAndResetsOnEmpty) {
  Buffer b;
  b.WriteString("hello");
  char out[8] = {};
  EXPECT_EQ(b.Read(out, 3), 3u);
  EXPECT_EQ(std::string_view(out, 3), "hel");
  EXPECT_EQ(b.Read(out, 8), 2u);
  EXPECT_EQ(std::string_view(out, 2), "lo");
  EXPECT_EQ(b.Available(), 59u);  // not reset yet
  EXPECT_EQ(b.Read(out, 8), 0u);  // empty: reset
  EXPECT_EQ(b.Available(), 64u);
  EXPECT_EQ(b.Len(), 0u);
}

TEST(BufferTest, ReadByteReturnsBytesThenMinusOne) {
  Buffer b;
  b.WriteByte('a');
  b.WriteByte(0xFF);
  EXPECT_EQ(b.ReadByte(), 'a');
  EXPECT_EQ(b.ReadByte(), 0xFF);
  EXPECT_EQ(b.Available(), 62u);
  EXPECT_EQ(b.ReadByte(), -1);
  EXPECT_EQ(b.Available(), 64u);  // reset on empty
}

TEST(BufferTest, UnreadByteOnlyRightAfterASuccessfulRead) {
  Buffer b;
  EXPECT_FALSE(b.UnreadByte());
  b.WriteString("abc");
  EXPECT_FALSE(b.UnreadByte());  // after a write
  EXPECT_EQ(b.ReadByte(), 'a');
  EXPECT_TRUE(b.UnreadByte());
  EXPECT_FALSE(b.UnreadByte());  // only once
  EXPECT_EQ(b.View(), "abc");

  char out[2];
  EXPECT_EQ(b.Read(out, 2), 2u);
  EXPECT_TRUE(b.UnreadByte());  // steps back one byte, not the whole read
  EXPECT_EQ(b.View(), "bc");

  EXPECT_EQ(b.Read(out, 0), 0u);  // a read of nothing is not a successful read
  EXPECT_FALSE(b.UnreadByte());

  EXPECT_EQ(b.ReadByte(), 'b');
  b.WriteByte('d');
  EXPECT_FALSE(b.UnreadByte());  // a write in between
  EXPECT_EQ(b.View(), "cd");
}

TEST(BufferTest, UnreadByteAfterFailedReadsFails) {
  Buffer b;
  b.WriteString("a");
  EXPECT_EQ(b.ReadByte(), 'a');
  EXPECT_EQ(b.ReadByte(), -1);
  EXPECT_FALSE(b.UnreadByte());
  char out[1];
  EXPECT_EQ(b.Read(out, 1), 0u);
  EXPECT_FALSE(b.UnreadByte());
}

TEST(BufferTest, NextReturnsAtMostLen) {
  Buffer b;
  b.WriteString("abcdef");
  EXPECT_EQ(Str(b.Next(2)), "ab");
  EXPECT_TRUE(b.UnreadByte());
  EXPECT_EQ(b.View(), "bcdef");
  EXPECT_EQ(Str(b.Next(0)), "");
  EXPECT_FALSE(b.UnreadByte());  // Next(0) reads nothing
  EXPECT_EQ(Str(b.Next(100)), "bcdef");
  EXPECT_EQ(b.Len(), 0u);
  EXPECT_EQ(Str(b.Next(1)), "");
}

TEST(BufferTest, TruncateKeepsUnreadPrefix) {
  Buffer b;
  b.WriteString("abcdef");
  EXPECT_EQ(b.ReadByte(), 'a');
  EXPECT_FALSE(b.Truncate(6));  // only 5 unread
  EXPECT_EQ(b.View(), "bcdef");
  EXPECT_EQ(b.ReadByte(), 'b');
  EXPECT_TRUE(b.Truncate(2));
  EXPECT_EQ(b.View(), "cd");
  EXPECT_FALSE(b.UnreadByte());  // Truncate invalidates the last read
  EXPECT_TRUE(b.Truncate(2));    // n == Len is allowed
  EXPECT_EQ(b.View(), "cd");
}

TEST(BufferTest, TruncateZeroResets) {
  Buffer b;
  WriteN(b, 50);
  EXPECT_EQ(b.ReadByte(), 'x');
  EXPECT_TRUE(b.Truncate(0));
  EXPECT_EQ(b.Len(), 0u);
  EXPECT_EQ(b.Available(), 64u);  // the front is reclaimed too
}

TEST(BufferTest, ResetKeepsStorage) {
  Buffer b;
  WriteN(b, 100);
  const uint8_t* storage = b.data();
  b.Reset();
  EXPECT_EQ(b.Len(), 0u);
  EXPECT_EQ(b.Cap(), 100u);
  WriteN(b, 100);
  EXPECT_EQ(b.data(), storage);
  EXPECT_EQ(b.allocations(), 1u);
}

TEST(BufferTest, MoveConstructionTransfersEverything) {
  Buffer a;
  WriteN(a, 70);
  EXPECT_EQ(a.ReadByte(), 'x');
  const uint8_t* storage = a.data();
  Buffer b(std::move(a));
  EXPECT_EQ(b.data(), storage);
  EXPECT_EQ(b.Len(), 69u);
  EXPECT_EQ(b.Cap(), 70u);
  EXPECT_EQ(b.allocations(), 1u);
  EXPECT_TRUE(b.UnreadByte());  // the read state moves too
  EXPECT_EQ(b.Len(), 70u);
  // The moved-from buffer is empty and usable.
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.Len(), 0u);
  EXPECT_EQ(a.Cap(), 0u);
  EXPECT_EQ(a.allocations(), 0u);
  EXPECT_FALSE(a.UnreadByte());
  a.WriteString("again");
  EXPECT_EQ(a.View(), "again");
  EXPECT_EQ(a.Cap(), 64u);
}

TEST(BufferTest, MoveAssignmentReleasesOldStorage) {
  Buffer a;
  a.WriteString("source");
  Buffer b;
  WriteN(b, 500);  // freed by the assignment (LeakSanitizer checks in sanitizer builds)
  b = std::move(a);
  EXPECT_EQ(b.View(), "source");
  EXPECT_EQ(a.Cap(), 0u);  // NOLINT(bugprone-use-after-move)
  Buffer& alias = b;
  b = std::move(alias);  // self-assignment leaves it intact
  EXPECT_EQ(b.View(), "source");
}

}  // namespace
}  // namespace bp
