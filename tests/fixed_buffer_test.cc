// bp::FixedBuffer: the Viki bytepool item — short writes instead of growth (with the sticky
// ShortWrite flag), Position and TrimLastIf, and a read cursor that never rewinds.
// Sanitizer builds run these too: a fixed item writes into memory it does not own.
#include "pool/fixed_buffer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>

namespace bp {
namespace {

std::string ReadAll(FixedBuffer& b) {
  std::string out;
  char chunk[3];
  while (size_t n = b.Read(chunk, sizeof chunk)) out.append(chunk, n);
  return out;
}

TEST(FixedBufferTest, WriteTruncatesToCapacity) {
  FixedBuffer five(5);
  EXPECT_EQ(five.WriteString("the spice"), 5u);
  EXPECT_EQ(five.View(), "the s");
  EXPECT_TRUE(five.ShortWrite());
  EXPECT_TRUE(five.Full());

  FixedBuffer four(4);
  EXPECT_EQ(four.WriteString("hello"), 4u);
  EXPECT_EQ(four.View(), "hell");
  EXPECT_TRUE(four.ShortWrite());
}

TEST(FixedBufferTest, PartialWriteAfterEarlierWrites) {
  FixedBuffer b(8);
  EXPECT_EQ(b.WriteString("abcde"), 5u);
  EXPECT_FALSE(b.ShortWrite());
  EXPECT_EQ(b.WriteString("fghij"), 3u);
  EXPECT_EQ(b.View(), "abcdefgh");
  EXPECT_TRUE(b.ShortWrite());
}

TEST(FixedBufferTest, ExactFitIsNotShort) {
  FixedBuffer b(5);
  EXPECT_EQ(b.WriteString("hello"), 5u);
  EXPECT_FALSE(b.ShortWrite());
  EXPECT_TRUE(b.Full());
  EXPECT_EQ(b.Available(), 0u);
  EXPECT_EQ(b.WriteString(""), 0u);  // writing nothing into a full item loses nothing
  EXPECT_FALSE(b.ShortWrite());
}

TEST(FixedBufferTest, ShortWriteIsStickyUntilReset) {
  FixedBuffer b(3);
  b.WriteString("abcd");
  ASSERT_TRUE(b.ShortWrite());
  ASSERT_TRUE(b.Position(0));
  EXPECT_EQ(b.WriteString("xy"), 2u);  // fits, but the earlier loss is still reported
  EXPECT_TRUE(b.ShortWrite());
  b.Reset();
  EXPECT_FALSE(b.ShortWrite());
  EXPECT_EQ(b.Len(), 0u);
  EXPECT_EQ(b.WriteString("xyz"), 3u);
  EXPECT_FALSE(b.ShortWrite());
}

TEST(FixedBufferTest, WriteByteWhenFull) {
  FixedBuffer b(2);
  EXPECT_TRUE(b.WriteByte('a'));
  EXPECT_TRUE(b.WriteByte('b'));
  EXPECT_FALSE(b.ShortWrite());
  EXPECT_FALSE(b.WriteByte('c'));
  EXPECT_TRUE(b.ShortWrite());
  EXPECT_EQ(b.View(), "ab");
}

TEST(FixedBufferTest, ZeroCapacity) {
  FixedBuffer b(0);
  EXPECT_EQ(b.WriteString("a"), 0u);
  EXPECT_TRUE(b.ShortWrite());
  EXPECT_FALSE(b.WriteByte('a'));
  EXPECT_TRUE(b.Position(0));
  EXPECT_FALSE(b.Position(1));
}

TEST(FixedBufferTest, PositionBounds) {
  FixedBuffer b(10);
  b.WriteString("abcdef");
  EXPECT_TRUE(b.Position(3));
  EXPECT_EQ(b.View(), "abc");
  EXPECT_TRUE(b.Position(0));
  EXPECT_EQ(b.Len(), 0u);
  EXPECT_TRUE(b.Position(10));  // the whole capacity, stale bytes included
  EXPECT_TRUE(b.Full());
  EXPECT_EQ(b.View().substr(0, 6), "abcdef");
  EXPECT_FALSE(b.Position(11));
  EXPECT_EQ(b.Len(), 10u);  // a refused Position changes nothing
}

TEST(FixedBufferTest, PositionThenWriteOverwrites) {
  FixedBuffer b(10);
  b.WriteString("hello,");
  ASSERT_TRUE(b.Position(5));
  b.WriteString("!");
  EXPECT_EQ(b.View(), "hello!");
}

TEST(FixedBufferTest, TrimLastIf) {
  FixedBuffer b(8);
  EXPECT_FALSE(b.TrimLastIf(','));  // empty
  b.WriteString("[1,2,");
  EXPECT_FALSE(b.TrimLastIf(']'));
  EXPECT_EQ(b.View(), "[1,2,");
  EXPECT_TRUE(b.TrimLastIf(','));
  EXPECT_EQ(b.View(), "[1,2");
  EXPECT_FALSE(b.TrimLastIf(','));
  EXPECT_EQ(b.View(), "[1,2");
}

TEST(FixedBufferTest, ReadCursorNeverRewinds) {
  FixedBuffer b(16);
  EXPECT_TRUE(b.Drained());
  b.WriteString("abc");
  EXPECT_FALSE(b.Drained());
  char out[8];
  EXPECT_EQ(b.Read(out, 2), 2u);
  EXPECT_EQ(std::string_view(out, 2), "ab");
  EXPECT_EQ(b.Read(out, 8), 1u);
  EXPECT_EQ(out[0], 'c');
  EXPECT_TRUE(b.Drained());
  EXPECT_EQ(b.Read(out, 8), 0u);
  EXPECT_EQ(b.Read(out, 8), 0u);  // still nothing: no rewind at the end of data
  b.WriteString("de");
  EXPECT_FALSE(b.Drained());
  EXPECT_EQ(ReadAll(b), "de");   // only the new bytes
  EXPECT_EQ(b.View(), "abcde");  // Bytes() still shows everything
}

TEST(FixedBufferTest, ShrinkingBelowTheCursorClampsIt) {
  FixedBuffer b(16);
  b.WriteString("hello");
  char out[4];
  ASSERT_EQ(b.Read(out, 4), 4u);
  ASSERT_TRUE(b.Position(2));
  EXPECT_TRUE(b.Drained());
  EXPECT_EQ(b.Read(out, 4), 0u);
  b.WriteString("XY");
  EXPECT_EQ(ReadAll(b), "XY");

  FixedBuffer t(4);
  t.WriteString("ab,");
  ASSERT_EQ(ReadAll(t), "ab,");
  ASSERT_TRUE(t.TrimLastIf(','));
  EXPECT_TRUE(t.Drained());
  EXPECT_EQ(t.Read(out, 4), 0u);
}

TEST(FixedBufferTest, ResetRewindsEverything) {
  FixedBuffer b(4);
  b.WriteString("abcdef");
  char out[4];
  ASSERT_EQ(b.Read(out, 4), 4u);
  b.Reset();
  EXPECT_TRUE(b.Drained());
  EXPECT_EQ(b.Len(), 0u);
  EXPECT_EQ(b.Cap(), 4u);
  b.WriteString("xy");
  EXPECT_EQ(ReadAll(b), "xy");
}

TEST(FixedBufferTest, MoveTransfersStorageAndOwner) {
  const int pool_tag = 0;
  FixedBuffer a(8);
  a.set_owner(&pool_tag);
  a.WriteString("abcdefghij");
  const uint8_t* storage = a.data();
  FixedBuffer b(std::move(a));
  EXPECT_EQ(b.data(), storage);
  EXPECT_EQ(b.View(), "abcdefgh");
  EXPECT_TRUE(b.ShortWrite());
  EXPECT_EQ(b.owner(), &pool_tag);
  EXPECT_EQ(a.Cap(), 0u);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.owner(), nullptr);
  EXPECT_EQ(a.WriteString("x"), 0u);  // a moved-from item holds nothing

  FixedBuffer c(2);
  c = std::move(b);
  EXPECT_EQ(c.data(), storage);
  EXPECT_EQ(c.Cap(), 8u);
  FixedBuffer& alias = c;
  c = std::move(alias);
  EXPECT_EQ(c.View(), "abcdefgh");
}

}  // namespace
}  // namespace bp
